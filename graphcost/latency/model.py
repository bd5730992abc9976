"""Latency per kernel from a hardware profile: a roofline plus a fixed overhead.

For each kernel:

- compute time = MACs / (peak MAC/s x efficiency of its class)
  + element-wise operations / (peak element-wise ops/s x efficiency);
- memory time = bytes / bandwidth of the smallest memory level that contains
  the kernel's working set (its bytes moved); on an NPU, weights that fit the
  on-chip weight cache are read at on-chip bandwidth, the rest from DRAM;
- latency = max(compute, memory) + the per-kernel overhead.

Bytes of float tensors are scaled to the device's data type (a float32
model on an fp16 GPU moves half the bytes, on an int8 NPU a quarter);
integer tensors keep their sizes. An NPU kernel with an op
the device does not support runs on the fallback CPU profile, and every
tensor crossing between the two costs a transfer. A model quantized for the
accelerator stays quantized on the CPU, so fallback kernels and transfers
move the accelerator's bytes, at the CPU's rates.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from graphcost.hardware import HardwareProfile, load_profile
from graphcost.hardware.profile import EPILOGUE
from graphcost.kernels import Kernel, KernelResult
from graphcost.kernels.fusion import FLOAT_ELEMENT_BYTES, MAC_CLASSES
from graphcost.load import Model



@dataclass
class KernelLatency:
    """Latency estimate of one kernel and what bounds it."""

    kernel_id: str
    kernel_class: str
    device: str
    compute_s: float
    memory_s: float
    overhead_s: float
    transfer_s: float
    latency_s: float
    bound: str
    memory_level: str
    arithmetic_intensity: float
    scaled_bytes: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class LatencyResult:
    """Per-kernel latencies and the model total on one device."""

    profile: str
    kernels: list[KernelLatency]
    total_s: float
    by_class: dict[str, float] = field(default_factory=dict)
    fallback_kernels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "profile": self.profile,
            "total_s": self.total_s,
            "by_class_s": dict(self.by_class),
            "fallback_kernels": list(self.fallback_kernels),
            "kernels": [kernel.to_dict() for kernel in self.kernels],
        }


def byte_scale(model: Model, profile: HardwareProfile) -> float:
    """Return the factor from the model's float bytes to the device's data type bytes.

    A model in float32 run on an fp16 device moves half the bytes, on an
    int8 device a quarter. The factor applies to float tensors only (see
    ``kernel_scale``): integer tensors keep their sizes, so one QDQ pair in
    a float model changes the bytes of its own kernels and no others.
    """
    sizes = [FLOAT_ELEMENT_BYTES[t.elem_type] for t in model.tensors.values() if t.elem_type in FLOAT_ELEMENT_BYTES and not t.is_constant]
    if not sizes:
        return 1.0
    model_bytes = max(set(sizes), key=sizes.count)
    return min(1.0, profile.dtype_bytes / model_bytes)


def _memory_level(profile: HardwareProfile, working_set: float):
    for level in profile.memory:
        if level.size_bytes is None or working_set <= level.size_bytes.value:
            return level
    return profile.memory[-1]


@dataclass
class KernelTerms:
    """Units of work and traffic of one kernel, keyed by the profile parameter that prices them.

    Parameter keys: ``efficiency.<class>`` (MACs or element-wise operations)
    and ``memory.<level>`` (bytes). The latency model and the calibration fit
    share these terms, so both price a kernel the same way.
    """

    compute: dict[str, float]
    memory: dict[str, float]
    level: str
    scaled_bytes: float


def epilogue_operations(kernel: Kernel) -> float:
    """Return the epilogue operations of a conv or FC kernel on a profile with ``conv_epilogue``: one per output value.

    A CPU kernel adds the bias and clamps each output while it is still in
    registers, whether or not an activation is fused. TensorFlow Lite's
    float Conv2D and DepthwiseConv2D kernels clamp every output, to the
    whole float range when there is no activation. So the epilogue costs
    the same per output value for a linear projection as for ReLU6. A kernel
    whose output shape is unknown falls back to its element-wise operations.
    """
    if not kernel.output_shapes or any(shape is None for shape in kernel.output_shapes):
        return float(kernel.elementwise_ops)
    return float(sum(math.prod(shape) for shape in kernel.output_shapes))


def kernel_terms(
    kernel: Kernel, profile: HardwareProfile, scale: float, hot_bytes: float = 0.0, cached_weight_bytes: float = 0.0
) -> KernelTerms:
    """Split ``kernel`` into priced units on ``profile``.

    ``hot_bytes`` are input bytes the previous kernel has just written and
    that fit the first memory level, so they are read from it, not from the
    level the whole working set needs. ``cached_weight_bytes`` are weights
    held in an accelerator's on-chip cache.
    """
    scale, weight_factor = kernel_scale(kernel, scale), weight_scale(kernel, scale)
    compute: dict[str, float] = {}
    if kernel.kernel_class in MAC_CLASSES:
        compute[f"efficiency.{kernel.kernel_class}"] = kernel.macs
        if EPILOGUE in profile.efficiency:
            compute[f"efficiency.{EPILOGUE}"] = epilogue_operations(kernel)
        else:
            compute["efficiency.elementwise"] = kernel.elementwise_ops
    else:
        compute[f"efficiency.{kernel.kernel_class}"] = kernel.elementwise_ops
    activation_bytes = (kernel.read_bytes + kernel.write_bytes) * scale
    weight_bytes = kernel.weight_bytes * weight_factor
    level = _memory_level(profile, activation_bytes + weight_bytes)
    first = profile.memory[0].name
    hot = min(hot_bytes * scale, kernel.read_bytes * scale)
    cached = min(cached_weight_bytes, weight_bytes)
    memory: dict[str, float] = {}
    memory[f"memory.{first}"] = hot + cached
    memory[f"memory.{level.name}"] = memory.get(f"memory.{level.name}", 0.0) + activation_bytes - hot + weight_bytes - cached
    return KernelTerms(compute, memory, level.name, activation_bytes + weight_bytes)


def kernel_scale(kernel: Kernel, scale: float) -> float:
    """Return the byte factor of ``kernel``'s run-time tensors: ``scale`` on the float ones, 1 on the integer ones.

    A fused int8 conv keeps its sizes, a float kernel takes the device's
    factor, and a DequantizeLinear (integer in, float out) falls in between.
    """
    return 1.0 - kernel.float_fraction + kernel.float_fraction * scale


def weight_scale(kernel: Kernel, scale: float) -> float:
    """Return the byte factor of ``kernel``'s weights: 1 in a quantized kernel, whose weights are stored as integers, else ``scale``."""
    return 1.0 if kernel.quantized else scale


