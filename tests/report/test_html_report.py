"""HTML reports of analyze and diff: well-formed, self-contained, charts complete, numbers equal to the JSON."""

from __future__ import annotations

import json
import math
import re

import pytest

from graphcost.report import render
from report_helpers import (
    ANALYSIS_CASES,
    DIFF_PROFILE,
    HOSTILE_INPUT,
    HOSTILE_NAME,
    SSDLITE,
    SSDLITE_V2,
    analysis_html,
    analysis_report,
    diff_html,
    diff_report,
    hostile_html,
    json_path,
    parse_page,
    run_cli,
)

ALL_PAGES = [*ANALYSIS_CASES, "diff"]
WITH_HW = [case for case, (_, hw) in ANALYSIS_CASES.items() if hw is not None]
# Attributes that make a browser fetch something.
FETCHING_ATTRIBUTES = ("src", "href", "xlink:href", "srcset", "data", "poster", "action")
# SVG coordinates are written rounded to 0.01 px.
PIXEL_TOLERANCE = 0.02


def page_text(name: str) -> str:
    return diff_html() if name == "diff" else analysis_html(name)


def number(text: str) -> float:
    return float(text)


@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_parses_with_every_element_closed(name):
    page = parse_page(page_text(name))
    assert page.nesting_errors == []
    assert page.find("html")[0].attributes["data-graphcost-report"] == ("diff" if name == "diff" else "analysis")


@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_has_no_external_reference(name):
    text = page_text(name)
    page = parse_page(text)
    assert re.findall(r"https?://", text) == []
    for element in page.elements:
        for attribute in FETCHING_ATTRIBUTES:
            assert attribute not in element.attributes, f"<{element.tag} {attribute}=...>"
    assert page.find("link") == []
    assert "url(" not in text
    assert "@import" not in text


@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_scripts_are_json_data_only(name):
    page = parse_page(page_text(name))
    assert [script.attributes for script in page.scripts] == [{"type": "application/json", "id": "graphcost-data"}]


@pytest.mark.parametrize("case", list(ANALYSIS_CASES))
def test_embedded_json_is_report_dict(case):
    report = analysis_report(case)
    data = parse_page(analysis_html(case)).data()
    # The JSON report of --format json: report.to_dict() with the uncosted nodes per kernel and op type added.
    expected = json.loads(render(report, "json"))
    assert data["totals"] == expected["totals"]
    assert data["nodes"] == expected["nodes"]
    assert data["kernels"] == expected["kernels"]
    assert data["latency"] == expected["latency"]


def test_diff_embedded_json_is_report_dict():
    data = parse_page(diff_html()).data()
    expected = diff_report().to_dict()
    assert data["attribution"] == expected["attribution"]
    assert data["a"] == expected["a"]
    assert data["b"] == expected["b"]


@pytest.mark.parametrize("name", ALL_PAGES)
def test_figures_equal_json(name):
    page = parse_page(page_text(name))
    data = page.data()
    figures = [element for element in page.elements if "data-json-path" in element.attributes]
    assert len(figures) >= 4
    for figure in figures:
        assert number(figure.attributes["data-value"]) == json_path(data, figure.attributes["data-json-path"])


@pytest.mark.parametrize("case", list(ANALYSIS_CASES))
def test_one_bar_per_kernel_in_order(case):
    page = parse_page(analysis_html(case))
    data = page.data()
    bars = page.find("rect", class_="kernel-bar")
    assert [bar.attributes["data-kernel"] for bar in bars] == [kernel["id"] for kernel in data["kernels"]["kernels"]]
    assert [bar.attributes["data-kernel-class"] for bar in bars] == [k["kernel_class"] for k in data["kernels"]["kernels"]]


@pytest.mark.parametrize("case", WITH_HW)
def test_bar_values_are_kernel_latency(case):
    page = parse_page(analysis_html(case))
    latency = page.data()["latency"]["kernels"]
    bars = page.find("rect", class_="kernel-bar")
    assert [number(bar.attributes["data-value"]) for bar in bars] == [item["latency_s"] for item in latency]


