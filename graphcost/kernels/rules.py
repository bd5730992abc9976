"""Fusion rules: the producer -> consumer chains a device runs as one kernel."""

from __future__ import annotations

from dataclasses import dataclass, field

ACTIVATION_KINDS = frozenset(
    {"relu", "relu6", "h_swish", "h_sigmoid", "leaky_relu", "sigmoid", "swish", "tanh", "elu", "prelu"}
)
SE_MODES = ("separate", "one_kernel")
QDQ_OPS = frozenset({"QuantizeLinear", "DequantizeLinear"})


@dataclass(frozen=True)
class FusionRules:
    """A device's fusion capabilities.

    - ``conv_batchnorm``: BatchNormalization after a conv or FC is folded into it.
    - ``conv_bias``: a MatMul's bias Add runs in the product's epilogue.
    - ``conv_activations``: activation kinds run in the epilogue of a conv or FC.
    - ``conv_residual_add``: a residual Add after a conv runs in its epilogue.
    - ``activation_kernel``: an activation written as several ops (h-swish,
      h-sigmoid, swish, ReLU6 as Min and Max) and not fused into a conv runs
      as one element-wise kernel. Without the rule, each op is its own kernel.
    - ``squeeze_excite``: ``separate`` (pool, the two projections and the
      multiply as their own kernels) or ``one_kernel``.
    - ``qdq``: in a quantized (QDQ) model, the DequantizeLinear nodes before
      an op and the QuantizeLinear after it run inside the op's kernel, which
      then reads and writes int8 tensors, as runtimes fold them into
      quantized kernels.
    - ``supported_ops``: op types the device runs; None means all. Nodes of
      other ops never fuse. QuantizeLinear and DequantizeLinear count as
      supported, since they only describe how tensors are quantized.
    """

    name: str
    conv_batchnorm: bool = True
    conv_bias: bool = True
    conv_activations: frozenset[str] = field(default_factory=frozenset)
    conv_residual_add: bool = False
    activation_kernel: bool = True
    squeeze_excite: str = "separate"
    supported_ops: frozenset[str] | None = None
    qdq: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.conv_activations) - ACTIVATION_KINDS
        if unknown:
            raise ValueError(f"unknown activation kinds {sorted(unknown)}; known: {sorted(ACTIVATION_KINDS)}")
        if self.squeeze_excite not in SE_MODES:
            raise ValueError(f"squeeze_excite must be one of {SE_MODES}, got {self.squeeze_excite!r}")

    def supports(self, op_type: str) -> bool:
        return self.supported_ops is None or op_type in self.supported_ops or op_type in QDQ_OPS


# The built-in default: a mobile CPU runtime in the manner of TensorFlow Lite,
# whose conv and fully connected kernels apply a fused activation from its
# TfLiteFusedActivation list (ReLU, ReLU-1, ReLU6, tanh, sign bit, sigmoid)
# and which runs HARD_SWISH as an op of its own.
DEFAULT_FUSION = FusionRules(
    name="default",
    conv_activations=frozenset({"relu", "relu6", "tanh", "sigmoid"}),
)

# One kernel per node: the op graph as written.
NO_FUSION = FusionRules(
    name="no-fusion",
    conv_batchnorm=False,
    conv_bias=False,
    conv_activations=frozenset(),
    activation_kernel=False,
    qdq=False,
)
