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
import os
from dataclasses import dataclass, field

import networkx as nx
import onnx
import onnx.inliner

from graphcost.errors import InputShapeError, ModelLoadError
from graphcost.gcpause import collector_paused
from graphcost.load.reader import STANDARD_DOMAINS, check_model_structure, node_keys, read_model, run_checker
from graphcost.load.working_copy import (
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


def _normalize_input_shapes(input_shapes) -> dict[str | None, tuple[int, ...]]:
    """Accept a dict {name: dims}, a list of ``--input-shape`` strings, or None."""
    if not input_shapes:
        return {}
    if isinstance(input_shapes, dict):
        return {name: tuple(int(d) for d in dims) for name, dims in input_shapes.items()}
    parsed: dict[str | None, tuple[int, ...]] = {}
    for text in input_shapes:
        name, dims = parse_input_shape(text)
        if name in parsed:
            label = f"input '{name}'" if name else "the model's input"
            raise InputShapeError(f"--input-shape gives {label} twice ({parsed[name]} and {dims}); give it once")
        parsed[name] = dims
    return parsed


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
    notes = apply_input_shapes(work, runtime_inputs, _normalize_input_shapes(input_shapes), source)
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

    ``input_shapes`` maps input names to dims, e.g. ``{"input": (1, 3, 320, 320)}``,
    or is a list of ``--input-shape`` strings. Symbolic dims not given are taken as 1.
    """
    with collector_paused():
        if isinstance(path_or_proto, onnx.ModelProto):
            return build_model(path_or_proto, "<ModelProto>", input_shapes)
        source = os.fspath(path_or_proto)
        return build_model(read_model(source), source, input_shapes, path=source)
