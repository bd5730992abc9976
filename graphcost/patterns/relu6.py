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

    def form(self, low: str = "0", high: str = "6", argument: str = "x") -> str:
        return self.template.format(low=low, high=high).replace("(x", f"({argument}", 1)

    def written_form(self, argument: str = "x") -> str:
        """Return the form with the bounds the model has, such as ``Clip(x, 0, 5)``."""
        return self.form(_format_bound(self.low), _format_bound(self.high), argument)


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


def _match_min_or_max(view: GraphView, key: str) -> Clamp:
    """Match Min(Relu(x), b), Min(Max(x, a), b) or Max(Min(x, b), a) ending at ``key``."""
    op = view.op(key)
    outer = view.constant_operand(key)
    if outer is None:
        raise NoMatch(f"{op} does not take one run-time tensor and one constant")
    operand, outer_bound = outer
    inner = view.producer(operand)
    if op == "Min" and view.op(inner) == "Relu":
        return Clamp(view.inputs(inner)[0], (inner, key), 0.0, outer_bound, "Min(Relu(x), {high})")
    inner_op = "Max" if op == "Min" else "Min"
    if view.op(inner) != inner_op:
        raise NoMatch(f"{op} does not read the output of {'Max or Relu' if op == 'Min' else 'Min'}")
    inner_operands = view.constant_operand(inner)
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
        operands = None if inner is None else view.constant_operand(inner)
        if operands is None:
            raise NoMatch("Relu does not read Min(x, constant)")
        x, high = operands
        return Clamp(x, (inner, key), 0.0, high, "Relu(Min(x, {high}))")
    raise NoMatch(f"'{tensor}' is not made by Clip, Min, Max or Relu")


def relu6_bounds_reason(clamp: Clamp, argument: str = "x") -> str | None:
    """Return why the bounds of ``clamp`` are not ReLU6's (0, 6), naming each bound that differs, or None.

    ``argument`` is how the reason writes the clamped tensor, such as ``x + 3``.
    """
    low_matches = is_close(clamp.low, 0.0)
    high_matches = is_close(clamp.high, 6.0)
    written = clamp.written_form(argument)
    if low_matches and high_matches:
        return None
    if low_matches and clamp.high is None:
        return f"{written} has no upper bound, expected 6 for ReLU6"
    if low_matches:
        return f"{written} is a clipped ReLU with upper bound {clamp.high:g}, expected 6 for ReLU6"
    if high_matches and clamp.low is None:
        return f"{written} has no lower bound, expected 0 for ReLU6"
    if high_matches:
        return f"{written} has lower bound {clamp.low:g}, expected 0 for ReLU6"
    return f"{written} has bounds ({_format_bound(clamp.low)}, {_format_bound(clamp.high)}), expected (0, 6) for ReLU6"


def is_relu6_look_alike(clamp: Clamp) -> bool:
    """Return True if a clamp that is not ReLU6 keeps its upper bound, or its lower bound with an upper one.

    Clip(x, 0, 5) and Clip(x, -1, 6) imitate ReLU6. Clip(x, -1, 1) is another
    function, and Clip(x, 0) with no upper bound is a ReLU.
    """
    if is_close(clamp.high, 6.0):
        return True
    return is_close(clamp.low, 0.0) and clamp.high is not None


def match_relu6(view: GraphView, tensor: str) -> tuple[str, list[str], str]:
    """Match ``tensor`` = ReLU6(x) written as any clamp to [0, 6], and return ``(x, nodes, form)``.

    Raise Rejected for a clamp that imitates ReLU6 with another bound, and
    NoMatch for any other clamp.
    """
    clamp = match_clamp(view, tensor)
    reason = relu6_bounds_reason(clamp)
    if reason is None:
        return clamp.input, list(clamp.nodes), clamp.form()
    if is_relu6_look_alike(clamp):
        raise Rejected(reason, node=clamp.nodes[-1])
    raise NoMatch(reason)
