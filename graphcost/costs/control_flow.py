"""If, Loop and Scan: the cost of their bodies, under a stated assumption.

If counts the more expensive branch (by MACs, then element-wise operations,
then bytes), since which branch runs is unknown before run time. Loop
multiplies its body by the trip count when that is a constant and counts one
iteration otherwise, saying so. Scan multiplies by the scanned axis length.
These rules apply at every depth, so nested factors multiply. Each node's
reason ends with the assumptions of the nodes in the body it counted, so
the report lists the assumptions of nested nodes too.
"""

from __future__ import annotations

from graphcost.costs.context import NodeContext
from graphcost.costs.registry import OpCost, register


def _scaled(body, factor: int, reason: str) -> OpCost:
    if body.assumptions:
        reason = f"{reason}; in the body: {'; '.join(body.assumptions)}"
    return OpCost(
        macs=body.macs * factor,
        elementwise_ops=body.elementwise_ops * factor,
        read_bytes=body.read_bytes * factor,
        weight_bytes=body.weight_bytes * factor,
        write_bytes=body.write_bytes * factor,
        reason=reason,
    )


@register("If")
def if_(ctx: NodeContext) -> OpCost:
    branches = {name: ctx.cost_subgraph(ctx.attr(name)) for name in ("then_branch", "else_branch")}
    chosen = max(
        branches,
        key=lambda name: (branches[name].macs, branches[name].elementwise_ops, branches[name].bytes_moved),
    )
    return _scaled(branches[chosen], 1, f"If: counts the more expensive branch ({chosen})")


@register("Loop")
def loop(ctx: NodeContext) -> OpCost:
    body = ctx.cost_subgraph(ctx.attr("body"))
    trip_count = ctx.value(0)
    if trip_count is None:
        return _scaled(body, 1, "Loop: trip count unknown before run time; one iteration counted")
    iterations = int(trip_count.reshape(-1)[0])
    return _scaled(body, iterations, f"Loop: body x {iterations} iterations (constant trip count)")


@register("Scan")
def scan(ctx: NodeContext) -> OpCost:
    body = ctx.cost_subgraph(ctx.attr("body"))
    scan_inputs = ctx.attr("num_scan_inputs")
    first_scan_input = len(ctx.inputs) - scan_inputs
    axes = ctx.attr("scan_input_axes") or [0] * scan_inputs
    # Opset 8 Scan has a leading optional sequence_lens input and a batch axis.
    batch_offset = 1 if ctx.opset < 9 else 0
    shape = ctx.input_shape(first_scan_input)
    iterations = shape[axes[0] % len(shape) + batch_offset]
    return _scaled(body, iterations, f"Scan: body x {iterations} iterations (scanned axis length)")
