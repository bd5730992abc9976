"""Build the working copy of a model that shape inference may annotate.

The copy has its nodes in topological order, the user's input shapes applied,
and the data of large initializers left out (their dims stay), so inference
costs memory proportional to the graph, not the weights.
"""

from __future__ import annotations

import logging
import math

import networkx as nx
import onnx

from graphcost.errors import InputShapeError, ModelLoadError, ShapeError
from graphcost.load.reader import STANDARD_DOMAINS, node_keys

logger = logging.getLogger(__name__)

# The CLI option that sets input shapes, named in messages about shapes given as strings.
INPUT_SHAPE_OPTION = "--input-shape"

# Initializers up to this many elements keep their data: shape arithmetic reads them.
SMALL_INITIALIZER_ELEMENTS = 4096


def subgraph_outer_references(node: onnx.NodeProto) -> list[str]:
    """Return the outer-scope tensors that the subgraphs of ``node`` read implicitly."""
    references: list[str] = []
    for attribute in node.attribute:
        graphs = [attribute.g] if attribute.type == onnx.AttributeProto.GRAPH else list(attribute.graphs)
        for graph in graphs:
            defined = {info.name for info in graph.input} | {init.name for init in graph.initializer}
            for inner in graph.node:
                for name in list(inner.input) + subgraph_outer_references(inner):
                    if name and name not in defined and name not in references:
                        references.append(name)
                defined.update(inner.output)
    return references


def topological_node_order(model: onnx.ModelProto, source: str) -> list[int]:
    """Return node indices in a topological order, keeping the stored order where it is valid."""
    graph = model.graph
    keys = node_keys(graph)
    producers: dict[str, int] = {}
    for index, node in enumerate(graph.node):
        for name in node.output:
            if not name:
                continue
            if name in producers:
                other = producers[name]
                raise ModelLoadError(
                    f"{source}: tensor '{name}' is written by two nodes, '{keys[other]}' ({graph.node[other].op_type}) "
                    f"and '{keys[index]}' ({node.op_type}); every tensor must have one producer"
                )
            producers[name] = index
    known = {info.name for info in graph.input} | {init.name for init in graph.initializer}
    known |= {sparse.values.name for sparse in graph.sparse_initializer}
    dependencies = nx.DiGraph()
    dependencies.add_nodes_from(range(len(graph.node)))
    for index, node in enumerate(graph.node):
        for name in list(node.input) + subgraph_outer_references(node):
            if not name:
                continue
            if name in producers:
                dependencies.add_edge(producers[name], index)
            elif name not in known:
                raise ModelLoadError(
                    f"{source}: node '{keys[index]}' ({node.op_type}) reads tensor '{name}', which no node, "
                    "initializer or graph input provides; the file may be truncated or the export broken"
                )
    try:
        return list(nx.lexicographical_topological_sort(dependencies))
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(dependencies)
        names = " -> ".join(keys[edge[0]] for edge in cycle)
        raise ModelLoadError(
            f"{source}: the graph has a cycle ({names} -> ...); ONNX graphs must be acyclic"
        ) from None


def _copy_initializer(initializer: onnx.TensorProto, target: onnx.TensorProto) -> None:
    """Copy a small inline initializer whole; of any other, only its name, type and dims."""
    if math.prod(initializer.dims) <= SMALL_INITIALIZER_ELEMENTS and initializer.data_location != onnx.TensorProto.EXTERNAL:
        target.CopyFrom(initializer)
        return
    # External and large tensors keep no data here; value folding skips them.
    target.name = initializer.name
    target.data_type = initializer.data_type
    target.dims.extend(initializer.dims)


def _shape_is_recomputed(name: str, producers: dict[str, onnx.NodeProto]) -> bool:
    """True if onnx can infer this tensor again, so a stored annotation may be stale."""
    producer = producers.get(name)
    return producer is not None and producer.domain in STANDARD_DOMAINS


