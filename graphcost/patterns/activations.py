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


def match_hard_sigmoid(view: GraphView, tensor: str) -> tuple[str, list[str], str]:
    """Match ``tensor`` = h-sigmoid(x) in any exported form."""
    key = view.producer(tensor)
    op = view.op(key)
    if op == "HardSigmoid":
        alpha, beta = view.attr(key, "alpha", 0.2), view.attr(key, "beta", 0.5)
        if is_close(alpha, ONE_SIXTH) and is_close(beta, 0.5):
            return view.inputs(key)[0], [key], "HardSigmoid(alpha=1/6, beta=0.5)"
        raise Rejected(f"HardSigmoid alpha {alpha:g}, beta {beta:g} is not h-sigmoid (needs 1/6 and 0.5)")
    if op == "Div":
        numerator, denominator = view.inputs(key)
        if not is_close(view.scalar(denominator), 6.0):
            raise NoMatch("Div is not a division by 6")
        x, nodes, form = _match_relu6_x_plus_3(view, numerator)
        return x, [*nodes, key], f"{form} / 6"
    if op == "Mul":
        for operand, constant in permutations(view.inputs(key)):
            if is_close(view.scalar(constant), ONE_SIXTH):
                x, nodes, form = _match_relu6_x_plus_3(view, operand)
                return x, [*nodes, key], f"{form} * (1/6)"
        raise NoMatch("Mul is not a multiplication by 1/6")
    raise NoMatch(f"'{tensor}' is not made by HardSigmoid, Div or Mul")


def match_hard_swish(view: GraphView, key: str) -> tuple[str, list[str], str]:
    """Match the node ``key`` as the last node of h-swish(x) in any exported form."""
    op = view.op(key)
    output = view.output(key)
    if op == "HardSwish":
        return view.inputs(key)[0], [key], "HardSwish"
    if op not in ("Mul", "Div"):
        raise NoMatch(f"{op} cannot end h-swish")
    reasons = []
    # x * h-sigmoid(x), the gate in any form.
    if op == "Mul":
        for x, gate in permutations(view.inputs(key)):
            try:
                gate_input, gate_nodes, gate_form = match_hard_sigmoid(view, gate)
            except Rejected as rejection:
                reasons.append(str(rejection))
                continue
            except NoMatch:
                continue
            if gate_input != x:
                reasons.append("the multiplied tensor is not the input of the h-sigmoid gate")
                continue
            nodes = [*gate_nodes, key]
            view.check_internal(nodes, output)
            return x, nodes, f"x * {gate_form}"
    # (x * ReLU6(x + 3)) / 6 and (x * ReLU6(x + 3)) * (1/6).
    product, scale_form = _match_scaled_product(view, key)
    if product is not None:
        inner = view.producer_of_op(product, "Mul")
        if inner is not None:
            for x, gate in permutations(view.inputs(inner)):
                try:
                    gate_input, gate_nodes, gate_form = _match_relu6_x_plus_3(view, gate)
                except Rejected as rejection:
                    reasons.append(str(rejection))
                    continue
                except NoMatch:
                    continue
                if gate_input != x:
                    reasons.append("the multiplied tensor is not the input of the ReLU6(x + 3) gate")
                    continue
                nodes = [*gate_nodes, inner, key]
                view.check_internal(nodes, output)
                return x, nodes, f"x * {gate_form}{scale_form}"
    if reasons:
        raise Rejected(reasons[0])
    raise NoMatch(f"{op} is not the end of an h-swish")


def _match_scaled_product(view: GraphView, key: str) -> tuple[str | None, str]:
    """For Div(p, 6) or Mul(p, 1/6) return (p, form suffix); else (None, "")."""
    inputs = view.inputs(key)
    if view.op(key) == "Div" and is_close(view.scalar(inputs[1]), 6.0):
        return inputs[0], " / 6"
    if view.op(key) == "Mul":
        for operand, constant in permutations(inputs):
            if is_close(view.scalar(constant), ONE_SIXTH):
                return operand, " * (1/6)"
    return None, ""


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
