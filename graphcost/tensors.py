"""Tensor metadata: shape, element type, byte size, and the role a tensor plays."""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass

import onnx

# Bits per element for types that numpy cannot size (sub-byte and string types).
_SUB_BYTE_BITS = {
    name: bits
    for name, bits in (
        ("INT4", 4),
        ("UINT4", 4),
        ("FLOAT4E2M1", 4),
        ("INT2", 2),
        ("UINT2", 2),
    )
    if hasattr(onnx.TensorProto, name)
}


@functools.lru_cache(maxsize=None)
def element_bits(elem_type: int) -> int | None:
    """Return the storage bits per element of an ONNX element type, or None if unknown.

    Strings have no fixed size, so they return None.
    """
    name = onnx.TensorProto.DataType.Name(elem_type) if elem_type else "UNDEFINED"
    if name in _SUB_BYTE_BITS:
        return _SUB_BYTE_BITS[name]
    if name in ("UNDEFINED", "STRING"):
        return None
    return onnx.helper.tensor_dtype_to_np_dtype(elem_type).itemsize * 8


def dtype_name(elem_type: int) -> str:
    """Return the short lower-case name of an ONNX element type, e.g. ``float32``."""
    if not elem_type:
        return "unknown"
    name = onnx.TensorProto.DataType.Name(elem_type)
    return {"FLOAT": "float32", "DOUBLE": "float64", "FLOAT16": "float16"}.get(name, name.lower())


class TensorKind(str, enum.Enum):
    """Origin of a tensor's value."""

    INPUT = "input"  # a runtime input of the graph
    ACTIVATION = "activation"  # computed at run time by a node
    INITIALIZER = "initializer"  # stored in the model as an initializer
    CONSTANT = "constant"  # made by a Constant node or folded from constants
    SHAPE = "shape"  # computed from shapes only, known before run time


@dataclass
class TensorInfo:
    """One tensor of the graph.

    ``shape`` is None when no pass could infer it. ``upper_bound`` is True when
    the shape is an upper bound for a data-dependent output (NonZero,
    NonMaxSuppression, TopK with a computed k), not an exact size.
    """

    name: str
    elem_type: int
    shape: tuple[int, ...] | None
    kind: TensorKind
    upper_bound: bool = False

    @property
    def dtype(self) -> str:
        return dtype_name(self.elem_type)

    @property
    def is_constant(self) -> bool:
        """True when the value is known before run time (weights, constants, shape arithmetic)."""
        return self.kind in (TensorKind.INITIALIZER, TensorKind.CONSTANT, TensorKind.SHAPE)

    @property
    def numel(self) -> int | None:
        if self.shape is None:
            return None
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int | None:
        """Storage size in bytes, rounded up for sub-byte types; None if shape or type is unknown."""
        bits = element_bits(self.elem_type)
        if bits is None or self.shape is None:
            return None
        return (math.prod(self.shape) * bits + 7) // 8

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "shape": list(self.shape) if self.shape is not None else None,
            "dtype": self.dtype,
            "bytes": self.nbytes,
            "kind": self.kind.value,
            "upper_bound": self.upper_bound,
        }
