"""Shape and element-type inference: onnx's first, graphcost's rules for the gaps."""

from graphcost.shapes.inference import ShapeResult, infer_shapes
from graphcost.shapes.input_shapes import parse_input_shape

__all__ = ["ShapeResult", "infer_shapes", "parse_input_shape"]
