"""The cost registry: one pure function per ONNX op type, registered once."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from graphcost.costs.context import NodeContext


class CostStatus(str, enum.Enum):
    """Status of a node: costed, free or uncosted."""

    COSTED = "costed"  # a formula computed its work and traffic
    FREE = "free"  # shape bookkeeping or folded constants: no work, no traffic
    UNCOSTED = "uncosted"  # no formula (bytes still counted) or a needed shape is unknown (nothing counted)


@dataclass
class OpCost:
    """Cost of one node. Byte fields left as None take the default rule.

    The default rule: ``read_bytes`` is the size of the run-time inputs,
    ``weight_bytes`` the size of the stored constants behind the other
    inputs, ``write_bytes`` the size of the outputs. Inputs listed in
    ``CONTROL_INPUTS`` (shapes, axes, bounds) are in neither.
    """

    macs: int = 0
    elementwise_ops: int = 0
    status: CostStatus = CostStatus.COSTED
    reason: str = ""
    read_bytes: int | None = None
    weight_bytes: int | None = None
    write_bytes: int | None = None


CostFunction = Callable[[NodeContext], OpCost]
COST_FUNCTIONS: dict[tuple[str, str], CostFunction] = {}

# Input positions that carry shapes, axes, bounds or indices: not weights and
# not counted as parameters. Clip's bounds are here because exporters store
# ReLU6 as Clip(x, 0, 6) with two scalar constants per activation.
CONTROL_INPUTS: dict[str, frozenset[int]] = {
    op_type: frozenset(indices)
    for op_type, indices in {
        "Reshape": (1,),
        "Expand": (1,),
        "Tile": (1,),
        "Slice": (1, 2, 3, 4),
        "Pad": (1, 2, 3),
        "Resize": (1, 2, 3),
        "Upsample": (1,),
        "Clip": (1, 2),
        "Split": (1,),
        "Squeeze": (1,),
        "Unsqueeze": (1,),
        "ReduceMean": (1,),
        "ReduceSum": (1,),
        "ReduceMax": (1,),
        "ReduceMin": (1,),
        "ReduceProd": (1,),
        "ReduceL1": (1,),
        "ReduceL2": (1,),
        "ReduceLogSum": (1,),
        "ReduceLogSumExp": (1,),
        "ReduceSumSquare": (1,),
        "TopK": (1,),
        "NonMaxSuppression": (2, 3, 4),
        "ConstantOfShape": (0,),
        "Gather": (1,),
        "GatherElements": (1,),
        "GatherND": (1,),
        "ScatterND": (1,),
        "ScatterElements": (1,),
        "OneHot": (1,),
        "Range": (0, 1, 2),
        "CumSum": (1,),
        "Trilu": (1,),
        "Dropout": (1, 2),
        "Loop": (0, 1),
        "If": (0,),
        "Compress": (1,),
        "RNN": (4,),
        "GRU": (4,),
        "LSTM": (4,),
    }.items()
}


def register(*op_types: str, domain: str = "") -> Callable[[CostFunction], CostFunction]:
    """Register ``function`` as the cost formula of ``op_types`` in ``domain``."""

    def decorator(function: CostFunction) -> CostFunction:
        for op_type in op_types:
            key = (domain, op_type)
            if key in COST_FUNCTIONS:
                raise ValueError(f"cost function for {domain or 'ai.onnx'}::{op_type} registered twice")
            COST_FUNCTIONS[key] = function
        return function

    return decorator


def lookup(domain: str, op_type: str) -> CostFunction | None:
    return COST_FUNCTIONS.get(("" if domain == "ai.onnx" else domain, op_type))
