"""Infer every tensor's shape and element type.

onnx.shape_inference runs first, with data propagation. graphcost then folds
small known tensors and applies its own rules (see ``rules.py``) to the
outputs onnx left unknown, writes what it found back as value_info and runs
onnx again, so onnx's rules carry the new shapes downstream. This repeats
until a round finds nothing new.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import onnx

from graphcost.errors import ShapeError
from graphcost.shapes.folding import ValueFolder, constant_node_shape
from graphcost.shapes.rules import SHAPE_RULES, RuleInput

logger = logging.getLogger(__name__)

Shape = tuple[int, ...]

# A dim or tensor larger than these is taken as corrupt: 2^40 is about 10^12,
# far beyond any real axis, and 2^48 elements of float32 are 1 PiB.
MAX_DIM = 2**40
MAX_TENSOR_ELEMENTS = 2**48
MAX_ROUNDS = 8


@dataclass
class ShapeResult:
    """Element types, shapes and small known values of every tensor."""

    elem_types: dict[str, int] = field(default_factory=dict)
    shapes: dict[str, Shape | None] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    upper_bound: set[str] = field(default_factory=set)
    filled_by_graphcost: set[str] = field(default_factory=set)


def _dims(type_proto: onnx.TypeProto) -> Shape | None:
    """Return the static dims of a tensor type, or None if any dim is unknown or symbolic."""
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    dims = []
    for dim in type_proto.tensor_type.shape.dim:
        if not dim.HasField("dim_value"):
            return None
        dims.append(dim.dim_value)
    return tuple(dims)


def check_shape(name: str, shape: Shape | None, source: str) -> None:
    """Raise ShapeError for a negative dim or an implausibly large tensor."""
    if shape is None:
        return
    for axis, dim in enumerate(shape):
        if dim < 0:
            raise ShapeError(
                f"{source}: tensor '{name}' has negative dim {dim} at axis {axis}; "
                "fix the model's shape or pass --input-shape"
            )
        if dim > MAX_DIM:
            raise ShapeError(
                f"{source}: tensor '{name}' has dim {dim} at axis {axis}, more than 2^40; "
                "the dim is corrupt or the input shape is wrong (check --input-shape)"
            )
    if math.prod(shape) > MAX_TENSOR_ELEMENTS:
        raise ShapeError(
            f"{source}: tensor '{name}' has shape {list(shape)} with more than 2^48 elements; "
            "the dims are corrupt or the input shape is wrong (check --input-shape)"
        )


def _collect(graph: onnx.GraphProto, result: ShapeResult, source: str) -> None:
    """Record the types and shapes onnx inferred, descending into subgraphs."""
    for initializer in graph.initializer:
        result.elem_types[initializer.name] = initializer.data_type
        result.shapes[initializer.name] = tuple(initializer.dims)
    for info in list(graph.input) + list(graph.value_info) + list(graph.output):
        if not info.type.HasField("tensor_type"):
            continue
        if info.type.tensor_type.elem_type:
            result.elem_types.setdefault(info.name, info.type.tensor_type.elem_type)
        shape = _dims(info.type)
        if shape is not None or info.name not in result.shapes:
            result.shapes[info.name] = shape
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            result.shapes.setdefault(node.output[0], constant_node_shape(node))
            if result.shapes[node.output[0]] is None:
                result.shapes[node.output[0]] = constant_node_shape(node)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                _collect(attribute.g, result, source)
            elif attribute.type == onnx.AttributeProto.GRAPHS:
                for subgraph in attribute.graphs:
                    _collect(subgraph, result, source)


def _opset_version(model: onnx.ModelProto, domain: str = "") -> int:
    for opset in model.opset_import:
        if opset.domain in (domain, "ai.onnx" if domain == "" else domain):
            return opset.version
    return 1


def _fill_gaps(model: onnx.ModelProto, result: ShapeResult, folder: ValueFolder) -> dict[str, Shape]:
    """Fold values and apply graphcost's shape rules; return the newly found shapes."""
    opset = _opset_version(model)
    found: dict[str, Shape] = {}
    for node in model.graph.node:
        folder.fold(node, result.shapes)
        outputs = [name for name in node.output if name]
        if all(result.shapes.get(name) is not None for name in outputs):
            continue
        rule = SHAPE_RULES.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if rule is None:
            continue
        rule_input = RuleInput(
            node=node,
            opset=opset,
            input_shapes=[result.shapes.get(name) if name else None for name in node.input],
            input_values=[folder.values.get(name) if name else None for name in node.input],
        )
        try:
            outcome = rule(rule_input)
        except (ValueError, IndexError, TypeError, ZeroDivisionError) as error:
            logger.debug("shape rule for %s node %r failed: %s", node.op_type, node.name, error)
            continue
        if outcome is None:
            continue
        for name, shape in zip(node.output, outcome.shapes):
            if name and shape is not None and result.shapes.get(name) is None:
                result.shapes[name] = shape
                found[name] = shape
                if outcome.upper_bound:
                    result.upper_bound.add(name)
    return found


