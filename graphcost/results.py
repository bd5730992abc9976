"""Result dataclasses of an analysis: one row per node, totals, and what was not costed."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from graphcost.costs.registry import CostStatus

COUNTING_CONVENTION = (
    "macs: multiply-accumulates of convolutions and matrix products (Conv, ConvTranspose, Gemm, MatMul "
    "and their quantized forms, recurrent cells), the MobileNet papers' MAdds; BatchNormalization is "
    "counted as folded into the conv. elementwise_ops: every other arithmetic operation, comparison and "
    "transcendental evaluation (bias adds, activations, BatchNormalization, pooling, softmax), one per "
    "element per operation. param_count: elements of live weight tensors, each counted once. Bytes by "
    "each tensor's element type: read_bytes are run-time inputs read, weight_bytes stored constants read, "
    "write_bytes outputs written; bytes_moved is their sum. Nodes are 'costed', 'free' (shape bookkeeping "
    "or constants folded at load time) or 'uncosted': the op has no formula (its bytes are still counted), "
    "or a shape it needs is unknown (nothing counted); the reason field says which. The work of an uncosted "
    "node is unknown, so its macs and elementwise_ops are null."
)


@dataclass
class NodeCost:
    """Cost of one node of the graph.

    ``macs`` and ``elementwise_ops`` of an uncosted node are 0 so that sums
    over rows stay ints. Its work is unknown, so ``to_dict`` makes them None.
    """

    key: str
    onnx_name: str
    op_type: str
    domain: str
    status: CostStatus
    reason: str
    macs: int
    elementwise_ops: int
    param_count: int
    weight_bytes: int
    read_bytes: int
    write_bytes: int
    output_shapes: list[list[int] | None]
    output_dtype: str

    @property
    def bytes_moved(self) -> int:
        return self.read_bytes + self.weight_bytes + self.write_bytes

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = self.status.value
        data["bytes_moved"] = self.bytes_moved
        if self.status is CostStatus.UNCOSTED:
            data["macs"] = data["elementwise_ops"] = None
        return data


@dataclass
class CostSums:
    """Summed costs of a set of nodes."""

    macs: int = 0
    elementwise_ops: int = 0
    param_count: int = 0
    weight_bytes: int = 0
    read_bytes: int = 0
    write_bytes: int = 0
    node_count: int = 0

    @property
    def bytes_moved(self) -> int:
        return self.read_bytes + self.weight_bytes + self.write_bytes

    def add(self, row: NodeCost) -> None:
        self.macs += row.macs
        self.elementwise_ops += row.elementwise_ops
        self.param_count += row.param_count
        self.weight_bytes += row.weight_bytes
        self.read_bytes += row.read_bytes
        self.write_bytes += row.write_bytes
        self.node_count += 1

    def to_dict(self) -> dict:
        data = asdict(self)
        data["bytes_moved"] = self.bytes_moved
        return data


@dataclass
class Totals(CostSums):
    """Whole-model totals. ``weight_storage_bytes`` counts each stored weight once."""

    weight_storage_bytes: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class TensorSummary:
    name: str
    shape: list[int] | None
    dtype: str


@dataclass
class AnalysisReport:
    """Everything ``graphcost analyze`` reports about one model."""

    source: str
    ir_version: int
    opset: int
    producer: str
    inputs: list[TensorSummary]
    outputs: list[TensorSummary]
    rows: list[NodeCost]
    totals: Totals
    uncosted_op_types: dict[str, int]
    dead_nodes: list[str]
    unused_initializers: list[str]
    notes: list[str]
    checker_message: str | None
    patterns: Any = None  # PatternResult
    kernels: Any = None  # KernelResult
    latency: Any = None  # LatencyResult, when a hardware profile was given
    hardware: Any = None  # HardwareProfile
    convention: str = COUNTING_CONVENTION

    def by_op_type(self) -> dict[str, CostSums]:
        """Return summed costs per op type, ordered by MACs, then bytes moved."""
        groups: dict[str, CostSums] = {}
        for row in self.rows:
            groups.setdefault(row.op_type, CostSums()).add(row)
        return dict(sorted(groups.items(), key=lambda item: (-item[1].macs, -item[1].bytes_moved, item[0])))

    def assumptions(self) -> list[str]:
        """Return the notes of costed nodes whose cost rests on an assumption (If, Loop, bounds)."""
        return [f"{row.key}: {row.reason}" for row in self.rows if row.status is CostStatus.COSTED and row.reason]

    @property
    def totals_are_lower_bounds(self) -> bool:
        """True if some node, in the graph or in an If/Loop/Scan body, is uncosted.

        The MACs, element-wise operations and latency of an uncosted node are
        unknown and left out, so every total of them is a lower bound.
        """
        return bool(self.uncosted_op_types)

    def to_dict(self) -> dict:
        """Return the report as the dict ``--format json`` writes: unknown values are None, not 0."""
        data = {
            "model": {
                "source": self.source,
                "ir_version": self.ir_version,
                "opset": self.opset,
                "producer": self.producer,
                "inputs": [asdict(tensor) for tensor in self.inputs],
                "outputs": [asdict(tensor) for tensor in self.outputs],
            },
            "convention": self.convention,
            "totals": self.totals.to_dict(),
            "totals_are_lower_bounds": self.totals_are_lower_bounds,
            "by_op_type": {op_type: sums.to_dict() for op_type, sums in self.by_op_type().items()},
            "nodes": [row.to_dict() for row in self.rows],
            "uncosted_op_types": dict(self.uncosted_op_types),
            "assumptions": self.assumptions(),
            "dead_nodes": list(self.dead_nodes),
            "unused_initializers": list(self.unused_initializers),
            "notes": list(self.notes),
            "checker_message": self.checker_message,
            "patterns": self.patterns.to_dict() if self.patterns is not None else None,
            "kernels": self.kernels.to_dict() if self.kernels is not None else None,
            "latency": self.latency.to_dict() if self.latency is not None else None,
        }
        self._mark_uncosted(data)
        return data

    def _mark_uncosted(self, data: dict) -> None:
        """Mark in ``data`` the uncosted nodes of each kernel and op type, and set what they leave unknown to None.

        Each kernel and op type gets ``uncosted_nodes``, and each kernel a
        ``status``. A value that is unknown because of uncosted nodes (a '-'
        in the table) is None, in the kernel and in its latency entry.
        """
        by_op_type = Counter(row.op_type for row in self.rows if row.status is CostStatus.UNCOSTED)
        for op_type, sums in data["by_op_type"].items():
            sums["uncosted_nodes"] = by_op_type[op_type]
            _set_unknown_to_none(sums, unknown_group_fields(by_op_type[op_type], sums["node_count"]))
        if self.kernels is None:
            return
        uncosted = {kernel.id: kernel.uncosted_nodes for kernel in self.kernels.kernels}
        unknown = {kernel.id: unknown_group_fields(uncosted[kernel.id], len(kernel.nodes)) for kernel in self.kernels.kernels}
        for kernel in data["kernels"]["kernels"]:
            kernel["status"] = kernel_status(uncosted[kernel["id"]])
            kernel["uncosted_nodes"] = uncosted[kernel["id"]]
            _set_unknown_to_none(kernel, unknown[kernel["id"]])
        if data["latency"] is not None:
            for item in data["latency"]["kernels"]:
                _set_unknown_to_none(item, unknown[item["kernel_id"]])


def unknown_group_fields(uncosted: int, count: int) -> frozenset[str]:
    """Return the fields of a kernel or op type that are unknown because ``uncosted`` of its ``count`` nodes are.

    With every node uncosted, the work and compute time are unknown. With
    any, so are the FLOP/byte, which divides a partial work sum by partial
    bytes, and the bound, because the left-out work could change what
    limits the kernel. The other sums stay as lower bounds.
    """
    if uncosted == 0:
        return frozenset()
    if uncosted == count:
        return frozenset({"macs", "elementwise_ops", "compute_s", "arithmetic_intensity", "bound"})
    return frozenset({"arithmetic_intensity", "bound"})


def kernel_status(uncosted: int) -> str:
    """Return a kernel's status: 'uncosted' when it has an uncosted node, whose work it leaves out, else 'costed'."""
    return CostStatus.UNCOSTED.value if uncosted else CostStatus.COSTED.value


def _set_unknown_to_none(data: dict, unknown: frozenset[str]) -> None:
    for field_name in unknown & data.keys():
        data[field_name] = None


def count_statuses(rows: list[NodeCost]) -> dict[str, int]:
    counts = Counter(row.status.value for row in rows)
    return {status.value: counts.get(status.value, 0) for status in CostStatus}
