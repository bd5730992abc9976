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

from graphcost.patterns.base import CONSTANT_TOLERANCE, GraphView, NoMatch, Rejected, is_close
from graphcost.patterns.relu6 import match_clamp, relu6_bounds_reason

ONE_SIXTH = 1.0 / 6.0


def _match_relu6_x_plus_3(view: GraphView, tensor: str) -> tuple[str, list[str], str]:
    """Match ``tensor`` = ReLU6(x + 3), the ReLU6 in any form and the Add operands in either order.

    Raise NoMatch unless ``tensor`` is a clamp of an Add of a constant, and
    Rejected when such a chain has other constants.
    """
    clamp = match_clamp(view, tensor)
    add = view.producer_of_op(clamp.input, "Add")
    operands = None if add is None else view.constant_operand(add)
    if operands is None:
        raise NoMatch(f"'{clamp.input}' is not made by an Add of a constant")
    x, added = operands
    bounds_reason = relu6_bounds_reason(clamp, "x + 3")
    if bounds_reason is not None:
        raise Rejected(bounds_reason, node=clamp.nodes[-1], input=x)
    if not is_close(added, 3.0):
        raise Rejected(f"Add adds {added:g}, expected 3 for ReLU6(x + 3)", node=add, input=x)
    return x, [add, *clamp.nodes], clamp.form(argument="x + 3")


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

    def rejection(self, x: str) -> Rejected:
        """Return the rejection of an activation of ``x`` with this scale in place of 1/6."""
        if self.op == "Div":
            return Rejected(f"Div divides by {self.factor:g}, expected 6", node=self.node, input=x)
        expected = f"1/6 = {ONE_SIXTH:.8f} within {CONSTANT_TOLERANCE:g}"
        return Rejected(f"Mul multiplies by {self.factor:g}, expected {expected}", node=self.node, input=x)


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
        reason = hard_sigmoid_reason(view, key)
        if reason is not None:
            raise Rejected(reason, node=key, input=view.inputs(key)[0])
        return view.inputs(key)[0], [key], "HardSigmoid(alpha=1/6, beta=0.5)"
    scale = _match_scale(view, key)
    if scale is None:
        raise NoMatch(f"'{tensor}' is not made by HardSigmoid or by a Div or Mul with a constant")
    x, nodes, form = _match_relu6_x_plus_3(view, scale.operand)
    if not scale.is_one_sixth:
        raise scale.rejection(x)
    return x, [*nodes, key], f"{form}{scale.form}"


def hard_sigmoid_reason(view: GraphView, key: str) -> str | None:
    """Return why the HardSigmoid ``key`` is not h-sigmoid, naming each constant that differs, or None.

    HardSigmoid(x) = max(0, min(1, alpha * x + beta)), and h-sigmoid needs
    alpha 1/6 and beta 0.5. ONNX's defaults are alpha 0.2 and beta 0.5.
    """
    alpha, beta = view.attr(key, "alpha", 0.2), view.attr(key, "beta", 0.5)
    alpha_matches, beta_matches = is_close(alpha, ONE_SIXTH), is_close(beta, 0.5)
    if alpha_matches and beta_matches:
        return None
    if not alpha_matches and not beta_matches:
        return f"HardSigmoid alpha {alpha:g} and beta {beta:g}, expected 1/6 and 0.5 for h-sigmoid"
    if beta_matches and is_close(alpha, 0.2):
        # tf.keras.activations.hard_sigmoid is clip(0.2 * x + 0.5, 0, 1) in TensorFlow 2.0 to 2.15 (Keras 2).
        return (
            "HardSigmoid alpha 0.2, expected 1/6 for h-sigmoid. Alpha 0.2 with beta 0.5 is ONNX's default "
            "and the hard_sigmoid of Keras 2, not MobileNetV3's ReLU6(x + 3) / 6"
        )
    if beta_matches:
        return f"HardSigmoid alpha {alpha:g}, expected 1/6 for h-sigmoid"
    return f"HardSigmoid beta {beta:g}, expected 0.5 for h-sigmoid"


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
        # A look-alike gate of another tensor is not a look-alike of this activation.
        if rejection.input in (None, x):
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
            raise scale.rejection(x)
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
            raise scale.rejection(scale.operand)
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
        except Rejected as rejection:
            reasons.append(rejection)
            continue
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
