"""Turn an ONNX model into a networkx DAG whose edges carry shaped tensors.

Each ONNX node of the main graph is one graph node, keyed by its name (made
unique when names are empty or repeated). Node attributes:

- ``op_type``, ``domain``, ``onnx_name``, ``index`` (position in execution order)
- ``inputs``, ``outputs``: tensor names, with "" for an omitted optional input;
  ``implicit_inputs``: outer-scope tensors read by If/Loop/Scan bodies
- ``proto``: the NodeProto of the user's model (read-only)
- ``live``: False for dead nodes, whose outputs reach no graph output

Each edge producer -> consumer has ``tensors``: the list of TensorInfo passed
along it (a consumer may read several outputs of one producer). Weights and
graph inputs have no producer node, so they appear in ``Model.tensors`` only.
Analysis results are stored later under their own node attribute, ``cost``.
"""

from __future__ import annotations

import logging
import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import onnx
import onnx.inliner

from graphcost.errors import InputShapeError, ModelLoadError
from graphcost.gcpause import collector_paused
from graphcost.load.reader import STANDARD_DOMAINS, check_model_structure, node_keys, read_model, run_checker
from graphcost.load.working_copy import (
    INPUT_SHAPE_OPTION,
    apply_input_shapes,
    make_working_copy,
    subgraph_outer_references,
    topological_node_order,
)
from graphcost.shapes import ShapeResult, infer_shapes, parse_input_shape
from graphcost.tensors import TensorInfo, TensorKind

logger = logging.getLogger(__name__)

# Ops whose output is known before run time when their input shapes are known.
SHAPE_OPS = frozenset({"Shape", "Size"})


@dataclass
class Model:
    """A loaded model: the networkx DAG plus every tensor's metadata."""

    source: str
    proto: onnx.ModelProto
    graph: nx.DiGraph
    tensors: dict[str, TensorInfo]
    inputs: list[str]
    outputs: list[str]
    opset: int
    shape_result: ShapeResult
    dead_nodes: list[str] = field(default_factory=list)
    unused_initializers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checker_message: str | None = None
    working_proto: onnx.ModelProto | None = None

    def nodes_in_order(self) -> list[str]:
        """Return node keys in execution (topological) order."""
        return sorted(self.graph.nodes, key=lambda key: self.graph.nodes[key]["index"])


def _normalize_input_shapes(input_shapes, source: str) -> dict[str | None, tuple[int, ...]]:
    """Validate a dict {name or None: dims}, a list of ``--input-shape`` strings, or None, and return it as a dict.

    Raises InputShapeError with one line for any other type, a name that is
    not a string, or a dim that is not a positive integer.
    """
    if input_shapes is None:
        return {}
    if isinstance(input_shapes, dict):
        return {_checked_input_name(name, source): _checked_dims(name, dims, source) for name, dims in input_shapes.items()}
    if not isinstance(input_shapes, (list, tuple)) or not all(isinstance(text, str) for text in input_shapes):
        raise InputShapeError(
            f"{source}: input_shapes must be a dict that maps an input name (or None for the only input) to its dims, "
            f"such as {{'input': (1, 3, 224, 224)}}, or a list of 'NAME=DIMS' strings; got {type(input_shapes).__name__} "
            f"{input_shapes!r}"
        )
    parsed: dict[str | None, tuple[int, ...]] = {}
    for text in input_shapes:
        name, dims = parse_input_shape(text)
        if name in parsed:
            label = f"input '{name}'" if name else "the model's input"
            raise InputShapeError(f"--input-shape gives {label} twice ({parsed[name]} and {dims}); give it once")
        parsed[name] = dims
    return parsed


def _checked_input_name(name, source: str) -> str | None:
    if name is not None and (not isinstance(name, str) or not name):
        raise InputShapeError(f"{source}: input shape key {name!r} is not an input name; use the input's name as a string, or None for the only input")
    return name


