"""A small ONNX graph builder that emits nodes and zero-filled weights under deterministic names."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PRODUCER_NAME = "graphcost.zoo"

# BatchNormalization epsilon, the TF-slim default that the MobileNet reference
# implementations use.
BATCH_NORM_EPSILON = 1e-3


@dataclass(frozen=True)
class FeatureMap:
    """A float32 activation of shape [1, channels, height, width] in the graph being built."""

    name: str
    channels: int
    height: int
    width: int


def conv_output_size(size: int, kernel: int, stride: int) -> int:
    """Return the output length of a convolution with symmetric padding kernel // 2."""
    padding = kernel // 2
    return (size + 2 * padding - kernel) // stride + 1


class GraphBuilder:
    """Collects nodes and initializers for one ONNX graph.

    Names come from a stack of scopes (``backbone/block3/expand``) plus the op
    type, so the same calls always give the same names. Every weight is zero,
    except BatchNormalization's variance (one) and the numeric constants that
    activations need.
    """

    def __init__(self, *, bn_folded: bool) -> None:
        self.bn_folded = bn_folded
        self._scopes: list[str] = []
        self._nodes: list[onnx.NodeProto] = []
        self._initializers: list[onnx.TensorProto] = []
        self._used_names: set[str] = set()
        self._constants: dict[tuple[str, tuple[int, ...], bytes], str] = {}

    @contextlib.contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Prefix the names of everything emitted inside the ``with`` block with ``name/``."""
        self._scopes.append(name)
        try:
            yield
        finally:
            self._scopes.pop()

    def _claim_name(self, base: str) -> str:
        """Return ``base``, or ``base_1``, ``base_2``... when it is already taken."""
        name = base
        suffix = 0
        while name in self._used_names:
            suffix += 1
            name = f"{base}_{suffix}"
        self._used_names.add(name)
        return name

    def _scoped(self, leaf: str) -> str:
        return "/".join([*self._scopes, leaf])

    def node_name(self, op_type: str) -> str:
        """Reserve the next free node name for ``op_type`` in the current scope, e.g. ``block4/se/Conv_1``."""
        return self._claim_name(self._scoped(op_type))

    def add_node(
        self,
        op_type: str,
        inputs: Sequence[str],
        *,
        name: str | None = None,
        output_name: str | None = None,
        **attributes: object,
    ) -> str:
        """Append a node with one output and return the output's name.

        ``name`` is a name from ``node_name``, or None to reserve one now. The
        output takes the node's name unless ``output_name`` is given, as it is
        for graph outputs (tensor and node names are separate namespaces in
        ONNX).
        """
        name = self.node_name(op_type) if name is None else name
        output = name if output_name is None else self._claim_name(output_name)
        self._nodes.append(helper.make_node(op_type, list(inputs), [output], name=name, **attributes))
        return output

    def add_initializer(self, name: str, array: np.ndarray) -> str:
        """Store ``array`` as an initializer named ``name`` and return the name."""
        name = self._claim_name(name)
        self._initializers.append(numpy_helper.from_array(array, name))
        return name

    def add_zeros(self, name: str, shape: Sequence[int]) -> str:
        return self.add_initializer(name, np.zeros(shape, dtype=np.float32))

    def scalar(self, value: float) -> str:
        """Return the name of a shared float32 scalar initializer, such as a Clip bound or h-swish's 3 and 1/6."""
        return self._shared_constant(np.array(value, dtype=np.float32))

    def int64_vector(self, values: Sequence[int]) -> str:
        """Return the name of a shared int64 vector initializer, such as the shape input of Reshape."""
        return self._shared_constant(np.array(values, dtype=np.int64))

    def _shared_constant(self, array: np.ndarray) -> str:
        """Return the initializer holding ``array``, created on first use and named after its values."""
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._constants:
            label = "_".join(f"{value:g}".replace("-", "minus") for value in array.ravel().tolist())
            name = self._claim_name(f"constants/{array.dtype}_{label}")
            self._initializers.append(numpy_helper.from_array(array, name))
            self._constants[key] = name
        return self._constants[key]

    def conv(
        self,
        x: FeatureMap,
        out_channels: int,
        *,
        kernel: int = 1,
        stride: int = 1,
        depthwise: bool = False,
        bias: bool = True,
    ) -> FeatureMap:
        """Emit a Conv with padding kernel // 2. A depthwise conv ignores ``out_channels`` and keeps the input's."""
        groups = x.channels if depthwise else 1
        if depthwise:
            out_channels = x.channels
        name = self.node_name("Conv")
        weight = self.add_zeros(f"{name}.weight", [out_channels, x.channels // groups, kernel, kernel])
        inputs = [x.name, weight]
        if bias:
            inputs.append(self.add_zeros(f"{name}.bias", [out_channels]))
        padding = kernel // 2
        output = self.add_node(
            "Conv",
            inputs,
            name=name,
            kernel_shape=[kernel, kernel],
            strides=[stride, stride],
            pads=[padding, padding, padding, padding],
            group=groups,
        )
        return FeatureMap(
            output,
            out_channels,
            conv_output_size(x.height, kernel, stride),
            conv_output_size(x.width, kernel, stride),
        )

    def conv_bn(
        self,
        x: FeatureMap,
        out_channels: int,
        *,
        kernel: int = 1,
        stride: int = 1,
        depthwise: bool = False,
    ) -> FeatureMap:
        """Emit a conv followed by batch normalization, kept as a node or folded into the conv's bias."""
        if self.bn_folded:
            return self.conv(x, out_channels, kernel=kernel, stride=stride, depthwise=depthwise, bias=True)
        y = self.conv(x, out_channels, kernel=kernel, stride=stride, depthwise=depthwise, bias=False)
        name = self.node_name("BatchNormalization")
        inputs = [
            y.name,
            self.add_zeros(f"{name}.scale", [y.channels]),
            self.add_zeros(f"{name}.bias", [y.channels]),
            self.add_zeros(f"{name}.mean", [y.channels]),
            self.add_initializer(f"{name}.var", np.ones([y.channels], dtype=np.float32)),
        ]
        output = self.add_node("BatchNormalization", inputs, name=name, epsilon=BATCH_NORM_EPSILON)
        return FeatureMap(output, y.channels, y.height, y.width)

    def unary(self, op_type: str, x: FeatureMap, **attributes: object) -> FeatureMap:
        """Emit an element-wise op with one input, which keeps the shape."""
        return FeatureMap(self.add_node(op_type, [x.name], **attributes), x.channels, x.height, x.width)

    def binary(self, op_type: str, x: FeatureMap, other: str) -> FeatureMap:
        """Emit an element-wise op whose second input broadcasts to ``x`` (a constant or an [1, C, 1, 1] map)."""
        return FeatureMap(self.add_node(op_type, [x.name, other]), x.channels, x.height, x.width)

    def clip(self, x: FeatureMap, low: float, high: float) -> FeatureMap:
        """Emit Clip with its bounds as initializer inputs (the opset 11+ form)."""
        output = self.add_node("Clip", [x.name, self.scalar(low), self.scalar(high)])
        return FeatureMap(output, x.channels, x.height, x.width)

    def global_average_pool(self, x: FeatureMap) -> FeatureMap:
        return FeatureMap(self.add_node("GlobalAveragePool", [x.name]), x.channels, 1, 1)

    def gemm(self, x_flat: str, in_features: int, out_features: int, *, output_name: str | None = None) -> str:
        """Emit a fully connected layer y = x W^T + b on a [1, in_features] input."""
        name = self.node_name("Gemm")
        weight = self.add_zeros(f"{name}.weight", [out_features, in_features])
        bias = self.add_zeros(f"{name}.bias", [out_features])
        return self.add_node("Gemm", [x_flat, weight, bias], name=name, output_name=output_name, transB=1)

    def build_model(
        self,
        *,
        graph_name: str,
        doc_string: str,
        input_map: FeatureMap,
        outputs: Sequence[tuple[str, Sequence[int]]],
        opset: int,
    ) -> onnx.ModelProto:
        """Wrap the emitted nodes in a ModelProto with one float32 NCHW input.

        The IR version is the lowest one that supports ``opset``, so it does
        not depend on the installed onnx package.
        """
        graph_input = helper.make_tensor_value_info(
            input_map.name,
            TensorProto.FLOAT,
            [1, input_map.channels, input_map.height, input_map.width],
        )
        graph_outputs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)) for name, shape in outputs]
        graph = helper.make_graph(
            self._nodes,
            graph_name,
            [graph_input],
            graph_outputs,
            initializer=self._initializers,
            doc_string=doc_string,
        )
        opset_ids = [helper.make_opsetid("", opset)]
        return helper.make_model(
            graph,
            opset_imports=opset_ids,
            producer_name=PRODUCER_NAME,
            ir_version=helper.find_min_ir_version_for(opset_ids),
        )
