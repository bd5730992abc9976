"""Per-op cost formulas. Importing this package registers all of them."""

from graphcost.costs import (  # noqa: F401 - imported to register their formulas
    control_flow,
    conv,
    einsum,
    elementwise,
    linear,
    movement,
    normalization,
    pooling,
    recurrent,
)
from graphcost.costs.context import MissingShapeError, NodeContext, ShapeMismatchError
from graphcost.costs.registry import CONTROL_INPUTS, COST_FUNCTIONS, CostStatus, OpCost, lookup, register

__all__ = [
    "CONTROL_INPUTS",
    "COST_FUNCTIONS",
    "CostStatus",
    "MissingShapeError",
    "NodeContext",
    "ShapeMismatchError",
    "OpCost",
    "lookup",
    "register",
]
