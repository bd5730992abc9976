"""Deterministic serialization of the reference models to files."""

from __future__ import annotations

import logging
from pathlib import Path

import onnx

from graphcost.zoo.catalog import CATALOG, build_model
from graphcost.zoo.options import ZooOptionError

logger = logging.getLogger(__name__)

MODEL_SUFFIX = ".onnx"


def serialize_model(model: onnx.ModelProto) -> bytes:
    """Return the model's protobuf bytes; the same model always gives the same bytes."""
    return model.SerializeToString(deterministic=True)


def write_model(model: onnx.ModelProto, path: str | Path) -> int:
    """Write the model to ``path`` and return the number of bytes written.

    Raises ZooOptionError when the file cannot be written.
    """
    data = serialize_model(model)
    try:
        Path(path).write_bytes(data)
    except OSError as error:
        raise ZooOptionError(
            f"cannot write {path}: {error.strerror or error}. Choose a writable path with -o."
        ) from None
    logger.info("wrote %s (%d bytes)", path, len(data))
    return len(data)


def catalog_path(directory: str | Path, name: str) -> Path:
    return Path(directory) / f"{name}{MODEL_SUFFIX}"


def write_catalog(directory: str | Path) -> list[Path]:
    """Build every catalog model with its defaults into ``directory``/NAME.onnx and return the paths.

    The directory is created if it does not exist.
    """
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ZooOptionError(
            f"cannot create directory {directory}: {error.strerror or error}. Choose another with -o."
        ) from None
    paths = []
    for name in CATALOG:
        path = catalog_path(directory, name)
        write_model(build_model(name), path)
        paths.append(path)
    return paths
