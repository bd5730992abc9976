"""Export the op graph or the kernel graph, with shapes and costs, as GraphML or Graphviz DOT.

The exported graph is a copy whose attributes are plain strings, ints,
floats and bools, which every GraphML reader and DOT consumer accepts:
lists (tensor names, node keys) are JSON text and shapes are ``1x3x224x224``
text. Byte counts are those of the analysis, at the model's element types.
"""

from __future__ import annotations

import json
import math
import re

import networkx as nx

from graphcost.costs import CostStatus
from graphcost.load import Model
from graphcost.report.html.charts import class_color
from graphcost.report.render import (
    kernel_bound_text,
    kernel_status,
    kernel_uncosted_counts,
    unknown_group_fields,
)
from graphcost.results import AnalysisReport

EXPORT_FORMATS = ("graphml", "dot")
FORMAT_SUFFIXES = {".graphml": "graphml", ".dot": "dot", ".gv": "dot"}

_COST_FIELDS = ("macs", "elementwise_ops", "param_count", "read_bytes", "weight_bytes", "write_bytes")
_LATENCY_FIELDS = (
    "device",
    "latency_s",
    "compute_s",
    "memory_s",
    "overhead_s",
    "transfer_s",
    "bound",
    "memory_level",
    "arithmetic_intensity",
    "scaled_bytes",
)
# Cost fields of an uncosted node, whose work is unknown.
_UNKNOWN_WORK_FIELDS = frozenset({"macs", "elementwise_ops"})
# Characters XML 1.0 does not allow in a document, not even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def shape_text(shape: list[int] | tuple[int, ...] | None) -> str:
    """Return a shape as ``1x3x224x224``, ``scalar`` for rank 0, ``?`` when unknown."""
    if shape is None:
        return "?"
    return "x".join(str(dim) for dim in shape) or "scalar"


def _tensor_attributes(tensors) -> dict[str, object]:
    """Return the attributes of an edge that carries ``tensors`` (TensorInfo objects).

    An edge that carries a tensor of unknown size has no ``nbytes``
    attribute, because its total size is unknown.
    """
    sizes = [tensor.nbytes for tensor in tensors]
    attributes: dict[str, object] = {
        "tensors": json.dumps([tensor.name for tensor in tensors]),
        "shapes": "; ".join(shape_text(tensor.shape) for tensor in tensors),
        "dtypes": "; ".join(tensor.dtype for tensor in tensors),
    }
    if None not in sizes:
        attributes["nbytes"] = sum(sizes)
    attributes["label"] = "; ".join(shape_text(tensor.shape) for tensor in tensors)
    return attributes


def _graph_attributes(report: AnalysisReport, kind: str) -> dict[str, object]:
    attributes: dict[str, object] = {"source": report.source, "graph_kind": kind}
    if report.kernels is not None:
        attributes["fusion_rules"] = report.kernels.rules.name
    if report.latency is not None:
        attributes["profile"] = report.latency.profile
        attributes["total_latency_s"] = report.latency.total_s
    return attributes


def op_graph(model: Model, report: AnalysisReport) -> nx.DiGraph:
    """Return ``model``'s op graph, one node per ONNX node, with the costs of ``report`` (from analyzing ``model``).

    Dead nodes (no path to a graph output) are kept, with ``live`` false,
    ``status`` "dead" and no cost attributes, because the analysis leaves
    them out. An uncosted node has no ``macs`` or ``elementwise_ops``
    attribute, because its work is unknown (null in the JSON report).
    """
    kernel_of = {}
    if report.kernels is not None:
        kernel_of = {node: kernel.id for kernel in report.kernels.kernels for node in kernel.nodes}
    exported = nx.DiGraph(**_graph_attributes(report, "op"))
    for key in model.nodes_in_order():
        data = model.graph.nodes[key]
        attributes: dict[str, object] = {
            "op_type": data["op_type"],
            "domain": data["domain"],
            "onnx_name": data["onnx_name"],
            "index": data["index"],
            "live": data["live"],
            "inputs": json.dumps(data["inputs"]),
            "outputs": json.dumps(data["outputs"]),
        }
        cost = data.get("cost")
        if cost is None:
            attributes["status"] = "dead"
            attributes["label"] = f"{data['op_type']}\n{key}\n(dead)"
        else:
            uncosted = cost.status is CostStatus.UNCOSTED
            unknown = _UNKNOWN_WORK_FIELDS if uncosted else frozenset()
            attributes.update({name: getattr(cost, name) for name in _COST_FIELDS if name not in unknown})
            attributes["bytes_moved"] = cost.bytes_moved
            attributes["status"] = cost.status.value
            attributes["reason"] = cost.reason
            attributes["output_shapes"] = "; ".join(shape_text(shape) for shape in cost.output_shapes)
            attributes["output_dtype"] = cost.output_dtype
            macs_text = _macs_label(cost.macs, int(uncosted), 1)
            attributes["label"] = f"{data['op_type']}\n{key}\n{attributes['output_shapes']}\n{macs_text}"
        if key in kernel_of:
            attributes["kernel"] = kernel_of[key]
        exported.add_node(key, **attributes)
    for producer, consumer, data in model.graph.edges(data=True):
        exported.add_edge(producer, consumer, **_tensor_attributes(data["tensors"]))
    return exported


