"""Which profile parameters a calibration run fits."""

from __future__ import annotations

from graphcost.calibrate.run import _free_parameters
from graphcost.hardware import load_profile


def test_free_includes_conv_epilogue():
    free = _free_parameters(load_profile("pixel1-cpu"), [])

    assert free == ["efficiency.elementwise", "efficiency.conv_epilogue", "memory.L2", "memory.DRAM", "overhead"]


def test_free_without_conv_epilogue():
    free = _free_parameters(load_profile("x86-avx2-cpu"), [])

    assert "efficiency.conv_epilogue" not in free
    assert "efficiency.elementwise" in free