def make_working_copy(model: onnx.ModelProto, order: list[int]) -> onnx.ModelProto:
    """Copy ``model`` for inference: sorted nodes, small initializers only, stale shapes dropped."""
    work = onnx.ModelProto()
    work.ir_version = model.ir_version
    work.opset_import.extend(model.opset_import)
    graph = work.graph
    graph.name = model.graph.name
    for index in order:
        graph.node.add().CopyFrom(model.graph.node[index])
    for initializer in model.graph.initializer:
        _copy_initializer(initializer, graph.initializer.add())
    graph.input.extend(model.graph.input)
    producers = {name: node for node in model.graph.node for name in node.output}
    for info in model.graph.output:
        copied = graph.output.add()
        copied.CopyFrom(info)
        if _shape_is_recomputed(info.name, producers):
            copied.type.tensor_type.ClearField("shape")
    for info in model.graph.value_info:
        if not _shape_is_recomputed(info.name, producers):
            graph.value_info.add().CopyFrom(info)
    return work


def _shape_hint(option: str | None, name: str) -> str:
    """Return how to give input ``name`` a shape: with ``option``, or in the Python argument input_shapes."""
    return f"{option} {name}=DIMS" if option else f"input_shapes={{'{name}': DIMS}}"


def apply_input_shapes(
    work: onnx.ModelProto,
    runtime_inputs: list[str],
    input_shapes: dict[str | None, tuple[int, ...]],
    source: str,
    option: str | None = INPUT_SHAPE_OPTION,
) -> list[str]:
    """Set the shapes of the runtime inputs; return notes on symbolic dims taken as 1.

    Messages name ``option``, or, when ``option`` is None, speak of the
    input shape and the Python argument ``input_shapes``.
    """
    shape_label = option or "the input shape"
    shapes = dict(input_shapes)
    if None in shapes:
        if len(runtime_inputs) != 1:
            bare = f"bare {option} dims need" if option else "an input shape keyed by None needs"
            fix = "write NAME=DIMS" if option else "key it by the input's name"
            raise InputShapeError(
                f"{source}: {bare} a model with one input, but it has "
                f"{len(runtime_inputs)} ({', '.join(runtime_inputs)}); {fix}"
            )
        shapes[runtime_inputs[0]] = shapes.pop(None)
    for name in shapes:
        if name not in runtime_inputs:
            raise InputShapeError(
                f"{source}: {shape_label} names '{name}', which is not an input of the model; "
                f"its inputs are: {', '.join(runtime_inputs) or '(none)'}"
            )
    notes: list[str] = []
    symbols_seen: set[str] = set()
    infos = {info.name: info for info in work.graph.input}
    for name in runtime_inputs:
        tensor_type = infos[name].type.tensor_type
        if not infos[name].type.HasField("tensor_type"):
            raise ShapeError(f"{source}: input '{name}' is not a tensor; graphcost analyses tensor inputs only")
        if name in shapes:
            dims = shapes[name]
            if tensor_type.HasField("shape") and len(tensor_type.shape.dim) != len(dims):
                declared = len(tensor_type.shape.dim)
                raise InputShapeError(
                    f"{source}: {shape_label} gives input '{name}' {len(dims)} {'dim' if len(dims) == 1 else 'dims'}, "
                    f"but the model declares {declared}; give {declared} {'dim' if declared == 1 else 'dims'}"
                )
            tensor_type.shape.Clear()
            for dim in dims:
                tensor_type.shape.dim.add().dim_value = dim
            continue
        if not tensor_type.HasField("shape"):
            raise ShapeError(
                f"{source}: input '{name}' has no shape; give one with {_shape_hint(option, name)} "
                f"(for example {'1x3x224x224' if option else '(1, 3, 224, 224)'})"
            )
        for axis, dim in enumerate(tensor_type.shape.dim):
            if dim.HasField("dim_value"):
                continue
            symbol = dim.dim_param or f"{name}[{axis}]"
            if symbol not in symbols_seen:
                symbols_seen.add(symbol)
                notes.append(
                    f"symbolic dim '{symbol}' of input '{name}' (axis {axis}) is taken as 1; "
                    f"set it with {_shape_hint(option, name)}"
                )
            dim.Clear()
            dim.dim_value = 1
    return notes
