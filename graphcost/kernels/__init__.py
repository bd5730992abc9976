"""Kernel fusion: the op graph grouped into the kernels a device runs."""

from graphcost.kernels.fusion import Kernel, KernelResult, UnfusedPattern, build_kernels
from graphcost.kernels.rules import DEFAULT_FUSION, NO_FUSION, FusionRules

__all__ = ["DEFAULT_FUSION", "NO_FUSION", "FusionRules", "Kernel", "KernelResult", "UnfusedPattern", "build_kernels"]
