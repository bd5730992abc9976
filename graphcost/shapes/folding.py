"""Evaluate small tensors known before run time: constants and shape arithmetic.

Shape inference needs the values of tensors such as a Reshape target built
from ``Shape -> Gather -> Unsqueeze -> Concat`` or the sizes of a Resize.
onnx's data propagation covers the integer forms of these chains but not
the float ones (``Cast -> Mul -> Floor`` on a shape, as upsampling exports
write them), so graphcost folds such nodes itself with onnx's reference
implementation of each op.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

logger = logging.getLogger(__name__)

# Tensors with more elements than this are never folded: shape arithmetic
# works on vectors of a few elements, and weights must not be copied.
MAX_FOLDED_ELEMENTS = 4096

# Ops whose output is not a function of the input values alone.
_NONDETERMINISTIC_OPS = frozenset(
    {"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli"}
)
_SUBGRAPH_OPS = frozenset({"If", "Loop", "Scan"})


def constant_node_value(node: onnx.NodeProto) -> np.ndarray | None:
    """Return the value of a Constant node, or None if it holds a sparse or oversized tensor."""
    for attribute in node.attribute:
        if attribute.name == "value":
            if math.prod(attribute.t.dims) > MAX_FOLDED_ELEMENTS:
                return None
            return numpy_helper.to_array(attribute.t)
        if attribute.name == "value_float":
            return np.array(attribute.f, dtype=np.float32)
        if attribute.name == "value_floats":
            return np.array(attribute.floats, dtype=np.float32)
        if attribute.name == "value_int":
            return np.array(attribute.i, dtype=np.int64)
        if attribute.name == "value_ints":
            return np.array(attribute.ints, dtype=np.int64)
    return None


def constant_node_shape(node: onnx.NodeProto) -> tuple[int, ...] | None:
    """Return the output shape of a Constant node without decoding its data."""
    for attribute in node.attribute:
        if attribute.name == "value":
            return tuple(attribute.t.dims)
        if attribute.name == "sparse_value":
            return tuple(attribute.sparse_tensor.dims)
        if attribute.name in ("value_float", "value_int", "value_string"):
            return ()
        if attribute.name in ("value_floats",):
            return (len(attribute.floats),)
        if attribute.name in ("value_ints",):
            return (len(attribute.ints),)
        if attribute.name in ("value_strings",):
            return (len(attribute.strings),)
    return None


class ValueFolder:
    """Computes the values of small tensors known before run time.

    ``values`` maps tensor names to numpy arrays; ``shapes`` is read to fold
    Shape and Size, whose inputs are usually run-time activations.
    """

    def __init__(self, opset_imports: list[onnx.OperatorSetIdProto]):
        self._opset_imports = list(opset_imports)
        self.values: dict[str, np.ndarray] = {}

    def fold(self, node: onnx.NodeProto, shapes: dict[str, tuple[int, ...] | None]) -> bool:
        """Try to compute the outputs of ``node``; return True if new values were stored."""
        if any(name in self.values for name in node.output if name):
            return False
        if node.domain not in ("", "ai.onnx") or node.op_type in _NONDETERMINISTIC_OPS | _SUBGRAPH_OPS:
            return False
        if node.op_type == "Constant":
            value = constant_node_value(node)
            if value is None:
                return False
            self.values[node.output[0]] = value
            return True
        if node.op_type in ("Shape", "Size"):
            return self._fold_shape(node, shapes)
        inputs = [name for name in node.input if name]
        if not inputs or any(name not in self.values for name in inputs):
            return False
        for name in node.output:
            shape = shapes.get(name)
            if shape is not None and math.prod(shape) > MAX_FOLDED_ELEMENTS:
                return False
        return self._evaluate(node)

    def _fold_shape(self, node: onnx.NodeProto, shapes: dict[str, tuple[int, ...] | None]) -> bool:
        shape = shapes.get(node.input[0])
        if shape is None:
            return False
        if node.op_type == "Size":
            self.values[node.output[0]] = np.array(math.prod(shape), dtype=np.int64)
            return True
        rank = len(shape)
        start, end = 0, rank
        for attribute in node.attribute:
            if attribute.name == "start":
                start = attribute.i
            elif attribute.name == "end":
                end = attribute.i
        self.values[node.output[0]] = np.array(shape[slice(start, end)], dtype=np.int64)
        return True

    def _evaluate(self, node: onnx.NodeProto) -> bool:
        feeds = {name: self.values[name] for name in node.input if name}
        input_infos = [
            helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(value.dtype), value.shape)
            for name, value in feeds.items()
        ]
        output_infos = [helper.make_empty_tensor_value_info(name) for name in node.output if name]
        graph = helper.make_graph([node], "fold", input_infos, output_infos)
        model = helper.make_model(graph, opset_imports=self._opset_imports)
        try:
            results = ReferenceEvaluator(model).run(None, feeds)
        except Exception as error:  # noqa: BLE001 - any failure only means "not foldable"
            logger.debug("cannot fold %s node %r: %s", node.op_type, node.name, error)
            return False
        stored = False
        for name, result in zip([n for n in node.output if n], results):
            array = np.asarray(result)
            if array.size <= MAX_FOLDED_ELEMENTS:
                self.values[name] = array
                stored = True
        return stored