def _checked_dims(name: str | None, dims, source: str) -> tuple[int, ...]:
    """Return ``dims`` as a tuple of ints, raising InputShapeError unless each dim is a positive integer.

    A float with an integral value, such as 224.0, is accepted; booleans are rejected.
    """
    label = f"input '{name}'" if name is not None else "the model's input"
    if isinstance(dims, (str, bytes)) or not isinstance(dims, (Sequence, np.ndarray)):
        raise InputShapeError(f"{source}: input shape of {label} must be a sequence of dims, such as (1, 3, 224, 224), got {dims!r}")
    checked = []
    for dim in dims:
        is_integral = isinstance(dim, numbers.Integral) or (isinstance(dim, numbers.Real) and float(dim).is_integer())
        if isinstance(dim, (bool, np.bool_)) or not is_integral or dim < 1:
            raise InputShapeError(
                f"{source}: input shape of {label} has the dim {dim!r} in {tuple(dims)!r}; every dim must be a positive integer"
            )
        checked.append(int(dim))
    return tuple(checked)


def _tensor_kinds(work: onnx.ModelProto, shapes: ShapeResult, runtime_inputs: list[str]) -> dict[str, TensorKind]:
    """Classify every tensor: runtime input, initializer, constant, shape-valued or activation."""
    kinds: dict[str, TensorKind] = {name: TensorKind.INPUT for name in runtime_inputs}
    for initializer in work.graph.initializer:
        kinds[initializer.name] = TensorKind.INITIALIZER
    for sparse in work.graph.sparse_initializer:
        kinds[sparse.values.name] = TensorKind.INITIALIZER
    for node in work.graph.node:
        input_kinds = [kinds.get(name, TensorKind.ACTIVATION) for name in node.input if name]
        standard = node.domain in STANDARD_DOMAINS
        if standard and node.op_type == "Constant":
            kind = TensorKind.CONSTANT
        elif standard and node.op_type in SHAPE_OPS and shapes.shapes.get(node.input[0]) is not None:
            kind = TensorKind.SHAPE
        elif standard and input_kinds and all(k in (TensorKind.INITIALIZER, TensorKind.CONSTANT) for k in input_kinds):
            kind = TensorKind.CONSTANT  # a runtime folds it once at load time
        elif standard and input_kinds and all(k is not TensorKind.INPUT and k is not TensorKind.ACTIVATION for k in input_kinds):
            kind = TensorKind.SHAPE
        else:
            kind = TensorKind.ACTIVATION
        if node.op_type in ("If", "Loop", "Scan") or not standard:
            kind = TensorKind.ACTIVATION
        for name in node.output:
            if name:
                kinds[name] = kind
    return kinds


