"""Read an ONNX file without its external data and check it is a usable graph."""

from __future__ import annotations

import logging
import os

import onnx
from google.protobuf.message import DecodeError

from graphcost.errors import ModelLoadError

logger = logging.getLogger(__name__)

STANDARD_DOMAINS = frozenset({"", "ai.onnx"})


def read_model(path: str | os.PathLike) -> onnx.ModelProto:
    """Parse the protobuf at ``path``; external data files are never opened.

    Tensor sizes come from their dims, so a model whose weights live in
    external files loads in memory proportional to its graph, not its weights.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelLoadError(f"{path}: file not found; check the path")
    if os.path.isdir(path):
        raise ModelLoadError(f"{path}: is a directory; give the path of a .onnx file")
    try:
        model = onnx.load(path, load_external_data=False)
    except DecodeError as error:
        raise ModelLoadError(
            f"{path}: not a readable ONNX model (protobuf parse failed: {error}); "
            "the file may be truncated or in another format, so export or download it again"
        ) from None
    except OSError as error:
        raise ModelLoadError(f"{path}: cannot read file ({error.strerror})") from None
    check_model_structure(model, path)
    return model


def check_model_structure(model: onnx.ModelProto, source: str) -> None:
    """Raise ModelLoadError unless ``model`` has a graph with outputs and known op domains."""
    if model.ir_version <= 0 or not model.HasField("graph"):
        raise ModelLoadError(
            f"{source}: not an ONNX model (no IR version or graph found); "
            "the file may be in another format or truncated"
        )
    if not model.graph.output:
        raise ModelLoadError(
            f"{source}: the graph declares no outputs, so nothing is computed; "
            "the file may be truncated, so export it again"
        )
    declared = {opset.domain for opset in model.opset_import} | {function.domain for function in model.functions}
    if declared & STANDARD_DOMAINS:
        declared |= STANDARD_DOMAINS
    for description, node in described_nodes(model.graph):
        if node.domain not in declared:
            raise ModelLoadError(
                f"{source}: node {description} uses domain '{node.domain}', "
                "which the model's opset_import does not declare; fix the export or add the domain "
                "to opset_import"
            )


def node_keys(graph: onnx.GraphProto) -> list[str]:
    """Return the key of each node of ``graph`` in stored order, as graphcost's reports name the node.

    A node keeps its name when no earlier node has it. A node without a name
    gets ``<op_type>_<index>`` and a later node with a repeated name gets
    ``<name>_<index>``, where the index is the node's position. When such a
    key is some node's real name or already a key, ``_1``, ``_2``... is
    appended until it is neither, so a generated key never takes a real name.
    """
    real_names = {node.name for node in graph.node if node.name}
    keys: list[str] = []
    used: set[str] = set()
    for index, node in enumerate(graph.node):
        if node.name and node.name not in used:
            key = node.name
        else:
            base = f"{node.name or node.op_type}_{index}"
            key = base
            suffix = 0
            while key in real_names or key in used:
                suffix += 1
                key = f"{base}_{suffix}"
        used.add(key)
        keys.append(key)
    return keys


def described_nodes(graph: onnx.GraphProto, outer: str = ""):
    """Yield (description, node) for every node of ``graph`` and of its subgraphs.

    The description is the node's key and op type, such as ``'Conv_3' (Conv)``,
    followed for a subgraph node by the attribute and node that contain it.
    """
    for key, node in zip(node_keys(graph), graph.node):
        description = f"'{key}' ({node.op_type}){outer}"
        yield description, node
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                subgraphs = [attribute.g]
            elif attribute.type == onnx.AttributeProto.GRAPHS:
                subgraphs = list(attribute.graphs)
            else:
                continue
            for subgraph in subgraphs:
                yield from described_nodes(subgraph, f" in {attribute.name} of '{key}'{outer}")


def run_checker(model: onnx.ModelProto, source: str, path: str | None = None) -> str | None:
    """Run onnx.checker; return its first message line if the model fails, else None.

    With ``path``, the file ``model`` was read from, the checker reads that
    file itself and resolves external data locations against its folder, not
    the working directory. It checks that each external data file exists but
    does not read it (onnx 1.23 reads only the model file).
    """
    try:
        onnx.checker.check_model(model if path is None else path)
    except (onnx.checker.ValidationError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        logger.warning("%s fails onnx.checker (%s); analysing it anyway", source, first_line)
        return first_line
    return None
