"""docs/attribution_examples.md is the current output of benchmarks/attribution_examples.py."""

from __future__ import annotations

import importlib.util

from conftest import REPO


def test_examples_doc_is_current():
    spec = importlib.util.spec_from_file_location("attribution_examples", REPO / "benchmarks" / "attribution_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (REPO / "docs" / "attribution_examples.md").read_text(encoding="utf-8")
    assert committed == module.render(), "run: python benchmarks/attribution_examples.py"