def test_bar_values_without_hw_are_bytes_moved():
    page = parse_page(analysis_html("mobilenet-v2-no-hw"))
    kernels = page.data()["kernels"]["kernels"]
    bars = page.find("rect", class_="kernel-bar")
    assert [int(bar.attributes["data-value"]) for bar in bars] == [kernel["bytes_moved"] for kernel in kernels]
    assert len(page.find("svg", id="kernel-bars")) == 1
    titles = [element.text for element in page.elements if element.tag == "text"]
    assert any(title.startswith("Bytes moved per kernel") for title in titles)
    assert "bytes moved (MB)" in titles


@pytest.mark.parametrize("case", list(ANALYSIS_CASES))
def test_bar_heights_proportional_to_values(case):
    bars = parse_page(analysis_html(case)).find("rect", class_="kernel-bar")
    ratios = [
        number(bar.attributes["height"]) / number(bar.attributes["data-value"])
        for bar in bars
        if number(bar.attributes["height"]) > 5
    ]
    assert len(ratios) > 10
    assert max(ratios) == pytest.approx(min(ratios), rel=0.01)


@pytest.mark.parametrize("case", list(ANALYSIS_CASES))
def test_bar_legend_names_every_kernel_class(case):
    page = parse_page(analysis_html(case))
    classes = {kernel["kernel_class"] for kernel in page.data()["kernels"]["kernels"]}
    legend_texts = {element.text for element in page.elements if element.tag == "text"}
    assert classes <= legend_texts


@pytest.mark.parametrize("case", WITH_HW)
def test_roofline_point_per_kernel_with_flop(case):
    page = parse_page(analysis_html(case))
    data = page.data()
    kernels = {kernel["id"]: kernel for kernel in data["kernels"]["kernels"]}
    expected = [item for item in data["latency"]["kernels"] if 2 * kernels[item["kernel_id"]]["macs"] + kernels[item["kernel_id"]]["elementwise_ops"] > 0]
    points = page.find("circle", class_="roofline-point")
    assert [point.attributes["data-kernel"] for point in points] == [item["kernel_id"] for item in expected]
    left_out = len(data["latency"]["kernels"]) - len(expected)
    assert any(f"{left_out} kernels with no FLOP" in element.text for element in page.elements if element.tag == "text")


@pytest.mark.parametrize("case", WITH_HW)
def test_roofline_values_equal_json(case):
    page = parse_page(analysis_html(case))
    data = page.data()
    kernels = {kernel["id"]: kernel for kernel in data["kernels"]["kernels"]}
    latency = {item["kernel_id"]: item for item in data["latency"]["kernels"]}
    for point in page.find("circle", class_="roofline-point"):
        item = latency[point.attributes["data-kernel"]]
        kernel = kernels[item["kernel_id"]]
        flops = 2 * kernel["macs"] + kernel["elementwise_ops"]
        assert number(point.attributes["data-intensity"]) == item["arithmetic_intensity"]
        assert number(point.attributes["data-value"]) == flops / item["latency_s"]
        assert point.attributes["data-device"] == item["device"]


@pytest.mark.parametrize("case", WITH_HW)
def test_roofline_axes_are_logarithmic(case):
    points = parse_page(analysis_html(case)).find("circle", class_="roofline-point")
    xs = [(math.log10(number(p.attributes["data-intensity"])), number(p.attributes["cx"])) for p in points]
    ys = [(math.log10(number(p.attributes["data-value"])), number(p.attributes["cy"])) for p in points]
    slopes = []
    for pairs in (xs, ys):
        low, high = min(pairs), max(pairs)
        slope = (high[1] - low[1]) / (high[0] - low[0])
        slopes.append(slope)
        for value, pixel in pairs:
            assert pixel == pytest.approx(low[1] + slope * (value - low[0]), abs=PIXEL_TOLERANCE)
    x_slope, y_slope = slopes
    assert x_slope > 0  # larger intensity is further right
    assert y_slope < 0  # larger throughput is higher up


@pytest.mark.parametrize("case", WITH_HW)
def test_roofline_has_compute_and_bandwidth_roofs(case):
    page = parse_page(analysis_html(case))
    report = analysis_report(case)
    roofs = page.find("line", class_="roof")
    assert len(roofs) == 2 + len(report.hardware.memory)
    texts = {element.text for element in page.elements if element.tag == "text"}
    assert "arithmetic intensity (FLOP/byte)" in texts
    assert "attained throughput (GFLOP/s)" in texts
    for level in report.hardware.memory:
        assert f"{level.name} bandwidth" in texts


