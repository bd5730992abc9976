"""ReLU6 and the clamps exporters write it as.

ReLU6(x) = min(max(x, 0), 6). Exporters write it as Clip(x, 0, 6), with the
bounds as attributes before opset 11 and as inputs from opset 11 on. Others
write it as two element-wise ops: Min(Relu(x), 6), Relu(Min(x, 6)),
Min(Max(x, 0), 6) or Max(Min(x, 6), 0). The constant operand of Min and Max
may come first or second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import permutations

from graphcost.patterns.base import GraphView, NoMatch, Rejected, is_close

# Clip before opset 11 defaults its bounds to the lowest and highest float,
# so a bound at or beyond these is no bound.
_FLOAT_MAX = 3.4028234663852886e38


@dataclass(frozen=True)
class Clamp:
    """A clamp of ``input`` to [``low``, ``high``] by ``nodes``. A missing bound is None.

    ``template`` is the written form with ``{low}`` and ``{high}`` in place
    of the bounds, such as ``Min(Max(x, {low}), {high})``.
    """

    input: str
    nodes: tuple[str, ...]
    low: float | None
    high: float | None
    template: str

    def form(self, low: str = "0", high: str = "6") -> str:
        return self.template.format(low=low, high=high)

    def written_form(self) -> str:
        """Return the form with the bounds the model has, such as ``Clip(x, 0, 5)``."""
        return self.form(_format_bound(self.low), _format_bound(self.high))


def _format_bound(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _clip_bounds(view: GraphView, key: str) -> tuple[float | None, float | None]:
    """Return the bounds of the Clip ``key``, or raise NoMatch if a bound is not a constant of one value."""
    if view.model.opset < 11:
        low, high = view.attr(key, "min"), view.attr(key, "max")
    else:
        inputs = view.inputs(key)
        low_name = inputs[1] if len(inputs) > 1 else ""
        high_name = inputs[2] if len(inputs) > 2 else ""
        low = view.scalar(low_name) if low_name else None
        high = view.scalar(high_name) if high_name else None
        for name, value in ((low_name, low), (high_name, high)):
            if name and value is None:
                raise NoMatch(f"Clip bound '{name}' is not a constant of one value")
    if low is not None and (math.isnan(low) or low <= -_FLOAT_MAX):
        low = None
    if high is not None and (math.isnan(high) or high >= _FLOAT_MAX):
        high = None
    return low, high


def _constant_operand(view: GraphView, key: str) -> tuple[str, float] | None:
    """For a binary ``key`` with one run-time operand and one constant of one value, return both."""
    inputs = view.inputs(key)
    if len(inputs) != 2:
        return None
    for operand, constant in permutations(inputs):
        value = view.scalar(constant)
        if value is not None and view.is_constant(constant) and not view.is_constant(operand):
            return operand, value
    return None


def _match_min_or_max(view: GraphView, key: str) -> Clamp:
    """Match Min(Relu(x), b), Min(Max(x, a), b) or Max(Min(x, b), a) ending at ``key``."""
    op = view.op(key)
    outer = _constant_operand(view, key)
    if outer is None:
        raise NoMatch(f"{op} does not take one run-time tensor and one constant")
    operand, outer_bound = outer
    inner = view.producer(operand)
    if op == "Min" and view.op(inner) == "Relu":
        return Clamp(view.inputs(inner)[0], (inner, key), 0.0, outer_bound, "Min(Relu(x), {high})")
    inner_op = "Max" if op == "Min" else "Min"
    if view.op(inner) != inner_op:
        raise NoMatch(f"{op} does not read the output of {'Max or Relu' if op == 'Min' else 'Min'}")
    inner_operands = _constant_operand(view, inner)
    if inner_operands is None:
        raise NoMatch(f"{inner_op} does not take one run-time tensor and one constant")
    x, inner_bound = inner_operands
    if op == "Min":
        return Clamp(x, (inner, key), inner_bound, outer_bound, "Min(Max(x, {low}), {high})")
    return Clamp(x, (inner, key), outer_bound, inner_bound, "Max(Min(x, {high}), {low})")


def match_clamp(view: GraphView, tensor: str) -> Clamp:
    """Match ``tensor`` as a clamp written by Clip, Min and Max, or Relu and Min, with constant bounds."""
    key = view.producer(tensor)
    op = view.op(key)
    if op == "Clip":
        low, high = _clip_bounds(view, key)
        return Clamp(view.inputs(key)[0], (key,), low, high, "Clip(x, {low}, {high})")
    if op in ("Min", "Max"):
        return _match_min_or_max(view, key)
    if op == "Relu":
        inner = view.producer_of_op(view.inputs(key)[0], "Min")
        operands = None if inner is None else _constant_operand(view, inner)
        if operands is None:
            raise NoMatch("Relu does not read Min(x, constant)")
        x, high = operands
        return Clamp(x, (inner, key), 0.0, high, "Relu(Min(x, {high}))")
    raise NoMatch(f"'{tensor}' is not made by Clip, Min, Max or Relu")


def match_relu6(view: GraphView, tensor: str) -> tuple[str, list[str], str]:
    """Match ``tensor`` = ReLU6(x) written as any clamp to [0, 6], and return ``(x, nodes, form)``."""
    clamp = match_clamp(view, tensor)
    if clamp.low is None and clamp.template.startswith("Clip"):
        raise Rejected("Clip has no lower bound, so it is not ReLU6")
    if not (is_close(clamp.low, 0.0) and is_close(clamp.high, 6.0)):
        raise Rejected(f"{clamp.written_form()} does not clamp to (0, 6)")
    return clamp.input, list(clamp.nodes), clamp.form()
