"""Recurrent layers: RNN, GRU, LSTM, unrolled over the sequence length."""

from __future__ import annotations

from graphcost.costs.context import NodeContext
from graphcost.costs.registry import OpCost, register

# Gates per cell and element-wise operations per hidden unit per step:
# RNN: bias adds 2, activation 1 (3).
# GRU: 3 gates; bias adds 6, sigmoid 3 x 2, tanh 1, reset multiply 1,
#      the blend (1 - z) * n + z * h 3 (17).
# LSTM: 4 gates; bias adds 8, sigmoid 3 x 3, tanh 2, cell update 3,
#      output multiply 1 (23).
_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
_ELEMENTWISE_PER_UNIT = {"RNN": 3, "GRU": 17, "LSTM": 23}


@register("RNN", "GRU", "LSTM")
def recurrent(ctx: NodeContext) -> OpCost:
    # X: [seq_length, batch, input_size] (layout 0) or [batch, seq, input] (layout 1).
    x_shape = ctx.input_shape(0)
    if ctx.attr("layout", 0):
        batch, sequence, input_size = x_shape
    else:
        sequence, batch, input_size = x_shape
    hidden = ctx.attr("hidden_size")
    directions = 2 if ctx.attr("direction", "forward") == "bidirectional" else 1
    gates = _GATES[ctx.op_type]
    # Per step and direction: input projection W x (gates*hidden x input)
    # and recurrent projection R h (gates*hidden x hidden).
    macs = sequence * directions * batch * gates * hidden * (input_size + hidden)
    elementwise = sequence * directions * batch * hidden * _ELEMENTWISE_PER_UNIT[ctx.op_type]
    return OpCost(macs=macs, elementwise_ops=elementwise)
