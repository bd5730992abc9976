"""Build options for the reference models and their validation."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import onnx

from graphcost.errors import GraphcostError

BN_STYLES = ("fold", "keep")
HSWISH_STYLES = ("op", "tf", "clip-div")
ACTIVATION_CHOICES = ("as-designed", "relu")

DEFAULT_OPSET = 17
# Clip takes its bounds as inputs from opset 11 on, which every ReLU6 here uses.
# HardSwish needs opset 14, which check_ops_in_opset enforces only for models
# that write a HardSwish node.
MIN_OPSET = 11
# Parameter counts grow with the square of the width and every weight is held
# in memory while the model is written, so the width is capped (4.0 gives
# about 16 times the parameters of 1.0).
MAX_WIDTH = 4.0
# The backbones downsample by 32, so smaller inputs shrink to 1x1 before the
# last stage.
MIN_RESOLUTION = 32


class ZooOptionError(GraphcostError):
    """A reference-model build option is invalid."""


@dataclass(frozen=True)
class BuildOptions:
    """How to build one reference model.

    ``width`` multiplies channel counts, ``resolution`` is the square input
    side in pixels and ``num_classes`` the class outputs per image (per anchor
    for SSDLite, background included).
    """

    width: float = 1.0
    resolution: int = 224
    num_classes: int = 1000
    bn: str = "fold"
    hswish: str = "op"
    activation: str = "as-designed"
    se: bool = True
    opset: int = DEFAULT_OPSET

    def replace(self, **changes: object) -> BuildOptions:
        return dataclasses.replace(self, **changes)

    @property
    def bn_folded(self) -> bool:
        return self.bn == "fold"

    def summary(self) -> str:
        """Return the options as one line for a model's doc string, e.g. 'width 1, 224x224 input, ...'."""
        return (
            f"width {self.width:g}, {self.resolution}x{self.resolution} input, {self.num_classes} classes, "
            f"bn {self.bn}, hswish {self.hswish}, activation {self.activation}, "
            f"SE {'on' if self.se else 'off'}, opset {self.opset}"
        )


def validate_options(options: BuildOptions) -> None:
    """Raise ZooOptionError naming the first invalid option and the accepted values."""
    if not (math.isfinite(options.width) and 0 < options.width <= MAX_WIDTH):
        raise ZooOptionError(
            f"invalid width {options.width}: use a multiplier greater than 0 and at most {MAX_WIDTH:g}, e.g. 1.0, 0.5 or 0.35"
        )
    if options.resolution < MIN_RESOLUTION:
        raise ZooOptionError(
            f"invalid resolution {options.resolution}: use an input side of at least {MIN_RESOLUTION} pixels, e.g. 224 or 320"
        )
    if options.num_classes < 1:
        raise ZooOptionError(f"invalid number of classes {options.num_classes}: use 1 or more")
    _check_choice("bn", options.bn, BN_STYLES)
    _check_choice("hswish", options.hswish, HSWISH_STYLES)
    _check_choice("activation", options.activation, ACTIVATION_CHOICES)

    max_opset = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= options.opset <= max_opset:
        raise ZooOptionError(
            f"invalid opset {options.opset}: use {MIN_OPSET} to {max_opset} (the installed onnx package supports up to {max_opset})"
        )


def check_ops_in_opset(name: str, model: onnx.ModelProto, options: BuildOptions) -> None:
    """Raise ZooOptionError if the built model ``name`` writes an op that its opset does not define.

    In practice only HardSwish (opset 14) can be too new, when ``--hswish op``
    builds a model with h-swish layers. HardSigmoid exists since opset 6, so
    MobileNetV2 and the all-ReLU MobileNetV3 build at every supported opset.
    """
    for op_type in sorted({node.op_type for node in model.graph.node}):
        try:
            onnx.defs.get_schema(op_type, options.opset)
        except onnx.defs.SchemaError:
            first_opset = _first_opset(op_type, options.opset)
            message = (
                f"{name} writes {op_type} nodes, which need opset {first_opset} or later, "
                f"but --opset is {options.opset}: use --opset {first_opset} or later"
            )
            if op_type == "HardSwish":
                message += ", or write h-swish with --hswish tf or --hswish clip-div"
            raise ZooOptionError(message) from None


def _first_opset(op_type: str, after: int) -> int:
    """Return the first opset after ``after`` that defines ``op_type`` in the default domain."""
    for opset in range(after + 1, onnx.defs.onnx_opset_version() + 1):
        try:
            onnx.defs.get_schema(op_type, opset)
        except onnx.defs.SchemaError:
            continue
        return opset
    raise ValueError(f"no opset up to {onnx.defs.onnx_opset_version()} defines {op_type}")


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ZooOptionError(f"invalid --{option} value {value!r}: use one of {', '.join(choices)}")
