"""Parse ``--input-shape`` values: ``NAME=1x3x224x224`` or bare ``1x3x224x224``."""

from __future__ import annotations

from graphcost.errors import InputShapeError

SYNTAX_HINT = "expected NAME=DIMS or DIMS, with DIMS like 1x3x224x224"


def parse_input_shape(text: str) -> tuple[str | None, tuple[int, ...]]:
    """Return ``(input name or None, dims)`` for one ``--input-shape`` value.

    The name is None for bare dims, which apply to a model's only input.
    The name may itself contain ``=`` only if it is followed by the dims, so
    the split is on the last ``=``.
    """
    name, separator, dims_text = text.rpartition("=")
    if not separator:
        name = None
    elif not name:
        raise InputShapeError(f"--input-shape '{text}' has an empty input name; {SYNTAX_HINT}")
    parts = dims_text.lower().replace(",", "x").split("x")
    try:
        dims = tuple(int(part) for part in parts)
    except ValueError:
        raise InputShapeError(f"--input-shape '{text}' is not a shape; {SYNTAX_HINT}") from None
    if any(dim < 0 for dim in dims):
        raise InputShapeError(f"--input-shape '{text}' has a negative dim; every dim must be at least 1")
    if any(dim == 0 for dim in dims):
        raise InputShapeError(f"--input-shape '{text}' has a zero dim; every dim must be at least 1")
    return name, dims
