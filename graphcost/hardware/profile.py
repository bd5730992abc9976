"""Hardware profiles: one TOML file per device, validated on load.

Every number is a table ``{ value = ..., source = "..." }``: the source is a
datasheet or paper, or ``calibrated: ...`` with the command and data it was
fitted on. The schema is documented in docs/hardware_profiles.md.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from graphcost.errors import GraphcostError
from graphcost.kernels.rules import ACTIVATION_KINDS, SE_MODES, FusionRules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

KERNEL_CLASSES = (
    "conv",
    "conv_1x1",
    "conv_depthwise",
    "fc",
    "elementwise",
    "pooling",
    "squeeze_excite",
    "data_movement",
    "other",
)
# Optional efficiency of a conv or FC epilogue, priced as one operation per
# output value. Without it, the kernel's element-wise operations are priced
# at the ``elementwise`` efficiency.
EPILOGUE = "conv_epilogue"
DEVICE_KINDS = ("cpu", "gpu", "npu")
DTYPES = {"float32": 4, "float16": 2, "int8": 1}


class ProfileError(GraphcostError):
    """A hardware profile is missing, unreadable or has an invalid field."""


@dataclass(frozen=True)
class Sourced:
    """A number with the source it comes from."""

    value: float
    source: str


@dataclass(frozen=True)
class MemoryLevel:
    """One level of the memory hierarchy; the last level has no size limit."""

    name: str
    size_bytes: Sourced | None
    bandwidth_bytes_per_s: Sourced


@dataclass(frozen=True)
class NpuSection:
    """Accelerator limits: the ops it runs, its weight cache, and the cost of handing work to the CPU."""

    weight_cache_bytes: Sourced
    fallback: str
    transfer_bytes_per_s: Sourced
    transfer_overhead_s: Sourced


@dataclass(frozen=True)
class HardwareProfile:
    name: str
    kind: str
    description: str
    dtype: str
    macs_per_s: Sourced
    elementwise_ops_per_s: Sourced
    efficiency: dict[str, Sourced]
    memory: tuple[MemoryLevel, ...]
    overhead_per_kernel_s: Sourced
    fusion: FusionRules
    npu: NpuSection | None = None
    path: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def dtype_bytes(self) -> int:
        return DTYPES[self.dtype]

    def numbers(self) -> dict[str, Sourced]:
        """Return every sourced number keyed by its dotted field name."""
        numbers = {
            "compute.macs_per_s": self.macs_per_s,
            "compute.elementwise_ops_per_s": self.elementwise_ops_per_s,
            "overhead.per_kernel_s": self.overhead_per_kernel_s,
        }
        numbers.update({f"efficiency.{name}": value for name, value in self.efficiency.items()})
        for level in self.memory:
            if level.size_bytes is not None:
                numbers[f"memory.{level.name}.size_bytes"] = level.size_bytes
            numbers[f"memory.{level.name}.bandwidth_bytes_per_s"] = level.bandwidth_bytes_per_s
        if self.npu is not None:
            numbers["npu.weight_cache_bytes"] = self.npu.weight_cache_bytes
            numbers["npu.transfer_bytes_per_s"] = self.npu.transfer_bytes_per_s
            numbers["npu.transfer_overhead_s"] = self.npu.transfer_overhead_s
        return numbers


class _Reader:
    """Reads fields of one parsed profile, raising ProfileError that names file and field."""

    def __init__(self, data: dict, path: str):
        self.data = data
        self.path = path

    def fail(self, field_name: str, problem: str) -> ProfileError:
        return ProfileError(f"{self.path}: field '{field_name}' {problem}; fix the profile (see docs/hardware_profiles.md)")

    def table(self, container: dict, key: str, prefix: str, required: bool = True) -> dict | None:
        value = container.get(key)
        if value is None:
            if required:
                raise self.fail(f"{prefix}{key}", "is missing")
            return None
        if not isinstance(value, dict):
            raise self.fail(f"{prefix}{key}", f"must be a table, got {type(value).__name__}")
        return value

    def string(self, container: dict, key: str, prefix: str, choices=None) -> str:
        value = container.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{prefix}{key}", f"must be a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            raise self.fail(f"{prefix}{key}", f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def number(self, container: dict, key: str, prefix: str, unit: str, required: bool = True) -> Sourced | None:
        name = f"{prefix}{key}"
        entry = container.get(key)
        if entry is None:
            if required:
                raise self.fail(name, f"is missing (expected {{ value = <{unit}>, source = \"...\" }})")
            return None
        if not isinstance(entry, dict):
            raise self.fail(name, f"must be a table {{ value = <{unit}>, source = \"...\" }}, got {entry!r}")
        unknown = set(entry) - {"value", "source"}
        if unknown:
            raise self.fail(name, f"has unknown keys {sorted(unknown)}; expected value and source")
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise self.fail(f"{name}.value", f"must be a positive number ({unit}), got {value!r}")
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            raise self.fail(f"{name}.source", "must name a datasheet, paper or 'calibrated: <command and data>'")
        return Sourced(float(value), source.strip())

    def check_keys(self, container: dict, allowed: set[str], prefix: str) -> None:
        unknown = set(container) - allowed
        if unknown:
            raise self.fail(f"{prefix}{sorted(unknown)[0]}", f"is not a known field (known: {', '.join(sorted(allowed))})")


def _fusion(reader: _Reader, data: dict, name: str, supported_ops: frozenset[str] | None) -> FusionRules:
    section = reader.table(data, "fusion", "")
    reader.check_keys(
        section,
        {"conv_batchnorm", "conv_bias", "conv_activations", "conv_residual_add", "activation_kernel", "squeeze_excite"},
        "fusion.",
    )
    flags = {}
    for key, default in (("conv_batchnorm", True), ("conv_bias", True), ("conv_residual_add", False), ("activation_kernel", True)):
        value = section.get(key, default)
        if not isinstance(value, bool):
            raise reader.fail(f"fusion.{key}", f"must be true or false, got {value!r}")
        flags[key] = value
    activations = section.get("conv_activations", [])
    if not isinstance(activations, list) or any(item not in ACTIVATION_KINDS for item in activations):
        raise reader.fail("fusion.conv_activations", f"must be a list of {', '.join(sorted(ACTIVATION_KINDS))}, got {activations!r}")
    squeeze_excite = section.get("squeeze_excite", "separate")
    if squeeze_excite not in SE_MODES:
        raise reader.fail("fusion.squeeze_excite", f"must be one of {', '.join(SE_MODES)}, got {squeeze_excite!r}")
    return FusionRules(
        name=name,
        conv_activations=frozenset(activations),
        squeeze_excite=squeeze_excite,
        supported_ops=supported_ops,
        **flags,
    )


def _check_level_order(reader: _Reader, levels: list[MemoryLevel]) -> None:
    """Raise ProfileError unless every level's size_bytes is larger than the size of the level before it.

    The latency model places a working set in the first level it fits, so
    the levels must go from smallest to largest.
    """
    for index in range(1, len(levels)):
        previous, level = levels[index - 1], levels[index]
        if previous.size_bytes is None or level.size_bytes is None:
            continue
        if level.size_bytes.value <= previous.size_bytes.value:
            raise reader.fail(
                f"memory[{index}].size_bytes.value",
                f"must be larger than memory[{index - 1}].size_bytes ({previous.name}, {previous.size_bytes.value:.0f} bytes) "
                f"because levels go smallest first, got {level.size_bytes.value:.0f} bytes for {level.name}",
            )


def parse_profile(data: dict, path: str) -> HardwareProfile:
    """Validate parsed TOML ``data`` and return the profile."""
    reader = _Reader(data, path)
    reader.check_keys(data, {"device", "compute", "efficiency", "memory", "overhead", "fusion", "npu", "notes"}, "")
    device = reader.table(data, "device", "")
    reader.check_keys(device, {"name", "kind", "description", "dtype"}, "device.")
    compute = reader.table(data, "compute", "")
    reader.check_keys(compute, {"macs_per_s", "elementwise_ops_per_s"}, "compute.")
    efficiency_section = reader.table(data, "efficiency", "")
    reader.check_keys(efficiency_section, set(KERNEL_CLASSES) | {EPILOGUE}, "efficiency.")
    efficiency = {}
    for kernel_class in KERNEL_CLASSES + (EPILOGUE,):
        value = reader.number(efficiency_section, kernel_class, "efficiency.", "fraction of peak, 0 to 1", required=kernel_class != EPILOGUE)
        if value is None:
            continue
        if value.value > 1:
            raise reader.fail(f"efficiency.{kernel_class}.value", f"must be at most 1 (a fraction of peak), got {value.value}")
        efficiency[kernel_class] = value

    levels_data = data.get("memory")
    if not isinstance(levels_data, list) or not levels_data:
        raise reader.fail("memory", "must be a list of [[memory]] levels, smallest first, the last without size_bytes")
    levels = []
    for index, level in enumerate(levels_data):
        prefix = f"memory[{index}]."
        if not isinstance(level, dict):
            raise reader.fail(f"memory[{index}]", "must be a table")
        reader.check_keys(level, {"name", "size_bytes", "bandwidth_bytes_per_s"}, prefix)
        last = index == len(levels_data) - 1
        size = reader.number(level, "size_bytes", prefix, "bytes", required=not last)
        level_name = reader.string(level, "name", prefix)
        # Reports and calibration key the levels by name (memory.<name>.bandwidth_bytes_per_s).
        earlier = next((position for position, other in enumerate(levels) if other.name == level_name), None)
        if earlier is not None:
            raise reader.fail(
                f"{prefix}name", f"is '{level_name}', the name of memory[{earlier}] too; give each [[memory]] level its own name"
            )
        levels.append(MemoryLevel(level_name, size, reader.number(level, "bandwidth_bytes_per_s", prefix, "bytes/s")))
    _check_level_order(reader, levels)

    overhead = reader.table(data, "overhead", "")
    reader.check_keys(overhead, {"per_kernel_s"}, "overhead.")

    npu = None
    supported_ops = None
    npu_section = reader.table(data, "npu", "", required=False)
    if npu_section is not None:
        reader.check_keys(
            npu_section, {"supported_ops", "weight_cache_bytes", "fallback", "transfer_bytes_per_s", "transfer_overhead_s"}, "npu."
        )
        ops = npu_section.get("supported_ops")
        if not isinstance(ops, list) or not ops or not all(isinstance(op, str) for op in ops):
            raise reader.fail("npu.supported_ops", f"must be a non-empty list of ONNX op types, got {ops!r}")
        supported_ops = frozenset(ops)
        npu = NpuSection(
            weight_cache_bytes=reader.number(npu_section, "weight_cache_bytes", "npu.", "bytes"),
            fallback=reader.string(npu_section, "fallback", "npu."),
            transfer_bytes_per_s=reader.number(npu_section, "transfer_bytes_per_s", "npu.", "bytes/s"),
            transfer_overhead_s=reader.number(npu_section, "transfer_overhead_s", "npu.", "seconds"),
        )

    name = reader.string(device, "name", "device.")
    kind = reader.string(device, "kind", "device.", DEVICE_KINDS)
    if kind == "npu" and npu is None:
        raise reader.fail("npu", "is missing; a profile of kind npu needs an [npu] section with its supported ops and fallback")
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        raise reader.fail("notes", "must be a list of strings")
    return HardwareProfile(
        name=name,
        kind=kind,
        description=reader.string(device, "description", "device."),
        dtype=reader.string(device, "dtype", "device.", tuple(DTYPES)),
        macs_per_s=reader.number(compute, "macs_per_s", "compute.", "MAC/s"),
        elementwise_ops_per_s=reader.number(compute, "elementwise_ops_per_s", "compute.", "operations/s"),
        efficiency=efficiency,
        memory=tuple(levels),
        overhead_per_kernel_s=reader.number(overhead, "per_kernel_s", "overhead.", "seconds"),
        fusion=_fusion(reader, data, name, supported_ops),
        npu=npu,
        path=path,
        notes=tuple(notes),
    )


def path_of(name_or_path: str) -> Path:
    return Path(name_or_path)


def builtin_profile_names() -> list[str]:
    folder = resources.files("graphcost.hardware_profiles")
    return sorted(entry.name[: -len(".toml")] for entry in folder.iterdir() if entry.name.endswith(".toml"))


def load_profile(name_or_path: str) -> HardwareProfile:
    """Load a built-in profile by name (``pixel1-cpu``) or a profile file by path, with its fallback checked."""
    if not name_or_path.strip():
        # An empty string would otherwise be read as the path of the working directory.
        raise ProfileError(
            f"empty hardware profile name {name_or_path!r}; give a built-in name ({', '.join(builtin_profile_names())}) "
            "or the path of a .toml file"
        )
    profile, identity = _read_profile(name_or_path)
    if profile.npu is not None:
        _check_fallback(profile, identity)
    return profile


def _is_path(name_or_path: str) -> bool:
    """Return whether ``name_or_path`` is read as a file path rather than a built-in name."""
    return name_or_path.endswith(".toml") or "/" in name_or_path or Path(name_or_path).exists()


def _identity(name_or_path: str) -> str:
    """Return a key that is equal for every spelling of the same profile file or built-in name."""
    return str(Path(name_or_path).resolve()) if _is_path(name_or_path) else f"built-in {name_or_path}"


def _read_profile(name_or_path: str) -> tuple[HardwareProfile, str]:
    """Read and validate one profile without loading its fallback.

    Returns the profile, with a relative fallback path resolved, and its
    :func:`_identity`.
    """
    if _is_path(name_or_path):
        path = Path(name_or_path)
        if path.is_dir():
            raise ProfileError(f"{name_or_path}: is a directory; give the path of a .toml profile or a built-in name")
        if not path.is_file():
            raise ProfileError(f"{name_or_path}: profile file not found; give a built-in name ({', '.join(builtin_profile_names())}) or a .toml path")
        text_source, label = path.read_bytes, str(path)
    else:
        resource = resources.files("graphcost.hardware_profiles") / f"{name_or_path}.toml"
        if not resource.is_file():
            raise ProfileError(
                f"unknown hardware profile '{name_or_path}'; built-in profiles: {', '.join(builtin_profile_names())} "
                "(or give a path to a .toml file)"
            )
        text_source, label = resource.read_bytes, f"hardware_profiles/{name_or_path}.toml"
    try:
        data = tomllib.loads(text_source().decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ProfileError(f"{label}: not valid TOML ({error}); fix the syntax") from None
    profile = parse_profile(data, label)
    if profile.npu is not None:
        fallback = profile.npu.fallback
        if fallback.endswith(".toml") and not Path(fallback).is_absolute() and label == str(path_of(name_or_path)):
            # A relative fallback path is relative to the profile's own folder.
            fallback = str(Path(label).parent / fallback)
            profile = dataclasses.replace(profile, npu=dataclasses.replace(profile.npu, fallback=fallback))
    return profile, _identity(name_or_path)


def _check_fallback(profile: HardwareProfile, identity: str) -> None:
    """Raise ProfileError, naming the file and the field npu.fallback, unless the fallback is a loadable CPU profile.

    ``identity`` is the key of ``profile`` from :func:`_read_profile`. The
    fallback is read without its own fallback, so a profile that names
    itself, or two profiles that name each other, raise here instead of
    recursing without end.
    """
    fallback = profile.npu.fallback
    reader = _Reader({}, profile.path)
    try:
        fallback_profile, fallback_identity = _read_profile(fallback)
    except ProfileError as error:
        raise reader.fail(
            "npu.fallback", f"names '{fallback}', which cannot be loaded ({error}); give a built-in profile name or a .toml path"
        ) from None
    if fallback_identity == identity:
        raise reader.fail("npu.fallback", f"must not name this profile itself ('{fallback}'); name a CPU profile, such as pixel4-cpu")
    if fallback_profile.npu is not None and _identity(fallback_profile.npu.fallback) == identity:
        raise reader.fail(
            "npu.fallback",
            f"names '{fallback}', whose own npu.fallback names this profile, so the fallbacks form a cycle; "
            "name a CPU profile, such as pixel4-cpu",
        )
    # The fallback's prices are used for the ops the accelerator lacks, so
    # another accelerator, or a GPU, would price them at the wrong rates.
    if fallback_profile.kind != "cpu" or fallback_profile.npu is not None:
        found = f"kind {fallback_profile.kind}" + (" with an [npu] section" if fallback_profile.npu is not None else "")
        raise reader.fail(
            "npu.fallback",
            f"names '{fallback}', a profile of {found}, but the fallback must be a CPU profile (kind cpu, no [npu] section); "
            "name one, such as pixel4-cpu",
        )
