"""h-sigmoid, h-swish and swish in the forms exporters write them.

h-sigmoid(x) = ReLU6(x + 3) / 6 and h-swish(x) = x * h-sigmoid(x)
(Howard et al., "Searching for MobileNetV3", ICCV 2019, section 5.2).
Exporters write them as the HardSigmoid / HardSwish ops, or spelled out
with Add, a ReLU6 in any form of ``relu6.py``, Mul and Div, operands in
either order.
Each matcher returns ``(x, nodes, form)`` where ``x`` is the activation's
input, or raises Rejected with the reason a look-alike does not qualify.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

from graphcost.patterns.base import GraphView, NoMatch, Rejected, is_close
from graphcost.patterns.relu6 import match_relu6

ONE_SIXTH = 1.0 / 6.0


def _match_plus_three(view: GraphView, tensor: str) -> tuple[str, str]:
    """Match ``tensor`` = x + 3 (either operand order); return (x, Add node)."""
    key = view.producer_of_op(tensor, "Add")
    if key is None:
        raise NoMatch(f"'{tensor}' is not made by Add(x, 3)")
    for operand, constant in permutations(view.inputs(key)):
        if is_close(view.scalar(constant), 3.0) and not view.is_constant(operand):
            return operand, key
    raise NoMatch("Add does not add the constant 3")


def _match_relu6_x_plus_3(view: GraphView, tensor: str) -> tuple[str, list[str], str]:
    inner, relu6_nodes, relu6_form = match_relu6(view, tensor)
    x, add = _match_plus_three(view, inner)
    return x, [add, *relu6_nodes], relu6_form.replace("(x", "(x + 3", 1)


@dataclass(frozen=True)
class _Scale:
    """``operand`` divided (Div) or multiplied (Mul) by the constant ``factor`` at node ``node``."""

    node: str
    op: str
    operand: str
    factor: float

    @property
    def is_one_sixth(self) -> bool:
        return is_close(self.factor, 6.0) if self.op == "Div" else is_close(self.factor, ONE_SIXTH)

    @property
    def form(self) -> str:
        return " / 6" if self.op == "Div" else " * (1/6)"


def _match_scale(view: GraphView, key: str | None) -> _Scale | None:
    """Return the scale of Div(t, c), Mul(t, c) or Mul(c, t) with ``c`` a constant of one value, or None."""
    op = view.op(key)
    if op not in ("Div", "Mul") or len(view.inputs(key)) != 2:
        return None
    pairs = [view.inputs(key)] if op == "Div" else permutations(view.inputs(key))
    for operand, constant in pairs:
        factor = view.scalar(constant)
        if factor is not None and view.is_constant(constant) and not view.is_constant(operand):
            return _Scale(key, op, operand, factor)
    return None


def match_hard_sigmoid(view: GraphView, tensor: str) -> tuple[str, list[str], str]:
    """Match ``tensor`` = h-sigmoid(x) in any exported form."""
    key = view.producer(tensor)
    if view.op(key) == "HardSigmoid":
        alpha, beta = view.attr(key, "alpha", 0.2), view.attr(key, "beta", 0.5)
        if is_close(alpha, ONE_SIXTH) and is_close(beta, 0.5):
            return view.inputs(key)[0], [key], "HardSigmoid(alpha=1/6, beta=0.5)"
        raise Rejected(f"HardSigmoid alpha {alpha:g}, beta {beta:g} is not h-sigmoid (needs 1/6 and 0.5)")
    scale = _match_scale(view, key)
    if scale is None or not scale.is_one_sixth:
        raise NoMatch(f"'{tensor}' is not made by HardSigmoid, a division by 6 or a multiplication by 1/6")
    x, nodes, form = _match_relu6_x_plus_3(view, scale.operand)
    return x, [*nodes, key], f"{form}{scale.form}"


def _match_gate(
    view: GraphView, matcher, gate_name: str, x: str, gate: str, reasons: list[Rejected]
) -> tuple[list[str], str] | None:
    """Match ``gate`` with ``matcher`` as a gate whose input is ``x``, and return its nodes and form.

    Return None if it is not such a gate, and add the reason to ``reasons``
    if it is a look-alike.
    """
    try:
        gate_input, nodes, form = matcher(view, gate)
    except Rejected as rejection:
        reasons.append(rejection)
        return None
    except NoMatch:
        return None
    if gate_input != x:
        reasons.append(Rejected(f"the multiplied tensor is not the input of the {gate_name} gate"))
        return None
    return nodes, form


def _match_gated_input(view: GraphView, key: str, reasons: list[Rejected]) -> tuple[str, list[str], str]:
    """Match ``key`` = x * h-sigmoid(x), the gate in any form."""
    if view.op(key) != "Mul":
        raise NoMatch("x * h-sigmoid(x) ends with Mul")
    for x, gate in permutations(view.inputs(key)):
        gate_match = _match_gate(view, match_hard_sigmoid, "h-sigmoid", x, gate, reasons)
        if gate_match is not None:
            gate_nodes, gate_form = gate_match
            return x, [*gate_nodes, key], f"x * {gate_form}"
    raise NoMatch("Mul is not x * h-sigmoid(x)")


def _match_scaled_product(view: GraphView, key: str, reasons: list[Rejected]) -> tuple[str, list[str], str]:
    """Match ``key`` = (x * ReLU6(x + 3)) / 6 or (x * ReLU6(x + 3)) * (1/6)."""
    scale = _match_scale(view, key)
    inner = None if scale is None else view.producer_of_op(scale.operand, "Mul")
    if inner is None:
        raise NoMatch("not a Div or Mul of a product by a constant")
    for x, gate in permutations(view.inputs(inner)):
        gate_match = _match_gate(view, _match_relu6_x_plus_3, "ReLU6(x + 3)", x, gate, reasons)
        if gate_match is None:
            continue
        if not scale.is_one_sixth:
            raise NoMatch("the product is not scaled by 1/6")
        gate_nodes, gate_form = gate_match
        return x, [*gate_nodes, inner, key], f"x * {gate_form}{scale.form}"
    raise NoMatch("the scaled tensor is not x * ReLU6(x + 3)")


def _match_scaled_input(view: GraphView, key: str, reasons: list[Rejected]) -> tuple[str, list[str], str]:
    """Match ``key`` = (x / 6) * ReLU6(x + 3) or (x * (1/6)) * ReLU6(x + 3), in either order."""
    if view.op(key) != "Mul":
        raise NoMatch("(x / 6) * ReLU6(x + 3) ends with Mul")
    for scaled, gate in permutations(view.inputs(key)):
        scale = _match_scale(view, view.producer(scaled))
        if scale is None:
            continue
        gate_match = _match_gate(view, _match_relu6_x_plus_3, "ReLU6(x + 3)", scale.operand, gate, reasons)
        if gate_match is None:
            continue
        if not scale.is_one_sixth:
            raise NoMatch("x is not scaled by 1/6")
        gate_nodes, gate_form = gate_match
        return scale.operand, [*gate_nodes, scale.node, key], f"(x{scale.form}) * {gate_form}"
    raise NoMatch("Mul is not (x / 6) * ReLU6(x + 3)")


def match_hard_swish(view: GraphView, key: str) -> tuple[str, list[str], str]:
    """Match the node ``key`` as the last node of h-swish(x) in any exported form.

    The 1/6 may scale the product, the input x or the ReLU6(x + 3) gate.
    """
    op = view.op(key)
    if op == "HardSwish":
        return view.inputs(key)[0], [key], "HardSwish"
    if op not in ("Mul", "Div"):
        raise NoMatch(f"{op} cannot end h-swish")
    reasons: list[Rejected] = []
    for matcher in (_match_gated_input, _match_scaled_product, _match_scaled_input):
        try:
            x, nodes, form = matcher(view, key, reasons)
        except NoMatch:
            continue
        view.check_internal(nodes, view.output(key))
        return x, nodes, form
    if reasons:
        raise reasons[0]
    raise NoMatch(f"{op} is not the end of an h-swish")


def match_swish(view: GraphView, key: str) -> tuple[str, list[str], str]:
    """Match Mul(x, Sigmoid(x)) in either order (swish, also called SiLU)."""
    if view.op(key) != "Mul":
        raise NoMatch("swish ends with Mul")
    for x, gate in permutations(view.inputs(key)):
        sigmoid = view.producer_of_op(gate, "Sigmoid")
        if sigmoid is not None and view.inputs(sigmoid)[0] == x:
            nodes = [sigmoid, key]
            view.check_internal(nodes, view.output(key))
            return x, nodes, "x * Sigmoid(x)"
    raise NoMatch("Mul is not x * Sigmoid(x)")
