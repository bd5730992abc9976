"""HTML reports rendered by headless Chromium: the DOM it builds contains the charts, and the page logs nothing.

Needs Debian's ``chromium`` package (``.ci/run`` installs it). Chromium gets
every host name mapped to "not found" and its background networking off,
so a page that tried to fetch anything would fail to, and the console check
below would see the failed load.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from report_helpers import ANALYSIS_CASES, analysis_html, diff_html, hostile_html, parse_page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WINDOW = (1400, 2000)
# Seconds; a cold Chromium start on a loaded 2-core machine can take a while.
CHROMIUM_TIMEOUT = 180
# Chromium writes each console message of a page to stderr as 'INFO:CONSOLE:<line>] "<message>", source: <url>'.
CONSOLE_LINE = re.compile(r":CONSOLE[:(]|Uncaught")


def chromium_flags(profile_dir: Path) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile_dir}",
        "--enable-logging=stderr",
        "--v=0",
    ]


def run_chromium(arguments: list[str], folder: Path) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)")
    command = [CHROMIUM, *chromium_flags(folder / "chromium-profile"), *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed


def render_in_chromium(html_text: str, folder: Path) -> tuple[str, str, Path]:
    """Open ``html_text`` from a file in headless Chromium and return the dumped DOM, both runs' stderr and the screenshot.

    The screenshot has a run of its own because with --dump-dom in the same
    run Chromium 156 took it before the long tables were painted.
    """
    page = folder / "report.html"
    page.write_text(html_text, encoding="utf-8")
    screenshot = folder / "shot.png"
    window = f"--window-size={WINDOW[0]},{WINDOW[1]}"
    shot_run = run_chromium([f"--screenshot={screenshot}", window, page.as_uri()], folder)
    dom_run = run_chromium(["--dump-dom", window, page.as_uri()], folder)
    return dom_run.stdout, shot_run.stderr + dom_run.stderr, screenshot


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE_LINE.search(line)]


def png_size_and_pixels(path: Path) -> tuple[int, int, bytes]:
    """Return the width, height and decompressed (still row-filtered) pixel bytes of a PNG file."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = [], 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))


def check_screenshot(path: Path) -> None:
    width, height, pixels = png_size_and_pixels(path)
    assert (width, height) == WINDOW
    # A blank page decompresses to a handful of distinct byte values, while charts and tables give hundreds.
    assert len(set(pixels)) > 100


@pytest.mark.parametrize("case", list(ANALYSIS_CASES))
def test_analysis_page_in_chromium(tmp_path, case):
    html_text = analysis_html(case)
    dom, stderr, screenshot = render_in_chromium(html_text, tmp_path)
    assert console_lines(stderr) == []
    check_screenshot(screenshot)
    rendered = parse_page(dom)
    source = parse_page(html_text)
    kernels = source.data()["kernels"]["kernels"]
    assert len(rendered.find("svg", id="kernel-bars")) == 1
    assert len(rendered.find("rect", class_="kernel-bar")) == len(kernels)
    points = len(source.find("circle", class_="roofline-point"))
    assert len(rendered.find("circle", class_="roofline-point")) == points
    if ANALYSIS_CASES[case][1] is not None:
        assert points > 0
        assert len(rendered.find("svg", id="roofline")) == 1
    assert rendered.data() == source.data()


def test_diff_page_in_chromium(tmp_path):
    html_text = diff_html()
    dom, stderr, screenshot = render_in_chromium(html_text, tmp_path)
    assert console_lines(stderr) == []
    check_screenshot(screenshot)
    rendered = parse_page(dom)
    components = parse_page(html_text).data()["attribution"]["latency_s"]["components"]
    assert len(rendered.find("rect", class_="waterfall-bar")) == len(components) + 2
    stages = parse_page(html_text).data()["stages"]
    assert len(rendered.find("rect", class_="stage-bar")) == 2 * len(stages)


def test_hostile_names_inert_in_chromium(tmp_path):
    dom, stderr, _ = render_in_chromium(hostile_html(), tmp_path)
    assert console_lines(stderr) == []
    rendered = parse_page(dom)
    assert len(rendered.scripts) == 1
    assert rendered.find("b") == []


def test_console_check_sees_page_errors(tmp_path):
    # A page that logs an error and throws: the check the report pages pass must see both.
    probe = (
        "<!DOCTYPE html><html><head><title>probe</title></head><body>"
        '<script>console.error("graphcost-probe-error"); throw new Error("graphcost-probe-uncaught");</script>'
        "</body></html>"
    )
    _, stderr, _ = render_in_chromium(probe, tmp_path)
    lines = console_lines(stderr)
    assert any("graphcost-probe-error" in line for line in lines)
    assert any("Uncaught Error: graphcost-probe-uncaught" in line for line in lines)
