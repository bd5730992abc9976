"""Load a model for a subcommand: shape options named as the user typed them, overridden declared dims noted."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator

from graphcost.errors import GraphcostError
from graphcost.load import Model, load

logger = logging.getLogger(__name__)

INPUT_SHAPE_OPTION = "--input-shape"
# The loader's messages name the option as --input-shape, never as --input-shape-a or -b.
_INPUT_SHAPE_MENTION = re.compile(r"--input-shape(?![\w-])")


def load_model(path: str, input_shapes: list[str], option: str = INPUT_SHAPE_OPTION) -> Model:
    """Load ``path`` with the ``option`` values ``input_shapes``, and note each declared static dim they change.

    Errors, warnings and notes name ``option`` (such as ``--input-shape-a``)
    where the loader writes ``--input-shape``. Each note is logged as a
    warning, so ``-q`` hides it, and is added to ``model.notes``, so the
    report lists it.
    """
    with _naming_option(option):
        model = load(path, input_shapes)
    model.notes[:] = [rename_option(note, option) for note in model.notes]
    for note in overridden_dim_notes(model, option):
        logger.warning("%s", note)
        model.notes.append(note)
    return model


def rename_option(text: str, option: str) -> str:
    """Return ``text`` with each mention of ``--input-shape`` replaced by ``option``."""
    return _INPUT_SHAPE_MENTION.sub(option, text)


def overridden_dim_notes(model: Model, option: str = INPUT_SHAPE_OPTION) -> list[str]:
    """Return one note per model input whose declared static dims the input shapes changed."""
    declared = {info.name: info.type.tensor_type for info in model.proto.graph.input}
    notes = []
    for name in model.inputs:
        tensor_type = declared.get(name)
        tensor = model.tensors.get(name)
        if tensor_type is None or not tensor_type.HasField("shape") or tensor is None or tensor.shape is None:
            continue
        dims = list(tensor_type.shape.dim)
        changes = [
            f"axis {axis} from {dim.dim_value} to {size}"
            for axis, (dim, size) in enumerate(zip(dims, tensor.shape))
            if dim.HasField("dim_value") and dim.dim_value != size
        ]
        if not changes:
            continue
        declared_text = "x".join(str(dim.dim_value) if dim.HasField("dim_value") else dim.dim_param or "?" for dim in dims)
        shape_text = "x".join(str(size) for size in tensor.shape)
        notes.append(
            f"{option} overrides declared static dims of input '{name}': {', '.join(changes)} "
            f"(declared {declared_text}, analyzed as {shape_text})"
        )
    return notes


class _RenameOptionFilter(logging.Filter):
    """Rewrite each log record's message so that it names ``option`` instead of ``--input-shape``."""

    def __init__(self, option: str):
        super().__init__()
        self.option = option

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = rename_option(record.getMessage(), self.option)
        record.args = None
        return True


@contextlib.contextmanager
def _naming_option(option: str) -> Iterator[None]:
    """Make the loader's errors and log messages inside the block name ``option``."""
    if option == INPUT_SHAPE_OPTION:
        yield
        return
    handlers = logging.getLogger("graphcost").handlers
    rename = _RenameOptionFilter(option)
    for handler in handlers:
        handler.addFilter(rename)
    try:
        yield
    except GraphcostError as error:
        raise type(error)(rename_option(str(error), option)) from error
    finally:
        for handler in handlers:
            handler.removeFilter(rename)