def test_roofline_marks_fallback_kernels_hollow():
    page = parse_page(analysis_html("ssdlite-pixel-npu"))
    fallback = set(page.data()["latency"]["fallback_kernels"])
    assert fallback
    for point in page.find("circle", class_="roofline-point"):
        on_fallback = point.attributes["data-kernel"] in fallback
        assert (point.attributes["fill"] == "white") == on_fallback


def test_no_roofline_without_hw():
    page = parse_page(analysis_html("mobilenet-v2-no-hw"))
    assert page.find("svg", id="roofline") == []
    assert page.find("circle", class_="roofline-point") == []
    assert "No roofline: it needs a hardware profile (--hw)." in page.text


@pytest.mark.parametrize("case", WITH_HW)
def test_kernel_table_total_matches_latency(case):
    page = parse_page(analysis_html(case))
    total_ms = f"{page.data()['latency']['total_s'] * 1e3:.3f}"
    cells = [element.text.strip() for element in page.elements if element.tag == "td"]
    assert total_ms in cells


def test_waterfall_bars_are_components_plus_totals():
    page = parse_page(diff_html())
    attribution = page.data()["attribution"]["latency_s"]
    bars = page.find("rect", class_="waterfall-bar")
    assert len(bars) == len(attribution["components"]) + 2
    values = [number(bar.attributes["data-value"]) for bar in bars]
    assert values == [attribution["a"], *attribution["components"].values(), attribution["b"]]
    assert [bar.attributes["data-component"] for bar in bars[1:-1]] == list(attribution["components"])
    assert [bar.attributes["data-kind"] for bar in (bars[0], bars[-1])] == ["total", "total"]


def test_waterfall_components_chain_from_a_to_b():
    bars = parse_page(diff_html()).find("rect", class_="waterfall-bar")
    a_end = number(bars[0].attributes["x"]) + number(bars[0].attributes["width"])
    b_end = number(bars[-1].attributes["x"]) + number(bars[-1].attributes["width"])
    running = a_end
    for bar in bars[1:-1]:
        left, right = number(bar.attributes["x"]), number(bar.attributes["x"]) + number(bar.attributes["width"])
        delta = number(bar.attributes["data-value"])
        start, end = (left, right) if delta > 0 else (right, left)
        assert start == pytest.approx(running, abs=1.0)
        running = end
    assert running == pytest.approx(b_end, abs=1.0)


def test_waterfall_colours_by_sign():
    bars = parse_page(diff_html()).find("rect", class_="waterfall-bar")
    for bar in bars[1:-1]:
        expected = "increase" if number(bar.attributes["data-value"]) > 0 else "decrease"
        assert bar.attributes["data-kind"] == expected


def test_stage_bars_pair_a_and_b_per_stage():
    page = parse_page(diff_html())
    data = page.data()
    bars = page.find("rect", class_="stage-bar")
    assert len(bars) == 2 * len(data["stages"])
    for bar in bars:
        side = data[bar.attributes["data-model"]]
        expected = side["stages"].get(bar.attributes["data-stage"], {}).get("latency_s", 0.0)
        assert number(bar.attributes["data-value"]) == expected
    assert [bar.attributes["data-stage"] for bar in bars[::2]] == data["stages"]
    assert [bar.attributes["data-model"] for bar in bars[:2]] == ["a", "b"]


def test_diff_charts_have_titles_axes_and_legends():
    page = parse_page(diff_html())
    texts = [element.text for element in page.elements if element.tag == "text"]
    assert any(text.startswith(f"Latency from A to B on {DIFF_PROFILE}") for text in texts)
    assert any(text.startswith(f"Latency per stage on {DIFF_PROFILE}") for text in texts)
    assert texts.count("latency (ms)") == 2
    assert "B slower: adds latency" in texts
    assert "B faster: removes latency" in texts
    assert f"A: {SSDLITE_V2.name}" in texts
    assert f"B: {SSDLITE.name}" in texts


def test_hostile_names_stay_text():
    text = hostile_html()
    page = parse_page(text)
    assert page.nesting_errors == []
    assert len(page.scripts) == 1
    assert page.find("b") == []
    assert HOSTILE_NAME in page.text
    assert HOSTILE_INPUT in page.text
    tooltips = [element.text for element in page.elements if element.tag == "title"]
    assert any(HOSTILE_NAME in tooltip for tooltip in tooltips)