def kernel_graph(report: AnalysisReport) -> nx.DiGraph:
    """Return the kernel graph of ``report``: one node per kernel, with its costs and, with a profile, its latency.

    A latency field that is not a finite number is left out of the node's
    attributes, so GraphML and DOT never contain "inf". The arithmetic
    intensity of a kernel that moves no bytes is such a field: that kernel
    has no ``arithmetic_intensity`` attribute. Each kernel has a ``status``
    and ``uncosted_nodes``, and a value that its uncosted nodes make unknown
    (null in the JSON report) is left out too.
    """
    if report.kernels is None:
        raise ValueError("the report has no kernels; build it with graphcost.analyze")
    latency = {item.kernel_id: item for item in report.latency.kernels} if report.latency is not None else {}
    uncosted = kernel_uncosted_counts(report)
    exported = nx.DiGraph(**_graph_attributes(report, "kernel"))
    for index, kernel in enumerate(report.kernels.kernels):
        unknown = unknown_group_fields(uncosted[kernel.id], len(kernel.nodes))
        attributes: dict[str, object] = {
            "index": index,
            "kernel_class": kernel.kernel_class,
            "ops": kernel.label,
            "op_types": json.dumps(kernel.op_types),
            "nodes": json.dumps(kernel.nodes),
            "node_count": len(kernel.nodes),
            "status": kernel_status(uncosted[kernel.id]),
            "uncosted_nodes": uncosted[kernel.id],
            **{name: getattr(kernel, name) for name in _COST_FIELDS if name not in unknown},
            "bytes_moved": kernel.bytes_moved,
            "output_shapes": "; ".join(shape_text(shape) for shape in kernel.output_shapes),
        }
        macs_text = _macs_label(kernel.macs, uncosted[kernel.id], len(kernel.nodes))
        label = f"{kernel.id} {kernel.label or kernel.kernel_class}\n{attributes['output_shapes']}\n{macs_text}"
        if kernel.id in latency:
            item = latency[kernel.id]
            fields = {name: getattr(item, name) for name in _LATENCY_FIELDS if name not in unknown}
            attributes.update(_finite_values(fields))
            bound_text = kernel_bound_text(item, uncosted[kernel.id])
            label += f"\n{'>= ' if uncosted[kernel.id] else ''}{item.latency_s * 1e3:,.3f} ms, {bound_text}"
        attributes["label"] = label
        exported.add_node(kernel.id, **attributes)
    for source, target, data in report.kernels.graph.edges(data=True):
        exported.add_edge(source, target, **_tensor_attributes(data["tensors"]))
    return exported


def _macs_label(macs: int, uncosted: int, count: int) -> str:
    """Return the MACs line of a kernel's label, for a kernel with ``uncosted`` of its ``count`` nodes uncosted."""
    if uncosted == count:
        return "MACs unknown"
    return f"{'>= ' if uncosted else ''}{macs / 1e6:,.2f} M MACs"


def _finite_values(attributes: dict[str, object]) -> dict[str, object]:
    """Return ``attributes`` without the floats that are infinite or NaN."""
    return {name: value for name, value in attributes.items() if not (isinstance(value, float) and not math.isfinite(value))}


def _xml_safe(value: object) -> object:
    if isinstance(value, str):
        return _INVALID_XML.sub("\ufffd", value)
    return value


def graphml_text(graph: nx.DiGraph) -> str:
    """Return ``graph`` as GraphML, written by networkx.

    NOTE: control characters that XML 1.0 forbids (a node name could hold
    one) are written as U+FFFD, so such a name does not read back exactly.
    """
    safe = nx.DiGraph(**{key: _xml_safe(value) for key, value in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        safe.add_node(_xml_safe(node), **{key: _xml_safe(value) for key, value in data.items()})
    for source, target, data in graph.edges(data=True):
        safe.add_edge(_xml_safe(source), _xml_safe(target), **{key: _xml_safe(value) for key, value in data.items()})
    return "\n".join(nx.generate_graphml(safe)) + "\n"


def dot_quote(text: object) -> str:
    """Return ``text`` as a double-quoted DOT string.

    Backslashes and double quotes are escaped, and a newline becomes ``\\n``,
    which Graphviz shows as a line break in a label.
    """
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _dot_value(value: object) -> str:
    if isinstance(value, bool):
        return dot_quote("true" if value else "false")
    return dot_quote(value)


def _dot_attributes(attributes: dict[str, object]) -> str:
    parts = []
    for name, value in attributes.items():
        if value is None:
            continue
        if name == "label":
            # Graphviz reads HTML entities such as &amp; in labels; this keeps a literal & as typed.
            value = str(value).replace("&", "&amp;")
        parts.append(f"{name}={_dot_value(value)}")
    return ", ".join(parts)


def dot_text(graph: nx.DiGraph) -> str:
    """Return ``graph`` as Graphviz DOT, every node and edge attribute kept.

    Kernel graphs are filled by kernel class, in the colours of the HTML
    report's charts.
    """
    lines = [f"digraph {dot_quote(graph.graph.get('source', 'graphcost'))} {{"]
    graph_attributes = _dot_attributes(graph.graph)
    if graph_attributes:
        lines.append(f"  graph [{graph_attributes}];")
    lines.append('  node [shape=box, fontname="Helvetica", fontsize=10];')
    lines.append('  edge [fontname="Helvetica", fontsize=8];')
    for node, data in graph.nodes(data=True):
        attributes = dict(data)
        if "kernel_class" in attributes:
            attributes.update(style="filled", fillcolor=class_color(str(attributes["kernel_class"])) + "66")
        lines.append(f"  {dot_quote(node)} [{_dot_attributes(attributes)}];")
    for source, target, data in graph.edges(data=True):
        lines.append(f"  {dot_quote(source)} -> {dot_quote(target)} [{_dot_attributes(data)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def export_text(graph: nx.DiGraph, output_format: str) -> str:
    """Return ``graph`` in ``output_format``, one of EXPORT_FORMATS."""
    if output_format == "graphml":
        return graphml_text(graph)
    if output_format == "dot":
        return dot_text(graph)
    raise ValueError(f"unknown export format {output_format!r}; expected one of {', '.join(EXPORT_FORMATS)}")
