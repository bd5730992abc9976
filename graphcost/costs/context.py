"""Context of one node for a cost function: attributes, tensors and known values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper

from graphcost.tensors import TensorInfo


class MissingShapeError(Exception):
    """A tensor a cost formula needs has no inferred shape; the node becomes uncosted."""

    def __init__(self, tensor_name: str):
        super().__init__(tensor_name)
        self.tensor_name = tensor_name


class ShapeMismatchError(Exception):
    """Input shapes that the op cannot combine, such as a conv whose input channels differ from its weight's."""


@dataclass
class NodeContext:
    """Typed view of one node for a cost function.

    ``inputs`` and ``outputs`` hold None for omitted optional tensors.
    ``cost_subgraph`` costs an If/Loop/Scan body and returns its summed cost.
    """

    node: onnx.NodeProto
    opset: int
    inputs: list[TensorInfo | None]
    outputs: list[TensorInfo | None]
    values: dict[str, np.ndarray] = field(default_factory=dict)
    cost_subgraph: Callable[[onnx.GraphProto], object] | None = None

    @property
    def op_type(self) -> str:
        return self.node.op_type

    def attr(self, name: str, default=None):
        """Return the value of attribute ``name`` (strings decoded), or ``default``."""
        for attribute in self.node.attribute:
            if attribute.name == name:
                value = helper.get_attribute_value(attribute)
                return value.decode() if isinstance(value, bytes) else value
        return default

    def has_input(self, index: int) -> bool:
        return index < len(self.inputs) and self.inputs[index] is not None

    def input_shape(self, index: int) -> tuple[int, ...]:
        tensor = self.inputs[index]
        if tensor is None:
            raise IndexError(f"{self.op_type} input {index} is omitted")
        if tensor.shape is None:
            raise MissingShapeError(tensor.name)
        return tensor.shape

    def output_shape(self, index: int = 0) -> tuple[int, ...]:
        tensor = self.outputs[index]
        if tensor is None:
            raise IndexError(f"{self.op_type} output {index} is omitted")
        if tensor.shape is None:
            raise MissingShapeError(tensor.name)
        return tensor.shape

    def output_numel(self, index: int = 0) -> int:
        shape = self.output_shape(index)
        return int(np.prod(shape, dtype=np.int64)) if shape else 1

    def input_numel(self, index: int) -> int:
        shape = self.input_shape(index)
        return int(np.prod(shape, dtype=np.int64)) if shape else 1

    def value(self, index: int) -> np.ndarray | None:
        """Return the folded value of input ``index`` if known before run time."""
        if not self.has_input(index):
            return None
        return self.values.get(self.inputs[index].name)
