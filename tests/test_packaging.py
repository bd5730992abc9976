"""The package list in pyproject.toml covers every subpackage, so 'pip install .' ships them all."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_every_subpackage_listed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.parent.relative_to(REPO).parts)
        for path in (REPO / "graphcost").rglob("__init__.py")
    }
    assert found - listed == set()
    assert "graphcost.hardware_profiles" in listed