def _tensor_scale(tensor, scale: float) -> float:
    """Return the byte factor of one tensor: ``scale`` for a float tensor, 1 for an integer one."""
    return scale if tensor.elem_type in FLOAT_ELEMENT_BYTES else 1.0


def seconds_per_unit(profile: HardwareProfile) -> dict[str, float]:
    """Return the price of each unit: seconds per MAC or operation per class, per byte per level."""
    prices = {}
    for name, efficiency in profile.efficiency.items():
        peak = profile.macs_per_s.value if name in MAC_CLASSES else profile.elementwise_ops_per_s.value
        prices[f"efficiency.{name}"] = 1.0 / (peak * efficiency.value)
    for level in profile.memory:
        prices[f"memory.{level.name}"] = 1.0 / level.bandwidth_bytes_per_s.value
    return prices


def price(terms: dict[str, float], prices: dict[str, float]) -> float:
    return sum(prices[name] * units for name, units in terms.items())


def hot_input_bytes(kernels: KernelResult, profile: HardwareProfile, scale: float) -> dict[str, float]:
    """Return, per kernel, the bytes it reads from the kernel just before it, when they fit the first level."""
    first = profile.memory[0]
    hot: dict[str, float] = {}
    for previous, kernel in zip(kernels.kernels, kernels.kernels[1:]):
        if not kernels.graph.has_edge(previous.id, kernel.id):
            continue
        size = sum(tensor.nbytes or 0 for tensor in kernels.graph.edges[previous.id, kernel.id]["tensors"])
        if first.size_bytes is None or size * kernel_scale(kernel, scale) <= first.size_bytes.value:
            hot[kernel.id] = size
    return hot


def _bound(compute_s: float, memory_s: float, overhead_s: float, transfer_s: float = 0.0) -> str:
    """Return the largest part of a kernel's latency: transfer, overhead, compute or memory."""
    if transfer_s > max(compute_s, memory_s, overhead_s):
        return "transfer"
    if overhead_s > max(compute_s, memory_s):
        return "overhead"
    return "compute" if compute_s >= memory_s else "memory"