def build_model(proto: onnx.ModelProto, source: str, input_shapes=None, path: str | None = None) -> Model:
    """Build a :class:`Model` from a ModelProto, which is left unmodified.

    ``path`` is the file ``proto`` was read from, if any. onnx.checker then
    resolves external data against that file's folder.
    """
    check_model_structure(proto, source)
    if proto.functions:
        # onnx's inliner expands model-local functions into plain nodes.
        proto_for_analysis = onnx.inliner.inline_local_functions(proto)
    else:
        proto_for_analysis = proto
    initializer_names = {init.name for init in proto_for_analysis.graph.initializer}
    # IR version 3 exporters also list initializers as graph inputs; those are weights.
    runtime_inputs = [info.name for info in proto_for_analysis.graph.input if info.name not in initializer_names]
    order = topological_node_order(proto_for_analysis, source)
    work = make_working_copy(proto_for_analysis, order)
    # Shapes given as strings come from the CLI option, so messages name it; a dict comes from Python.
    option = INPUT_SHAPE_OPTION if isinstance(input_shapes, (list, tuple)) else None
    notes = apply_input_shapes(work, runtime_inputs, _normalize_input_shapes(input_shapes, source), source, option)
    for note in notes:
        logger.warning("%s", note)
    shapes = infer_shapes(work, source)
    kinds = _tensor_kinds(work, shapes, runtime_inputs)

    tensors: dict[str, TensorInfo] = {}
    for name, kind in kinds.items():
        tensors[name] = TensorInfo(
            name=name,
            elem_type=shapes.elem_types.get(name, 0),
            shape=shapes.shapes.get(name),
            kind=kind,
            upper_bound=name in shapes.upper_bound,
        )

    graph = nx.DiGraph(name=proto.graph.name, source=source)
    producers: dict[str, str] = {}
    keys = node_keys(proto_for_analysis.graph)
    original_nodes = list(proto_for_analysis.graph.node)
    for position, original_index in enumerate(order):
        node = original_nodes[original_index]
        key = keys[original_index]
        graph.add_node(
            key,
            op_type=node.op_type,
            domain=node.domain,
            onnx_name=node.name,
            index=position,
            inputs=list(node.input),
            outputs=list(node.output),
            implicit_inputs=subgraph_outer_references(node),
            proto=node,
            live=False,
        )
        for name in node.output:
            if name:
                producers[name] = key
    for key, data in graph.nodes(data=True):
        for name in data["inputs"] + data["implicit_inputs"]:
            producer = producers.get(name)
            if not name or producer is None:
                continue
            if graph.has_edge(producer, key):
                if all(t.name != name for t in graph.edges[producer, key]["tensors"]):
                    graph.edges[producer, key]["tensors"].append(tensors[name])
            else:
                graph.add_edge(producer, key, tensors=[tensors[name]])

    outputs = [info.name for info in proto_for_analysis.graph.output]
    live: set[str] = set()
    for name in outputs:
        producer = producers.get(name)
        if producer is not None and producer not in live:
            live.add(producer)
            live |= nx.ancestors(graph, producer)
    for key in live:
        graph.nodes[key]["live"] = True
    dead_nodes = [key for key in graph.nodes if key not in live]

    consumed = set(outputs)
    for key in live:
        consumed.update(graph.nodes[key]["inputs"])
        consumed.update(graph.nodes[key]["implicit_inputs"])
    unused_initializers = [name for name in initializer_names if name not in consumed]

    for name in outputs:
        if name not in producers and name not in tensors:
            raise ModelLoadError(
                f"{source}: graph output '{name}' is produced by no node, initializer or input; "
                "the file may be truncated, so export it again"
            )
    # The checker runs last so that a model that fails to load gives one error line, not a warning too.
    checker_message = run_checker(proto, source, path)
    opset = next((o.version for o in proto.opset_import if o.domain in STANDARD_DOMAINS), 1)
    model = Model(
        source=source,
        proto=proto,
        graph=graph,
        tensors=tensors,
        inputs=runtime_inputs,
        outputs=outputs,
        opset=opset,
        shape_result=shapes,
        dead_nodes=dead_nodes,
        unused_initializers=sorted(unused_initializers),
        notes=notes,
        checker_message=checker_message,
        working_proto=work,
    )
    if dead_nodes:
        noun = "node" if len(dead_nodes) == 1 else "nodes"
        logger.info("%s: left %d dead %s (no path to a graph output) out of totals", source, len(dead_nodes), noun)
    return model


def load(path_or_proto, input_shapes=None) -> Model:
    """Load an ONNX model from a path (or a ModelProto) into a :class:`Model`.

    ``input_shapes`` maps input names (or None for a model's only input) to
    positive integer dims, e.g. ``{"input": (1, 3, 320, 320)}``, or is a list
    of ``--input-shape`` strings; any other value raises InputShapeError.
    Symbolic dims not given are taken as 1.
    """
    with collector_paused():
        if isinstance(path_or_proto, onnx.ModelProto):
            return build_model(path_or_proto, "<ModelProto>", input_shapes)
        source = os.fspath(path_or_proto)
        return build_model(read_model(source), source, input_shapes, path=source)
