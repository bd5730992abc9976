"""Cost every live node of a loaded model and sum the results into a report."""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import numpy_helper

from graphcost.costs import CONTROL_INPUTS, CostStatus, MissingShapeError, NodeContext, OpCost, ShapeMismatchError, lookup
from graphcost.errors import ShapeError
from graphcost.gcpause import collector_paused
from graphcost.hardware import HardwareProfile, load_profile
from graphcost.kernels import DEFAULT_FUSION, FusionRules, build_kernels
from graphcost.latency import estimate_latency
from graphcost.load import Model, load
from graphcost.patterns import find_patterns
from graphcost.load.reader import STANDARD_DOMAINS
from graphcost.results import AnalysisReport, NodeCost, TensorSummary, Totals, count_statuses
from graphcost.shapes.folding import MAX_FOLDED_ELEMENTS, ValueFolder
from graphcost.tensors import TensorInfo, TensorKind

logger = logging.getLogger(__name__)

FOLDED_REASON = "constant-folded: computed once from stored constants when the model is loaded"
SHAPE_REASON = "shape arithmetic: computed from static shapes before run time"


@dataclass
class SubgraphCost:
    """Summed cost of an If/Loop/Scan body.

    ``assumptions`` has one "node: reason" line for each costed node of the
    body whose cost rests on an assumption, such as a nested If or Loop.
    """

    macs: int = 0
    elementwise_ops: int = 0
    read_bytes: int = 0
    weight_bytes: int = 0
    write_bytes: int = 0
    assumptions: list[str] = field(default_factory=list)

    @property
    def bytes_moved(self) -> int:
        return self.read_bytes + self.weight_bytes + self.write_bytes