def test_hostile_names_survive_embedded_json():
    text = hostile_html()
    data = parse_page(text).data()
    assert [node["key"] for node in data["nodes"]] == [HOSTILE_NAME, "relu"]
    assert data["model"]["inputs"][0]["name"] == HOSTILE_INPUT
    script = text[text.index('id="graphcost-data"'):]
    assert "</script>" not in script[: script.index("\n</script>")]


def test_analyze_cli_writes_html(tmp_path, capsys):
    output = tmp_path / "report.html"
    result = run_cli(["analyze", SSDLITE, "--hw", "pixel1-cpu", "--format", "html", "-o", output], capsys)
    assert result.status == 0, result.stderr
    assert result.stdout == ""
    page = parse_page(output.read_text(encoding="utf-8"))
    assert page.nesting_errors == []
    assert len(page.find("rect", class_="kernel-bar")) == len(page.data()["kernels"]["kernels"])
    assert page.find("h2", id="table-kernel")


def test_analyze_cli_html_top_limits_table(tmp_path, capsys):
    output = tmp_path / "report.html"
    result = run_cli(["analyze", SSDLITE, "--format", "html", "--top", "3", "-o", output], capsys)
    assert result.status == 0, result.stderr
    page = parse_page(output.read_text(encoding="utf-8"))
    # The node table comes first: a header row, 3 rows and the totals row; the chart keeps every kernel.
    node_rows = output.read_text(encoding="utf-8").split('<h2 id="table-node">')[1].split("</table>")[0].count("<tr")
    assert node_rows == 1 + 3 + 1
    assert len(page.find("rect", class_="kernel-bar")) == len(page.data()["kernels"]["kernels"])


def test_diff_cli_writes_html(tmp_path, capsys):
    output = tmp_path / "diff.html"
    result = run_cli(["diff", SSDLITE_V2, SSDLITE, "--hw", DIFF_PROFILE, "--format", "html", "-o", output], capsys)
    assert result.status == 0, result.stderr
    page = parse_page(output.read_text(encoding="utf-8"))
    assert page.nesting_errors == []
    components = page.data()["attribution"]["latency_s"]["components"]
    assert len(page.find("rect", class_="waterfall-bar")) == len(components) + 2


def test_whatif_cli_rejects_html(capsys):
    result = run_cli(["whatif", SSDLITE, "--hw", DIFF_PROFILE, "--format", "html"], capsys)
    assert result.status == 2
    assert len(result.stderr_lines) == 1
    assert "invalid choice: 'html'" in result.stderr


def table_rows(page_html: str) -> list[tuple[list[str], str]]:
    """Return, for each table, its body rows as (class attribute or "", row HTML) pairs."""
    tables = []
    for table in re.findall(r"<table>.*?</table>", page_html, flags=re.DOTALL):
        body = table.split("<tbody>", 1)[1]
        tables.append(re.findall(r"<tr( class=\"[^\"]*\")?>(.*?)</tr>", body, flags=re.DOTALL))
    return tables


def row_cells(row_html: str) -> list[str]:
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row_html, flags=re.DOTALL)]


def test_style_bolds_only_total_rows():
    style = analysis_html("mobilenet-v2-no-hw").split("<style>", 1)[1].split("</style>", 1)[0]

    assert "last-child" not in style
    assert "tr.total td { font-weight: bold; }" in style


@pytest.mark.parametrize("case", ANALYSIS_CASES)
def test_analysis_tables_mark_totals_row(case):
    tables = table_rows(analysis_html(case))

    assert tables, "the page has no table"
    for rows in tables:
        classes = [row_class for row_class, _ in rows]
        assert classes[-1] == ' class="total"'
        assert set(classes[:-1]) == {""}
        assert "total" in row_cells(rows[-1][1])[:2]


def test_diff_tables_mark_only_totals_rows():
    tables = table_rows(diff_html())
    # Stages, attribution, op types, patterns: only the first two end in a totals row.
    last_rows = [(rows[-1][0], row_cells(rows[-1][1])[0]) for rows in tables]

    assert len(tables) == 4
    assert last_rows[0] == (' class="total"', "total")
    assert last_rows[1] == (' class="total"', "total (B - A)")
    assert last_rows[2][0] == ""
    assert last_rows[3][0] == ""
    for rows in tables:
        assert all(row_class == "" for row_class, _ in rows[:-1])
