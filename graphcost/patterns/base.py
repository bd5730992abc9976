"""Pattern matches, rejections, and a read-only view of the graph for matchers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from onnx import helper

from graphcost.load import Model


@dataclass(frozen=True)
class PatternMatch:
    """One recognised pattern: which nodes form it and what it computes.

    ``kind`` is the pattern (``h_swish``, ``conv_block``, ...), ``form`` the
    way the export wrote it, ``input`` and ``output`` the tensors at its
    boundary, ``details`` what the matcher found (activation, BN, ...).
    """

    kind: str
    form: str
    nodes: tuple[str, ...]
    input: str
    output: str
    details: dict = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "form": self.form,
            "nodes": list(self.nodes),
            "input": self.input,
            "output": self.output,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class PatternRejection:
    """A candidate that looked like ``kind`` at node ``anchor`` but failed a check."""

    kind: str
    anchor: str
    reason: str
    shared: bool = False  # rejected only because an intermediate tensor is read outside the pattern

    def to_dict(self) -> dict:
        return {"kind": self.kind, "anchor": self.anchor, "reason": self.reason}


class NoMatch(Exception):
    """Raised by a matcher when the nodes do not have the pattern's structure at all."""


class Rejected(NoMatch):
    """Raised by a matcher's check when a look-alike fails, with the reason.

    Rejections are reported; plain NoMatch is not, since most nodes are not
    any pattern. ``node`` is the node whose constant or structure differs,
    when one does. Several matchers can reach the same look-alike, and
    ``find_patterns`` reports each such node once. ``input`` is the tensor
    the look-alike activation reads, when the matcher got that far.
    ``shared`` marks a pattern rejected only because a tensor inside it is
    read elsewhere: its ops are right, but fusing them would drop that tensor.
    """

    def __init__(self, reason: str, node: str | None = None, input: str | None = None, shared: bool = False):
        super().__init__(reason)
        self.node = node
        self.input = input
        self.shared = shared


@dataclass
class PatternResult:
    matches: list[PatternMatch] = field(default_factory=list)
    rejections: list[PatternRejection] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(match.kind for match in self.matches).items()))

    def of_kind(self, kind: str) -> list[PatternMatch]:
        return [match for match in self.matches if match.kind == kind]

    def to_dict(self) -> dict:
        return {
            "counts": self.counts(),
            "matches": [match.to_dict() for match in self.matches],
            "rejections": [rejection.to_dict() for rejection in self.rejections],
        }


# Relative tolerance for constants such as 1/6 written as 0.16666667 or 0.1666667.
CONSTANT_TOLERANCE = 1e-5


def is_close(value: float | None, expected: float) -> bool:
    return value is not None and abs(value - expected) <= CONSTANT_TOLERANCE * max(1.0, abs(expected))


class GraphView:
    """Producer, consumer and constant lookups over the live nodes of a model."""

    def __init__(self, model: Model):
        self.model = model
        self.graph = model.graph
        self.values = model.shape_result.values
        self._producers: dict[str, str] = {}
        self._consumers: dict[str, list[str]] = {}
        for key in model.nodes_in_order():
            data = self.graph.nodes[key]
            if not data["live"]:
                continue
            for name in data["outputs"]:
                if name:
                    self._producers[name] = key
            for name in data["inputs"] + data["implicit_inputs"]:
                if name:
                    self._consumers.setdefault(name, []).append(key)
        self._graph_outputs = set(model.outputs)

    def op(self, key: str | None) -> str | None:
        return None if key is None else self.graph.nodes[key]["op_type"]

    def inputs(self, key: str) -> list[str]:
        return self.graph.nodes[key]["inputs"]

    def outputs(self, key: str) -> list[str]:
        return self.graph.nodes[key]["outputs"]

    def output(self, key: str) -> str:
        return self.graph.nodes[key]["outputs"][0]

    def attr(self, key: str, name: str, default=None):
        for attribute in self.graph.nodes[key]["proto"].attribute:
            if attribute.name == name:
                value = helper.get_attribute_value(attribute)
                return value.decode() if isinstance(value, bytes) else value
        return default

    def producer(self, tensor: str) -> str | None:
        return self._producers.get(tensor)

    def producer_of_op(self, tensor: str, *op_types: str) -> str | None:
        key = self._producers.get(tensor)
        return key if key is not None and self.op(key) in op_types else None

    def consumers(self, tensor: str) -> list[str]:
        return self._consumers.get(tensor, [])

    def is_graph_output(self, tensor: str) -> bool:
        return tensor in self._graph_outputs

    def shape(self, tensor: str) -> tuple[int, ...] | None:
        info = self.model.tensors.get(tensor)
        return None if info is None else info.shape

    def is_constant(self, tensor: str) -> bool:
        info = self.model.tensors.get(tensor)
        return info is not None and info.is_constant

    def scalar(self, tensor: str) -> float | None:
        """Return the value of a constant whose elements are all equal (a scalar or a broadcast fill)."""
        value = self.values.get(tensor)
        if value is None or value.size == 0 or not np.issubdtype(value.dtype, np.number):
            return None
        flat = value.reshape(-1).astype(np.float64)
        return float(flat[0]) if np.all(flat == flat[0]) else None

    def constant_operand(self, key: str) -> tuple[str, float] | None:
        """For a node with one run-time input and one constant input of one value, return both.

        Return ``(run-time input, constant value)`` in either input order, or
        None for any other node.
        """
        inputs = self.inputs(key)
        if len(inputs) != 2:
            return None
        for operand, constant in ((inputs[0], inputs[1]), (inputs[1], inputs[0])):
            value = self.scalar(constant)
            if value is not None and self.is_constant(constant) and not self.is_constant(operand):
                return operand, value
        return None

    def check_internal(self, nodes: list[str], output: str) -> None:
        """Raise Rejected if a tensor made inside ``nodes`` other than ``output`` is read outside them."""
        members = set(nodes)
        for key in nodes:
            for tensor in self.outputs(key):
                if not tensor or tensor == output:
                    continue
                outside = [consumer for consumer in self.consumers(tensor) if consumer not in members]
                if outside:
                    raise Rejected(f"intermediate '{tensor}' is also read by node '{outside[0]}'", shared=True)
                if self.is_graph_output(tensor):
                    raise Rejected(f"intermediate '{tensor}' is also a graph output", shared=True)