def _intensity(kernel: Kernel, scaled_bytes: int) -> float:
    # FLOPs per byte: 2 per MAC plus the element-wise operations.
    return (2 * kernel.macs + kernel.elementwise_ops) / scaled_bytes if scaled_bytes else float("inf")


def estimate_latency(model: Model, kernels: KernelResult, profile: HardwareProfile) -> LatencyResult:
    """Estimate the latency of every kernel of ``model`` on ``profile``."""
    scale = byte_scale(model, profile)
    prices = seconds_per_unit(profile)
    hot = hot_input_bytes(kernels, profile, scale)
    fallback = load_profile(profile.npu.fallback) if profile.npu is not None else None
    on_fallback = set()
    if fallback is not None:
        on_fallback = {kernel.id for kernel in kernels.kernels if not all(profile.fusion.supports(op) for op in kernel.op_types)}
        fallback_scale = scale
        fallback_prices = seconds_per_unit(fallback)
    cache_left = profile.npu.weight_cache_bytes.value if profile.npu is not None else 0.0

    results: list[KernelLatency] = []
    for kernel in kernels.kernels:
        if kernel.id in on_fallback:
            terms = kernel_terms(kernel, fallback, fallback_scale)
            compute_s, memory_s = price(terms.compute, fallback_prices), price(terms.memory, fallback_prices)
            overhead_s = fallback.overhead_per_kernel_s.value
            transfer_s = _transfer_time(kernels, kernel, on_fallback, profile, fallback_scale)
            device = fallback.name
        else:
            cached = 0.0
            if profile.npu is not None:
                # Parameters are cached on chip in execution order until the cache is full.
                cached = min(kernel.weight_bytes * weight_scale(kernel, scale), cache_left)
                cache_left -= cached
            terms = kernel_terms(kernel, profile, scale, hot.get(kernel.id, 0.0), cached)
            compute_s, memory_s = price(terms.compute, prices), price(terms.memory, prices)
            overhead_s = profile.overhead_per_kernel_s.value
            transfer_s = 0.0
            device = profile.name
        latency_s = max(compute_s, memory_s) + overhead_s + transfer_s
        scaled = int(round(terms.scaled_bytes))
        results.append(
            KernelLatency(
                kernel_id=kernel.id,
                kernel_class=kernel.kernel_class,
                device=device,
                compute_s=compute_s,
                memory_s=memory_s,
                overhead_s=overhead_s,
                transfer_s=transfer_s,
                latency_s=latency_s,
                # Work left out by an uncosted node could change what limits the kernel.
                bound="unknown" if kernel.uncosted_nodes else _bound(compute_s, memory_s, overhead_s, transfer_s),
                memory_level=terms.level,
                arithmetic_intensity=_intensity(kernel, scaled),
                scaled_bytes=scaled,
            )
        )
    by_class: dict[str, float] = {}
    for result in results:
        by_class[result.kernel_class] = by_class.get(result.kernel_class, 0.0) + result.latency_s
    return LatencyResult(
        profile=profile.name,
        kernels=results,
        total_s=sum(result.latency_s for result in results),
        by_class=dict(sorted(by_class.items(), key=lambda item: -item[1])),
        fallback_kernels=[kernel.id for kernel in kernels.kernels if kernel.id in on_fallback],
    )


def _transfer_time(kernels: KernelResult, kernel: Kernel, on_fallback: set[str], profile: HardwareProfile, scale: float) -> float:
    """Cost of moving tensors between the accelerator and the CPU around a fallback kernel.

    Each tensor arriving from an accelerator kernel or leaving to one is
    copied once, at the transfer bandwidth plus a fixed overhead per tensor.
    """
    npu = profile.npu
    crossings: dict[str, tuple[int, float]] = {}  # tensor name -> (bytes, byte factor)
    for producer in kernels.graph.predecessors(kernel.id):
        if producer not in on_fallback:
            for tensor in kernels.graph.edges[producer, kernel.id]["tensors"]:
                crossings[tensor.name] = (tensor.nbytes or 0, _tensor_scale(tensor, scale))
    for consumer in kernels.graph.successors(kernel.id):
        if consumer not in on_fallback:
            for tensor in kernels.graph.edges[kernel.id, consumer]["tensors"]:
                crossings[tensor.name] = (tensor.nbytes or 0, _tensor_scale(tensor, scale))
    total_bytes = sum(size * factor for size, factor in crossings.values())
    return total_bytes / npu.transfer_bytes_per_s.value + len(crossings) * npu.transfer_overhead_s.value
