"""Group the op graph into the kernels a device runs, and cost each kernel.

Patterns find what may fuse, and the device's FusionRules decide what does. A
tensor made and read only inside one kernel costs no memory traffic. A
kernel writes every tensor that a node outside it reads, or that is a graph
output. Layers and activations fuse only across tensors with a single
reader (the pattern matchers check this), because a tensor read elsewhere
must be written out anyway and the saving a fusion exists for is lost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import networkx as nx
import onnx

from graphcost.costs import CostStatus
from graphcost.kernels.rules import QDQ_OPS, FusionRules
from graphcost.load import Model
from graphcost.patterns import PatternMatch, PatternResult
from graphcost.patterns.base import GraphView
from graphcost.patterns.layers import conv_kind
from graphcost.results import NodeCost

_POOLING_OPS = frozenset(
    {"MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "ReduceMean", "ReduceSum",
     "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
     "ReduceSumSquare", "ArgMax", "ArgMin", "Softmax", "LogSoftmax", "TopK"}
)
_MOVEMENT_OPS = frozenset(
    {"Transpose", "Concat", "Split", "Slice", "Pad", "Gather", "GatherElements", "GatherND", "Expand", "Tile",
     "DepthToSpace", "SpaceToDepth", "Resize", "Upsample", "ScatterND", "ScatterElements", "Cast", "CastLike"}
)
_ACTIVATION_KINDS = ("h_swish", "h_sigmoid", "swish", "relu6")
# Kernel classes priced by their MACs. Every other class is priced by its element-wise operations.
MAC_CLASSES = ("conv", "conv_1x1", "conv_depthwise", "fc")
# Float element types and their sizes in bytes: the tensors a device's data type rescales.
FLOAT_ELEMENT_BYTES = {
    onnx.TensorProto.FLOAT: 4,
    onnx.TensorProto.FLOAT16: 2,
    onnx.TensorProto.DOUBLE: 8,
    onnx.TensorProto.BFLOAT16: 2,
}
_CONV_CLASSES = {"pointwise": "conv_1x1", "depthwise": "conv_depthwise", "regular": "conv"}


@dataclass
class Kernel:
    """One kernel: the ops a device runs as one pass, with their summed work and traffic."""

    id: str
    nodes: list[str]
    op_types: list[str]
    kernel_class: str
    label: str
    macs: int = 0
    elementwise_ops: int = 0
    param_count: int = 0
    read_bytes: int = 0
    weight_bytes: int = 0
    write_bytes: int = 0
    output_shapes: list[list[int] | None] = field(default_factory=list)
    # Share of float tensors in the run-time bytes the kernel reads and writes: the part a device's data type rescales.
    float_fraction: float = 1.0
    # Member nodes without a cost: their work is missing from the sums, which are then lower bounds.
    uncosted_nodes: int = 0

    @property
    def bytes_moved(self) -> int:
        return self.read_bytes + self.weight_bytes + self.write_bytes

    @property
    def quantized(self) -> bool:
        """True for an integer kernel: one that contains a QuantizeLinear, DequantizeLinear, QLinear or Integer op."""
        return any(op in QDQ_OPS or op.startswith("QLinear") or op.endswith("Integer") for op in self.op_types)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["bytes_moved"] = self.bytes_moved
        return data


@dataclass(frozen=True)
class UnfusedPattern:
    """A pattern the device runs as more than one kernel, and why."""

    kind: str
    anchor: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class KernelResult:
    rules: FusionRules
    kernels: list[Kernel]
    graph: nx.DiGraph
    unfused: list[UnfusedPattern]

    def to_dict(self) -> dict:
        return {
            "fusion_rules": self.rules.name,
            "bytes_moved": sum(kernel.bytes_moved for kernel in self.kernels),
            "kernels": [kernel.to_dict() for kernel in self.kernels],
            "unfused_patterns": [item.to_dict() for item in self.unfused],
        }


class _Groups:
    """Union-find over node keys; each root is one kernel, with its member list kept current."""

    def __init__(self, nodes: list[str]):
        self.parent = {node: node for node in nodes}
        self._members = {node: [node] for node in nodes}

    def find(self, node: str) -> str:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, nodes: list[str]) -> None:
        roots = list(dict.fromkeys(self.find(node) for node in nodes if node in self.parent))
        for root in roots[1:]:
            self.parent[root] = roots[0]
            self._members[roots[0]].extend(self._members.pop(root))

    def same(self, first: str, second: str) -> bool:
        return self.find(first) == self.find(second)

    def members(self, node: str) -> list[str]:
        return list(self._members[self.find(node)])


class _Fuser:
    def __init__(self, model: Model, rows: dict[str, NodeCost], patterns: PatternResult, rules: FusionRules):
        self.model = model
        self.rows = rows
        self.patterns = patterns
        self.rules = rules
        self.graph = model.graph
        self.order = [key for key in model.nodes_in_order() if key in rows]
        self.groups = _Groups(self.order)
        self.unfused: list[UnfusedPattern] = []
        self.bn_folded: dict[str, str] = {}  # BatchNormalization node -> its conv
        self.layer_nodes: set[str] = set()  # nodes fused into a conv or FC kernel
        self.se_kernels: set[str] = set()  # an SE node of each SE run as one kernel
        self.view = GraphView(model)
        self.readers: dict[str, list[str]] = {}
        self.producers = {name: key for key in self.order for name in self.graph.nodes[key]["outputs"] if name}
        for key in self.order:
            for name in self.graph.nodes[key]["inputs"]:
                if name and key not in self.readers.setdefault(name, []):
                    self.readers[name].append(key)

    def op(self, key: str) -> str:
        return self.graph.nodes[key]["op_type"]

    def unsupported(self, nodes) -> str | None:
        for key in nodes:
            if not self.rules.supports(self.op(key)):
                return self.op(key)
        return None

    def try_merge(self, kind: str, anchor: str, kernel: list[str], addition: list[str], missing_rule: str | None) -> bool:
        """Merge ``addition`` into ``kernel`` if the rules allow; else record why not."""
        if missing_rule is not None:
            self.unfused.append(UnfusedPattern(kind, anchor, f"no rule on this device: {missing_rule}"))
            return False
        op = self.unsupported(addition + kernel)
        # NOTE: an activation whose ops all fall back runs as one kernel on the
        # fallback CPU, assuming that CPU fuses multi-op activations as the shipped ones do.
        all_fall_back = kind in _ACTIVATION_KINDS and all(not self.rules.supports(self.op(key)) for key in addition + kernel)
        if op is not None and not all_fall_back:
            self.unfused.append(UnfusedPattern(kind, anchor, f"op {op} not supported on this device"))
            return False
        self.groups.union(kernel + addition)
        kernel.extend(addition)
        return True

    def fuse_layer(self, match: PatternMatch) -> None:
        details = match.details
        conv = match.nodes[0]
        rest = list(match.nodes[1:])
        kernel = [conv]
        if details["batchnorm"]:
            bn = rest.pop(0)
            rule = None if self.rules.conv_batchnorm else "BatchNormalization folded into the conv"
            if not self.try_merge(match.kind, conv, kernel, [bn], rule):
                return
            self.bn_folded[bn] = conv
        if details["bias"] and details["op"] == "MatMul":
            bias = rest.pop(0)
            rule = None if self.rules.conv_bias else "bias add in the MatMul epilogue"
            if not self.try_merge(match.kind, conv, kernel, [bias], rule):
                return
        if rest:
            activation = details["activation"]
            rule = None if activation in self.rules.conv_activations else f"{activation} in the {details['op']} epilogue"
            self.try_merge(match.kind, conv, kernel, rest, rule)
        if len(kernel) > 1:
            self.layer_nodes.update(kernel)
        if details.get("activation_not_absorbed"):
            self.unfused.append(UnfusedPattern(match.kind, conv, details["activation_not_absorbed"]))

    def fuse_residual(self, layer_outputs: dict[str, str]) -> None:
        """Fuse an Add into the conv kernel whose output it alone reads."""
        in_activations = {node for match in self.patterns.matches if match.kind in _ACTIVATION_KINDS for node in match.nodes}
        for key in self.order:
            inputs = [name for name in self.graph.nodes[key]["inputs"] if name]
            # A residual Add sums two run-time tensors; x + 3 inside an h-sigmoid is not one.
            if self.op(key) != "Add" or key in in_activations or len(inputs) != 2:
                continue
            if any(self.model.tensors[name].is_constant for name in inputs):
                continue
            for tensor in inputs:
                conv = layer_outputs.get(tensor)
                if conv is None or self.groups.same(conv, key) or self.readers.get(tensor) != [key]:
                    continue
                rule = None if self.rules.conv_residual_add else "residual Add in the conv epilogue"
                kernel = self.groups.members(conv)
                if self.try_merge("residual_add", key, kernel, [key], rule):
                    break

    def fuse_quantization(self) -> None:
        """Fold each DequantizeLinear into the kernel that alone reads it, and each QuantizeLinear into its producer's."""
        for key in self.order:
            op = self.op(key)
            if op == "DequantizeLinear":
                output = self.graph.nodes[key]["outputs"][0]
                readers = self.readers.get(output, [])
                if readers and not self.model.tensors[output].is_constant and all(self.groups.same(readers[0], r) for r in readers):
                    self.groups.union([readers[0], key])
            elif op == "QuantizeLinear":
                source = self.graph.nodes[key]["inputs"][0]
                producer = self.producers.get(source)
                if producer is not None and self.readers.get(source) == [key] and self.op(producer) not in ("QuantizeLinear", "DequantizeLinear"):
                    self.groups.union([producer, key])

    def fuse_squeeze_excite(self, match: PatternMatch) -> None:
        members = [node for node in match.nodes if node in self.groups.parent]
        rule = None if self.rules.squeeze_excite == "one_kernel" else "squeeze-excite as one kernel"
        if self.try_merge("squeeze_excite", match.nodes[-1], [members[0]], members[1:], rule):
            self.se_kernels.add(members[0])

    def run(self) -> KernelResult:
        layer_outputs: dict[str, str] = {}
        for match in self.patterns.matches:
            if match.kind in ("conv_block", "fc_block"):
                self.fuse_layer(match)
        for match in self.patterns.matches:
            if match.kind in ("h_swish", "h_sigmoid", "swish", "relu6") and len(match.nodes) > 1:
                self._fuse_standalone_activation(match)
        for match in self.patterns.matches:
            if match.kind in ("conv_block", "fc_block"):
                members = [node for node in match.nodes if self.groups.same(node, match.nodes[0])]
                layer_outputs[self.graph.nodes[members[-1]]["outputs"][0]] = match.nodes[0]
        self.fuse_residual(layer_outputs)
        for match in self.patterns.of_kind("squeeze_excite"):
            self.fuse_squeeze_excite(match)
        if self.rules.qdq:
            self.fuse_quantization()
        for rejection in self.patterns.rejections:
            if rejection.shared:
                self.unfused.append(UnfusedPattern(rejection.kind, rejection.anchor, f"intermediate consumed elsewhere: {rejection.reason}"))
        return self.build()

    def _fuse_standalone_activation(self, match: PatternMatch) -> None:
        if self.layer_nodes & set(match.nodes):
            return  # already in a conv or FC kernel
        rule = None if self.rules.activation_kernel else f"{match.kind} as one element-wise kernel"
        self.try_merge(match.kind, match.nodes[-1], [match.nodes[0]], list(match.nodes[1:]), rule)

    def build(self) -> KernelResult:
        self.se_roots = {self.groups.find(node) for node in self.se_kernels}
        members: dict[str, list[str]] = {}
        for key in self.order:
            members.setdefault(self.groups.find(key), []).append(key)  # execution order within each kernel
        kernels: list[Kernel] = []
        kernel_of: dict[str, str] = {}
        for nodes in members.values():
            costed = [key for key in nodes if self.rows[key].status is not CostStatus.FREE]
            if not costed:
                continue
            kernel = self._kernel(f"k{len(kernels)}", nodes)
            kernels.append(kernel)
            for key in nodes:
                kernel_of[key] = kernel.id
        kernels.sort(key=lambda kernel: self.graph.nodes[kernel.nodes[0]]["index"])
        graph = nx.DiGraph()
        for kernel in kernels:
            graph.add_node(kernel.id, kernel=kernel)
        sources_of = self._kernels_upstream(kernel_of)
        for producer, consumer, data in self.graph.edges(data=True):
            target = kernel_of.get(consumer)
            if target is None:
                continue
            for source in sources_of(producer):
                if source == target:
                    continue
                if not graph.has_edge(source, target):
                    graph.add_edge(source, target, tensors=[])
                carried = graph.edges[source, target]["tensors"]
                # Two ops of one kernel may read the same tensor; the edge carries it once.
                carried.extend(tensor for tensor in data["tensors"] if all(tensor.name != other.name for other in carried))
        return KernelResult(self.rules, kernels, graph, self.unfused)

    def _kernels_upstream(self, kernel_of: dict[str, str]):
        """Return a function from a node to the kernels whose data reaches it.

        A node in a kernel maps to that kernel. A known-free node (Reshape,
        Flatten, Squeeze) belongs to no kernel, so it maps to the kernels
        upstream of it. The kernel graph thus connects a conv to the Gemm
        behind its Flatten, and an edge carries the tensor its consumer reads.
        """
        found: dict[str, set[str]] = {}

        def sources(node: str) -> set[str]:
            if node in kernel_of:
                return {kernel_of[node]}
            if node not in self.rows:
                return set()
            if node not in found:
                found[node] = set()
                # Iterative walk upstream through free nodes, so long chains cannot exhaust the stack.
                stack, seen = [node], {node}
                while stack:
                    current = stack.pop()
                    for parent in self.graph.predecessors(current):
                        if parent in kernel_of:
                            found[node].add(kernel_of[parent])
                        elif parent in self.rows and parent not in seen:
                            seen.add(parent)
                            stack.append(parent)
            return found[node]

        return sources

    def _kernel(self, kernel_id: str, nodes: list[str]) -> Kernel:
        rows = [self.rows[key] for key in nodes]
        op_types = [row.op_type for row in rows if row.status is not CostStatus.FREE]
        kernel = Kernel(kernel_id, nodes, op_types, self._class_of(nodes), "+".join(op_types))
        mac_kernel = kernel.kernel_class in MAC_CLASSES
        for row in rows:
            kernel.macs += row.macs
            # An int8 conv or matrix multiply works on the integers themselves: dequantizing
            # its input and requantizing its output are not separate passes over the data.
            if not (mac_kernel and row.op_type in QDQ_OPS):
                kernel.elementwise_ops += row.elementwise_ops
            kernel.param_count += row.param_count
            kernel.weight_bytes += row.weight_bytes
        kernel.float_fraction = self._float_fraction(nodes)
        kernel.uncosted_nodes = sum(1 for row in rows if row.status is CostStatus.UNCOSTED)
        if len(nodes) == 1:
            kernel.read_bytes, kernel.write_bytes = rows[0].read_bytes, rows[0].write_bytes
            kernel.output_shapes = rows[0].output_shapes
            return kernel
        self._fold_batchnorm(kernel, nodes)
        self._boundary_traffic(kernel, nodes)
        return kernel

    def _float_fraction(self, nodes: list[str]) -> float:
        """Return the share of float tensors in the run-time bytes the kernel reads and writes, weights left out.

        A fused int8 conv reads and writes integers, so its share is 0; a
        DequantizeLinear reads integers and writes floats, so its share is in between.
        """
        members = set(nodes)
        produced = {name for key in nodes for name in self.graph.nodes[key]["outputs"] if name}
        boundary = {name for key in nodes for name in self.graph.nodes[key]["inputs"] if name and name not in produced}
        graph_outputs = set(self.model.outputs)
        for name in produced:
            if name in graph_outputs or any(reader not in members for reader in self.readers.get(name, [])) or len(nodes) == 1:
                boundary.add(name)
        float_bytes = total = 0
        for name in boundary:
            info = self.model.tensors.get(name)
            if info is None or not info.nbytes or info.is_constant:
                continue
            total += info.nbytes
            if info.elem_type in FLOAT_ELEMENT_BYTES:
                float_bytes += info.nbytes
        return float_bytes / total if total else 1.0

    def _fold_batchnorm(self, kernel: Kernel, nodes: list[str]) -> None:
        """Replace a folded BN's four per-channel tensors and its work by the conv's bias."""
        for key in nodes:
            conv = self.bn_folded.get(key)
            if conv is None:
                continue
            bn_row, conv_data = self.rows[key], self.graph.nodes[conv]
            kernel.weight_bytes -= bn_row.weight_bytes
            kernel.param_count -= bn_row.param_count
            kernel.elementwise_ops -= bn_row.elementwise_ops
            has_bias = len(conv_data["inputs"]) > 2 and bool(conv_data["inputs"][2])
            if not has_bias:
                # The folded BN leaves one bias per output channel and one add per output element.
                output = self.model.tensors[conv_data["outputs"][0]]
                channels = output.shape[1] if output.shape and len(output.shape) > 1 else 1
                kernel.weight_bytes += channels * (output.nbytes // max(output.numel, 1))
                kernel.param_count += channels
                kernel.elementwise_ops += output.numel

    def _boundary_traffic(self, kernel: Kernel, nodes: list[str]) -> None:
        """Read each outside run-time tensor once; write each tensor read outside or output."""
        member_set = set(nodes)
        produced = {name for key in nodes for name in self.graph.nodes[key]["outputs"] if name}
        read: set[str] = set()
        for key in nodes:
            for name in self.graph.nodes[key]["inputs"]:
                info = self.model.tensors.get(name) if name else None
                if info is None or name in produced or info.is_constant or name in read:
                    continue
                read.add(name)
                kernel.read_bytes += info.nbytes or 0
        graph_outputs = set(self.model.outputs)
        for key in nodes:
            for name in self.graph.nodes[key]["outputs"]:
                if not name:
                    continue
                outside = any(reader not in member_set for reader in self.readers.get(name, []))
                if outside or name in graph_outputs:
                    info = self.model.tensors[name]
                    kernel.write_bytes += info.nbytes or 0
                    kernel.output_shapes.append(list(info.shape) if info.shape is not None else None)

    def _class_of(self, nodes: list[str]) -> str:
        if self.groups.find(nodes[0]) in self.se_roots:
            return "squeeze_excite"
        ops = [self.op(key) for key in nodes if self.rows[key].status is not CostStatus.FREE]
        for key in nodes:
            op = self.op(key)
            if op in ("Conv", "ConvInteger", "QLinearConv"):
                return _CONV_CLASSES[conv_kind(self.view, key)]
            if op in ("Gemm", "MatMul", "MatMulInteger", "QLinearMatMul"):
                return "fc"
            if op == "Einsum" and self.rows[key].macs:
                return "fc"  # a contraction
        if ops == ["Einsum"] and not self.rows[nodes[0]].elementwise_ops:
            return "data_movement"  # no MACs and no arithmetic: a transpose
        if any(op in _POOLING_OPS for op in ops):
            return "pooling"
        if ops and all(op in _MOVEMENT_OPS for op in ops):
            return "data_movement"
        if any(self.rows[key].status is CostStatus.UNCOSTED for key in nodes):
            return "other"
        return "elementwise"


def build_kernels(model: Model, rows: list[NodeCost], patterns: PatternResult, rules: FusionRules) -> KernelResult:
    """Group the live nodes of ``model`` into kernels by ``patterns`` and the device's ``rules``."""
    return _Fuser(model, {row.key: row for row in rows}, patterns, rules).run()