def _write_value_info(model: onnx.ModelProto, result: ShapeResult, found: dict[str, Shape]) -> None:
    existing = {info.name: info for info in model.graph.value_info}
    outputs = {info.name: info for info in model.graph.output}
    for name, shape in found.items():
        elem_type = result.elem_types.get(name, 0)
        info = existing.get(name) or outputs.get(name)
        if info is None:
            info = model.graph.value_info.add()
            info.name = name
        info.type.tensor_type.elem_type = elem_type or info.type.tensor_type.elem_type
        info.type.tensor_type.shape.Clear()
        for dim in shape:
            info.type.tensor_type.shape.dim.add().dim_value = dim


def _propagate_upper_bounds(model: onnx.ModelProto, result: ShapeResult) -> None:
    """Mark tensors whose shape derives from an upper-bound shape as upper bounds too."""
    for node in model.graph.node:
        if any(name in result.upper_bound for name in node.input if name):
            result.upper_bound.update(name for name in node.output if name)


def infer_shapes(model: onnx.ModelProto, source: str) -> ShapeResult:
    """Infer shapes of ``model``, a working copy whose nodes are in topological order.

    ``model`` is modified (value_info is added); callers pass a copy, never the
    user's ModelProto. ``source`` names the model file in error messages.
    """
    result = ShapeResult()
    folder = ValueFolder(list(model.opset_import))
    for initializer in model.graph.initializer:
        if initializer.data_location == onnx.TensorProto.EXTERNAL or math.prod(initializer.dims) > 4096:
            continue
        try:
            folder.values[initializer.name] = onnx.numpy_helper.to_array(initializer)
        except ValueError:
            continue  # stored without data (its data is external or was left out of the working copy)
    for round_index in range(MAX_ROUNDS):
        try:
            inferred = onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
        except onnx.shape_inference.InferenceError as error:
            first_line = str(error).strip().splitlines()[0]
            raise ShapeError(f"{source}: onnx shape inference failed: {first_line}") from error
        round_result = ShapeResult(values=result.values, upper_bound=result.upper_bound)
        _collect(inferred.graph, round_result, source)
        # Shapes graphcost found in earlier rounds stay even if onnx drops them.
        for name in result.filled_by_graphcost:
            if round_result.shapes.get(name) is None:
                round_result.shapes[name] = result.shapes[name]
        round_result.filled_by_graphcost = result.filled_by_graphcost
        result = round_result
        found = _fill_gaps(inferred, result, folder)
        logger.debug("shape round %d: graphcost filled %d tensors", round_index + 1, len(found))
        if not found:
            break
        result.filled_by_graphcost.update(found)
        _write_value_info(model, result, found)
    result.values = folder.values
    _propagate_upper_bounds(model, result)
    for name, shape in result.shapes.items():
        check_shape(name, shape, source)
    return result