class _Coster:
    """Applies the cost registry to the nodes of one model, subgraphs included."""

    def __init__(self, model: Model):
        self.model = model
        self.values = model.shape_result.values
        self.uncosted: Counter[str] = Counter()
        self._roots: dict[str, frozenset[str]] = {}
        self._claimed: set[str] = set()
        self.subgraph_roots: list[str] = []  # weights read inside the If/Loop/Scan bodies costed so far
        self._producers = {
            name: key for key, data in model.graph.nodes(data=True) for name in data["outputs"] if name
        }

    def tensor(self, name: str) -> TensorInfo | None:
        """Return the TensorInfo of ``name``; subgraph tensors are made from the shape result."""
        if not name:
            return None
        info = self.model.tensors.get(name)
        if info is None:
            shapes = self.model.shape_result
            info = TensorInfo(name, shapes.elem_types.get(name, 0), shapes.shapes.get(name), TensorKind.ACTIVATION)
            self.model.tensors[name] = info
        return info

    def weight_roots(self, name: str) -> frozenset[str]:
        """Return the stored constants (initializers, Constant outputs) a constant tensor is made from."""
        if name in self._roots:
            return self._roots[name]
        producer = self._producers.get(name)
        if producer is None or self.model.graph.nodes[producer]["op_type"] == "Constant":
            roots = frozenset({name})
        else:
            data = self.model.graph.nodes[producer]
            control = CONTROL_INPUTS.get(data["op_type"], frozenset())
            roots = frozenset().union(
                *(self.weight_roots(n) for i, n in enumerate(data["inputs"]) if n and i not in control)
            )
        self._roots[name] = roots
        return roots

    def _default_bytes(self, node: onnx.NodeProto, inputs: list[TensorInfo | None], outputs) -> tuple[int, int, int, list[str]]:
        """Return (read, weight, write bytes, weight roots) by the default traffic rule."""
        control = CONTROL_INPUTS.get(node.op_type, frozenset())
        read = weight = 0
        roots: list[str] = []
        for index, tensor in enumerate(inputs):
            if tensor is None:
                continue
            if tensor.is_constant:
                if index in control:
                    continue
                tensor_roots = self.weight_roots(tensor.name)
                if not tensor_roots:
                    # Made from shapes alone (ConstantOfShape, Range): read, but not a parameter.
                    weight += tensor.nbytes or 0
                for root in sorted(tensor_roots):
                    root_info = self.model.tensors.get(root)
                    weight += (root_info.nbytes or 0) if root_info else 0
                    roots.append(root)
            else:
                read += tensor.nbytes or 0
        write = sum(tensor.nbytes or 0 for tensor in outputs if tensor is not None)
        return read, weight, write, roots

    def cost_node(
        self, node: onnx.NodeProto, key: str | None = None
    ) -> tuple[OpCost, list[str], list[TensorInfo | None], list[TensorInfo | None]]:
        """Cost one node; return the cost, the weight roots it reads, and its tensors.

        Errors name the node by ``key``, its key in the graph. An unnamed node
        inside a subgraph has no key, so errors name its op type instead.
        """
        inputs = [self.tensor(name) for name in node.input]
        outputs = [self.tensor(name) for name in node.output]
        read, weight, write, roots = self._default_bytes(node, inputs, outputs)
        cost = self._formula_cost(node, inputs, outputs, key or node.name or node.op_type)
        if cost.status is CostStatus.FREE:
            return cost, [], inputs, outputs
        cost.read_bytes = read if cost.read_bytes is None else cost.read_bytes
        cost.weight_bytes = weight if cost.weight_bytes is None else cost.weight_bytes
        cost.write_bytes = write if cost.write_bytes is None else cost.write_bytes
        return cost, roots, inputs, outputs

    def _formula_cost(self, node: onnx.NodeProto, inputs, outputs, label: str) -> OpCost:
        produced = [tensor for tensor in outputs if tensor is not None]
        if node.op_type not in ("If", "Loop", "Scan") and produced:
            if all(tensor.kind is TensorKind.CONSTANT for tensor in produced):
                return OpCost(status=CostStatus.FREE, reason=FOLDED_REASON, read_bytes=0, weight_bytes=0, write_bytes=0)
            if all(tensor.kind is TensorKind.SHAPE for tensor in produced):
                return OpCost(status=CostStatus.FREE, reason=SHAPE_REASON, read_bytes=0, weight_bytes=0, write_bytes=0)
        if node.domain not in STANDARD_DOMAINS:
            return OpCost(status=CostStatus.UNCOSTED, reason=f"custom op of domain '{node.domain}': no cost formula")
        function = lookup(node.domain, node.op_type)
        if function is None:
            return OpCost(status=CostStatus.UNCOSTED, reason=f"no compute formula for {node.op_type}; bytes counted")
        context = NodeContext(
            node=node,
            opset=self.model.opset,
            inputs=inputs,
            outputs=outputs,
            values=self.values,
            cost_subgraph=self.cost_subgraph,
        )
        try:
            return function(context)
        except MissingShapeError as error:
            return OpCost(status=CostStatus.UNCOSTED, reason=f"shape of tensor '{error.tensor_name}' is unknown")
        except ShapeMismatchError as error:
            raise ShapeError(
                f"{self.model.source}: node '{label}' ({node.op_type}): {error}; the model's shapes are "
                "inconsistent, so check the input shapes (--input-shape, or input_shapes in Python) against the model's inputs"
            ) from None

    def cost_subgraph(self, graph: onnx.GraphProto) -> SubgraphCost:
        """Sum the costs of the nodes of an If/Loop/Scan body.

        While the body is costed, ``self.values`` contains the values known in the
        body's scope, so a nested Loop finds a trip count defined there.
        """
        outer_values = self.values
        self.values = self._scope_values(graph, outer_values)
        try:
            return self._sum_subgraph(graph)
        finally:
            self.values = outer_values

    def _scope_values(self, graph: onnx.GraphProto, outer_values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Return the values known before run time inside ``graph``.

        These are the enclosing scope's values, less those the body's inputs
        hide, plus the body's small initializers and its folded nodes.
        """
        hidden = {info.name for info in graph.input}
        folder = ValueFolder(list(self.model.proto.opset_import))
        folder.values = {name: value for name, value in outer_values.items() if name not in hidden}
        for initializer in graph.initializer:
            if initializer.name in hidden or initializer.data_location == onnx.TensorProto.EXTERNAL:
                continue
            if math.prod(initializer.dims) > MAX_FOLDED_ELEMENTS:
                continue
            try:
                folder.values[initializer.name] = numpy_helper.to_array(initializer)
            except ValueError:
                continue  # stored without data: its data is external or was left out of the working copy
        for node in graph.node:
            folder.fold(node, self.model.shape_result.shapes)
        return folder.values

    def _sum_subgraph(self, graph: onnx.GraphProto) -> SubgraphCost:
        total = SubgraphCost()
        for node in graph.node:
            cost, roots, _, _ = self.cost_node(node)
            self.subgraph_roots.extend(roots)
            if cost.status is CostStatus.UNCOSTED:
                self.uncosted[node.op_type] += 1
            elif cost.status is CostStatus.COSTED and cost.reason:
                first_output = node.output[0] if node.output else ""
                label = node.name or f"{node.op_type} with output '{first_output}'"
                total.assumptions.append(f"{label}: {cost.reason}")
            total.macs += cost.macs
            total.elementwise_ops += cost.elementwise_ops
            total.read_bytes += cost.read_bytes or 0
            total.weight_bytes += cost.weight_bytes or 0
            total.write_bytes += cost.write_bytes or 0
        return total

    def claim_params(self, roots: list[str]) -> tuple[int, int]:
        """Claim weights not yet counted; return their (elements, bytes)."""
        count = size = 0
        for root in roots:
            if root in self._claimed:
                continue
            self._claimed.add(root)
            info = self.model.tensors.get(root)
            if info is not None:
                count += info.numel or 0
                size += info.nbytes or 0
        return count, size


def _summary(model: Model, name: str) -> TensorSummary:
    info = model.tensors.get(name)
    if info is None:
        return TensorSummary(name, None, "unknown")
    return TensorSummary(name, list(info.shape) if info.shape is not None else None, info.dtype)


def analyze_model(model: Model, fusion: FusionRules | None = None, hw: HardwareProfile | str | None = None) -> AnalysisReport:
    """Cost every live node of ``model``, find its patterns, group it into kernels and time them.

    Each node's cost is also stored as its graph attribute ``cost``. ``hw`` is
    a hardware profile (or its name or path): it sets the fusion rules and
    adds a latency estimate. ``fusion`` overrides the fusion rules; without
    either, the built-in default rules apply and no latency is estimated.
    """
    with collector_paused():
        return _analyze_model(model, fusion, hw)


def _analyze_model(model: Model, fusion: FusionRules | None, hw: HardwareProfile | str | None) -> AnalysisReport:
    profile = load_profile(hw) if isinstance(hw, str) else hw
    if fusion is None:
        fusion = profile.fusion if profile is not None else DEFAULT_FUSION
    coster = _Coster(model)
    rows: list[NodeCost] = []
    totals = Totals()
    for key in model.nodes_in_order():
        data = model.graph.nodes[key]
        if not data["live"]:
            continue
        coster.subgraph_roots = []
        cost, roots, _, outputs = coster.cost_node(data["proto"], key)
        if cost.status is CostStatus.UNCOSTED:
            coster.uncosted[data["op_type"]] += 1
        # Weights of both If branches are stored, so both count as parameters.
        param_count, param_bytes = coster.claim_params(roots + coster.subgraph_roots)
        row = NodeCost(
            key=key,
            onnx_name=data["onnx_name"],
            op_type=data["op_type"],
            domain=data["domain"],
            status=cost.status,
            reason=cost.reason,
            macs=cost.macs,
            elementwise_ops=cost.elementwise_ops,
            param_count=param_count,
            weight_bytes=cost.weight_bytes or 0,
            read_bytes=cost.read_bytes or 0,
            write_bytes=cost.write_bytes or 0,
            output_shapes=[list(t.shape) if t is not None and t.shape is not None else None for t in outputs],
            output_dtype=next((t.dtype for t in outputs if t is not None), "unknown"),
        )
        data["cost"] = row
        rows.append(row)
        totals.add(row)
        totals.weight_storage_bytes += param_bytes
    totals.status_counts = count_statuses(rows)
    if coster.uncosted:
        summary = ", ".join(f"{op} x{count}" for op, count in sorted(coster.uncosted.items()))
        logger.warning(
            "%s: %d nodes are uncosted (no cost formula, or an unknown shape), so the totals are lower bounds: %s",
            model.source,
            sum(coster.uncosted.values()),
            summary,
        )
    patterns = find_patterns(model)
    kernels = build_kernels(model, rows, patterns, fusion)
    latency = estimate_latency(model, kernels, profile) if profile is not None else None
    return AnalysisReport(
        source=model.source,
        ir_version=model.proto.ir_version,
        opset=model.opset,
        producer=" ".join(part for part in (model.proto.producer_name, model.proto.producer_version) if part),
        inputs=[_summary(model, name) for name in model.inputs],
        outputs=[_summary(model, name) for name in model.outputs],
        rows=rows,
        totals=totals,
        uncosted_op_types=dict(sorted(coster.uncosted.items())),
        dead_nodes=list(model.dead_nodes),
        unused_initializers=list(model.unused_initializers),
        notes=list(model.notes),
        checker_message=model.checker_message,
        patterns=patterns,
        kernels=kernels,
        latency=latency,
        hardware=profile,
    )


def analyze(path_or_model, input_shapes=None, fusion: FusionRules | None = None, hw=None) -> AnalysisReport:
    """Load (if given a path or ModelProto) and analyze a model.

    >>> report = analyze("mobilenet_v2.onnx")  # doctest: +SKIP
    >>> report.totals.macs  # doctest: +SKIP
    300774272
    """
    model = path_or_model if isinstance(path_or_model, Model) else load(path_or_model, input_shapes)
    return analyze_model(model, fusion, hw)
