"""Reports the HTML and export tests share, computed once per session, and an HTML page parser."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import onnx
from onnx import TensorProto, helper

import graphcost
from conftest import REPO, TORCHVISION_MODELS, CliResult, run_cli
from graphcost.diff.compare import DiffReport, diff_models
from graphcost.report import render
from graphcost.report.diff_render import render_diff
from graphcost.results import AnalysisReport

SSDLITE = REPO / "models" / "ssdlite_mobilenet_v3_large.onnx"
SSDLITE_V2 = REPO / "models" / "ssdlite_mobilenet_v2.onnx"
MOBILENET_V2 = TORCHVISION_MODELS["mobilenet_v2"]

# (model, hardware profile or None): a CPU, an NPU whose unsupported kernels
# fall back to a CPU, and no profile (no latency, no roofline).
ANALYSIS_CASES = {
    "ssdlite-pixel1-cpu": (SSDLITE, "pixel1-cpu"),
    "ssdlite-pixel-npu": (SSDLITE, "pixel-npu"),
    "mobilenet-v2-no-hw": (MOBILENET_V2, None),
}
DIFF_PROFILE = "pixel1-cpu"

# Conv (1x1, 8 -> 8 channels on 16x16) then Relu, in custom_op_model: MACs and Relu operations.
CONV_MACS = 8 * 8 * 16 * 16
RELU_OPS = 8 * 16 * 16

# A node name made to break out of HTML text, attributes, the JSON script and DOT strings.
HOSTILE_NAME = '</script><script>alert("x")</script><b>&amp; \'q\' "dq" \\ end\\'
HOSTILE_INPUT = 'in"put<1>&'

# Elements HTML defines as void: they have no end tag.
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


@functools.cache
def analysis_report(case: str) -> AnalysisReport:
    model, hw = ANALYSIS_CASES[case]
    if not Path(model).is_file():
        raise FileNotFoundError(f"bundled model {model} is missing; the report tests need it")
    return graphcost.analyze(model, hw=hw)


@functools.cache
def analysis_html(case: str) -> str:
    report = analysis_report(case)
    return render(report, "html", "kernel" if report.latency is not None else "node")


@functools.cache
def diff_report() -> DiffReport:
    return diff_models(SSDLITE_V2, SSDLITE, DIFF_PROFILE)


@functools.cache
def diff_html() -> str:
    return render_diff(diff_report(), "html")


def hostile_model() -> onnx.ModelProto:
    """Return a Conv then Relu model whose Conv node and input carry HTML, JSON and DOT metacharacters."""
    weights = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.5] * 108)
    nodes = [
        helper.make_node("Conv", [HOSTILE_INPUT, "w"], ["conv_out"], name=HOSTILE_NAME, pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv_out"], ["y"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes,
        "hostile",
        [helper.make_tensor_value_info(HOSTILE_INPUT, TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
        [weights],
    )
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])


@functools.cache
def hostile_html() -> str:
    return render(graphcost.analyze(hostile_model(), hw="pixel1-cpu"), "html", "node")


def custom_op_model() -> onnx.ModelProto:
    """Return Conv, Relu, a custom op and a second Relu; the custom op's output shape is unknown.

    The custom op has no compute formula, and the last Relu has one but
    cannot apply it, because its input's shape is unknown.
    """
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["conv_out"], name="conv", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["conv_out"], ["relu_out"], name="first_relu"),
        helper.make_node("Fancy", ["relu_out"], ["fancy_out"], name="fancy", domain="com.example"),
        helper.make_node("Relu", ["fancy_out"], ["y"], name="last_relu"),
    ]
    graph = helper.make_graph(
        nodes,
        "custom",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [helper.make_tensor("w", TensorProto.FLOAT, [8, 8, 1, 1], [0.5] * 64)],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
    return helper.make_model(graph, ir_version=8, opset_imports=opsets)


def conv_relu_model() -> onnx.ModelProto:
    """Return the first two nodes of custom_op_model, which the formulas cover."""
    model = custom_op_model()
    del model.graph.node[2:]
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info("relu_out", TensorProto.FLOAT, [1, 8, 16, 16]))
    return model


def partial_kernel_model() -> onnx.ModelProto:
    """Return a custom op beside a Conv whose residual Add reads the custom op's output of unknown shape.

    On pixel-npu the Conv and the Add run as one kernel in which the Conv is
    costed and the Add is not.
    """
    nodes = [
        helper.make_node("Fancy", ["x"], ["fancy_out"], name="fancy", domain="com.example"),
        helper.make_node("Conv", ["x", "w"], ["conv_out"], name="conv", kernel_shape=[1, 1]),
        helper.make_node("Add", ["conv_out", "fancy_out"], ["y"], name="add"),
    ]
    graph = helper.make_graph(
        nodes,
        "partial_kernel",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [helper.make_tensor("w", TensorProto.FLOAT, [8, 8, 1, 1], [0.5] * 64)],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
    return helper.make_model(graph, ir_version=8, opset_imports=opsets)


def if_body_model() -> onnx.ModelProto:
    """Return a model whose only node is an If with a custom op in its then branch."""
    then_branch = helper.make_graph(
        [helper.make_node("Fancy", ["x"], ["then_out"], name="then_fancy", domain="com.example")],
        "then",
        [],
        [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [1, 4])],
    )
    else_branch = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["else_out"], name="else_relu")],
        "else",
        [],
        [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, [1, 4])],
    )
    graph = helper.make_graph(
        [helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_branch, else_branch=else_branch)],
        "if_body",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
    return helper.make_model(graph, ir_version=8, opset_imports=opsets)


@dataclass
class Element:
    tag: str
    attributes: dict[str, str]
    text: str = ""


@dataclass
class ParsedPage:
    """What PageParser found: every element, nesting errors, the script texts and the visible text."""

    elements: list[Element] = field(default_factory=list)
    nesting_errors: list[str] = field(default_factory=list)
    scripts: list[Element] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str, **attributes: str) -> list[Element]:
        """Return the elements with ``tag`` whose attributes include ``attributes`` (``class_`` for class)."""
        expected = {key.rstrip("_").replace("_", "-"): value for key, value in attributes.items()}
        return [
            element
            for element in self.elements
            if element.tag == tag and all(element.attributes.get(key) == value for key, value in expected.items())
        ]

    def data(self) -> dict:
        """Return the JSON report embedded in the page."""
        (script,) = [element for element in self.scripts if element.attributes.get("id") == "graphcost-data"]
        return json.loads(script.text)


class PageParser(HTMLParser):
    """Parse a page with html.parser and check that every element is closed in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self.stack: list[Element] = []
        self.text_parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.page.elements.append(element)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.page.elements.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        if not self.stack or self.stack[-1].tag != tag:
            open_tag = self.stack[-1].tag if self.stack else None
            self.page.nesting_errors.append(f"</{tag}> closes <{open_tag}>")
            return
        element = self.stack.pop()
        if tag == "script":
            self.page.scripts.append(element)

    def handle_data(self, data):
        if self.stack:
            self.stack[-1].text += data
        if not self.stack or self.stack[-1].tag not in ("script", "style", "title"):
            self.text_parts.append(data)


def parse_page(text: str) -> ParsedPage:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    for element in parser.stack:
        parser.page.nesting_errors.append(f"<{element.tag}> never closed")
    parser.page.text = "".join(parser.text_parts)
    return parser.page


def json_path(data: dict, path: str):
    """Return the value at a dotted ``path`` such as ``totals.macs`` in the JSON report."""
    value = data
    for part in path.split("."):
        value = value[part]
    return value
