"""Element-wise ops: activations, arithmetic with broadcasting, casts and quantization.

Counting rule for ``elementwise_ops``: every arithmetic operation, comparison
and evaluation of a transcendental function (exp, log, tanh, erf, ...) on one
element counts as one operation. The per-element constants below follow from
each op's definition in the ONNX operator specification, written out in the
comment on its line.
"""

from __future__ import annotations

from graphcost.costs.context import NodeContext
from graphcost.costs.registry import OpCost, register


def _per_output_element(ops_per_element: int):
    def cost(ctx: NodeContext) -> OpCost:
        return OpCost(elementwise_ops=ops_per_element * ctx.output_numel())

    return cost


def elementwise(ops_per_element: int, *op_types: str) -> None:
    """Register ``op_types`` as costing ``ops_per_element`` operations per output element."""
    register(*op_types)(_per_output_element(ops_per_element))


# Unary math: one operation or one function evaluation.
elementwise(1, "Relu", "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign")
elementwise(1, "Tanh", "Erf", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh")
elementwise(1, "Not", "IsNaN", "IsInf")
elementwise(2, "Clip")  # max(x, min), then min(., max)
elementwise(2, "LeakyRelu", "PRelu")  # compare, multiply
elementwise(2, "ThresholdedRelu", "Shrink")  # compare, select or subtract
elementwise(3, "Sigmoid")  # exp(-x), add 1, divide
elementwise(3, "Softplus")  # exp, add 1, log
elementwise(2, "Softsign")  # abs + 1, divide
elementwise(3, "Elu", "Celu")  # compare, exp, scale the negative side
elementwise(4, "Selu")  # compare, exp, scale, scale again
elementwise(4, "HardSigmoid")  # alpha * x + beta (2), then clamp to [0, 1] (2)
elementwise(5, "HardSwish")  # x * hard_sigmoid(x): 4 for the gate, 1 multiply
elementwise(5, "Mish")  # exp, add 1, log (softplus), tanh, multiply
elementwise(8, "Gelu")  # x/sqrt(2), erf, add 1, multiply by x, halve: 5 in the exact form, 8 in the tanh form
# Binary ops with numpy broadcasting: one operation per output element.
elementwise(1, "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor")
elementwise(1, "And", "Or", "Xor", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Where")
# Casts and quantization.
elementwise(1, "Cast", "CastLike")  # one conversion
elementwise(4, "QuantizeLinear")  # divide by scale, round, add zero point, saturate
elementwise(2, "DequantizeLinear")  # subtract zero point, multiply by scale
elementwise(2, "DynamicQuantizeLinear")  # per element: divide and round; the min/max scan is folded into it


@register("Sum", "Max", "Min", "Mean")
def variadic(ctx: NodeContext) -> OpCost:
    # n inputs need n - 1 pairwise operations per output element; Mean adds one divide.
    present = sum(1 for tensor in ctx.inputs if tensor is not None)
    per_element = max(present - 1, 0) + (1 if ctx.op_type == "Mean" else 0)
    return OpCost(elementwise_ops=per_element * ctx.output_numel())
