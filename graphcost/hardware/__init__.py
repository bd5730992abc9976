"""Hardware profiles: what a device computes, how fast, and what it fuses."""

from graphcost.hardware.profile import (
    KERNEL_CLASSES,
    HardwareProfile,
    MemoryLevel,
    ProfileError,
    Sourced,
    builtin_profile_names,
    load_profile,
    parse_profile,
)

__all__ = [
    "KERNEL_CLASSES",
    "HardwareProfile",
    "MemoryLevel",
    "ProfileError",
    "Sourced",
    "builtin_profile_names",
    "load_profile",
    "parse_profile",
]
