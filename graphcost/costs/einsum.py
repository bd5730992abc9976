"""Einsum: a product of tensors written as an equation over index letters, such as ``bij,bjk->bik``."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from graphcost.costs.context import NodeContext, ShapeMismatchError
from graphcost.costs.registry import CostStatus, OpCost, register

ELLIPSIS = "..."
_TERM = re.compile(r"[A-Za-z]*(\.\.\.)?[A-Za-z]*")


class EinsumEquationError(ValueError):
    """An Einsum equation that the ONNX operator specification does not allow."""


@dataclass(frozen=True)
class EinsumIndices:
    """The indices of each operand and of the output, and the size of every index.

    The dims an ellipsis stands for get the indices ``...0``, ``...1`` and
    so on. ONNX requires every ellipsis of an equation to stand for the
    same number of dims, so these indices line up across operands.
    """

    operands: tuple[tuple[str, ...], ...]
    output: tuple[str, ...]
    sizes: dict[str, int]

    @property
    def contracted(self) -> set[str]:
        """Indices summed over: those of the operands that the output does not keep."""
        return set(self.sizes) - set(self.output)

    def output_shape(self) -> tuple[int, ...]:
        return tuple(self.sizes[index] for index in self.output)


def _split_term(term: str) -> tuple[str, str] | None:
    """Return the letters before and after the ellipsis of ``term``, or None when it has no ellipsis."""
    if not _TERM.fullmatch(term):
        raise EinsumEquationError(f"term '{term}' has characters other than letters and one '...'")
    if ELLIPSIS not in term:
        return None
    before, after = term.split(ELLIPSIS)
    return before, after


def _operand_indices(term: str, rank: int) -> tuple[str, ...]:
    parts = _split_term(term)
    if parts is None:
        if len(term) != rank:
            raise ShapeMismatchError(f"term '{term}' names {len(term)} dims, but its input has {rank}")
        return tuple(term)
    before, after = parts
    ellipsis_rank = rank - len(before) - len(after)
    if ellipsis_rank < 0:
        raise ShapeMismatchError(f"term '{term}' names {len(before) + len(after)} dims, but its input has only {rank}")
    ellipsis = tuple(f"{ELLIPSIS}{position}" for position in range(ellipsis_rank))
    return tuple(before) + ellipsis + tuple(after)


def _output_indices(output_term: str | None, operands: tuple[tuple[str, ...], ...], broadcast_rank: int) -> tuple[str, ...]:
    ellipsis = tuple(f"{ELLIPSIS}{position}" for position in range(broadcast_rank))
    letters = [index for indices in operands for index in indices if not index.startswith(ELLIPSIS)]
    if output_term is None:
        # Implicit output: the broadcast dims, then the letters that occur once, in alphabetical (ASCII) order.
        return ellipsis + tuple(sorted(letter for letter in set(letters) if letters.count(letter) == 1))
    parts = _split_term(output_term)
    if parts is None:
        if broadcast_rank > 0:
            raise EinsumEquationError(f"the inputs have {broadcast_rank} dims under '...' that output '{output_term}' leaves out")
        output = tuple(output_term)
    else:
        output = tuple(parts[0]) + ellipsis + tuple(parts[1])
    for letter in output_term.replace(ELLIPSIS, ""):
        if output_term.count(letter) > 1:
            raise EinsumEquationError(f"output '{output_term}' repeats index '{letter}'")
        if letter not in letters:
            raise EinsumEquationError(f"output index '{letter}' is in no input term")
    return output


def parse_einsum(equation: str, shapes: list[tuple[int, ...]]) -> EinsumIndices:
    """Return the indices of ``equation`` applied to operands of ``shapes``.

    Raises EinsumEquationError for an equation the ONNX specification does
    not allow, and ShapeMismatchError when a term does not fit its operand's
    rank or one index has two sizes other than 1 (a size of 1 broadcasts).
    """
    text = equation.replace(" ", "")
    if text.count("->") > 1:
        raise EinsumEquationError(f"equation '{equation}' has more than one '->'")
    input_text, output_term = text.split("->") if "->" in text else (text, None)
    terms = input_text.split(",")
    if len(terms) != len(shapes):
        raise EinsumEquationError(f"equation '{equation}' has {len(terms)} input terms for {len(shapes)} inputs")
    operands = tuple(_operand_indices(term, len(shape)) for term, shape in zip(terms, shapes))
    ellipsis_ranks = {
        sum(index.startswith(ELLIPSIS) for index in indices) for term, indices in zip(terms, operands) if ELLIPSIS in term
    }
    if len(ellipsis_ranks) > 1:
        raise EinsumEquationError(
            f"the '...' of equation '{equation}' stands for {sorted(ellipsis_ranks)} dims in different inputs, "
            "but ONNX requires the same number in every input"
        )
    broadcast_rank = ellipsis_ranks.pop() if ellipsis_ranks else 0

    sizes: dict[str, int] = {}
    for indices, shape in zip(operands, shapes):
        for index, size in zip(indices, shape):
            known = sizes.setdefault(index, size)
            if size == known or size == 1:
                continue
            if known != 1:
                raise ShapeMismatchError(f"index '{index}' of equation '{equation}' has sizes {known} and {size}")
            sizes[index] = size
    return EinsumIndices(operands, _output_indices(output_term, operands, broadcast_rank), sizes)


@register("Einsum")
def einsum(ctx: NodeContext) -> OpCost:
    """Count Einsum as the nested loop over every distinct index of its equation.

    Let P be the product of the sizes of all distinct indices (letters and
    the dims under ``...``) and n the number of inputs. A contraction, with
    at least two inputs and an index the output drops, is P MACs: each
    point of the index space multiplies into one output sum. Inputs beyond
    the second add (n - 2) x P multiplies as element-wise operations. With
    no index dropped (a Hadamard or outer product), there is nothing to
    accumulate, so it is (n - 1) x P element-wise multiplies. One input with
    an index dropped (a sum or trace) is P element-wise adds, as ReduceSum
    counts one per input element. One input with no index dropped
    (a transpose or diagonal) only moves data: no operations.
    """
    # NOTE: a runtime that contracts three or more inputs in pairs can need
    # far fewer MACs than this nested loop.
    equation = ctx.attr("equation", "")
    shapes = [ctx.input_shape(position) for position in range(len(ctx.inputs))]
    try:
        indices = parse_einsum(equation, shapes)
    except EinsumEquationError as error:
        return OpCost(status=CostStatus.UNCOSTED, reason=f"invalid Einsum equation: {error}")
    points = math.prod(indices.sizes.values())
    operands = len(shapes)
    if operands == 1:
        return OpCost(elementwise_ops=points if indices.contracted else 0)
    if indices.contracted:
        return OpCost(macs=points, elementwise_ops=(operands - 2) * points)
    return OpCost(elementwise_ops=(operands - 1) * points)
