"""Exceptions raised for bad input.

Every message is one line that names the file, node, tensor or option at
fault, the value found and what to do next. The CLI prints it and exits
with status 2.
"""

from __future__ import annotations


class GraphcostError(Exception):
    """Base class for errors caused by the user's input."""


class ModelLoadError(GraphcostError):
    """The model file is missing, unreadable or not a valid ONNX model."""


class ShapeError(GraphcostError):
    """A tensor shape is missing, invalid or cannot be resolved."""


class InputShapeError(GraphcostError):
    """An input shape (``--input-shape`` or ``input_shapes``) is malformed or names no model input."""
