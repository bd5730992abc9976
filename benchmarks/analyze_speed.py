"""Time graphcost's load + analyze on the bundled models and on synthetic chains.

Run from the repository root with the package installed:

    python benchmarks/analyze_speed.py

Every measurement runs in a fresh Python process (this script with
``--worker``), so the first run in it is cold, and its ``ru_maxrss`` is the
whole-process peak memory of that model alone. The script prints the tables
and writes them to benchmarks/RESULTS.md. A section of that file headed
``## Notes`` is written by hand and carried over when the file is rewritten.
It makes no timing assertion: targets are reported as met or not met.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import json
import logging
import math
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tabulate import tabulate

logger = logging.getLogger("analyze_speed")

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
DATA = REPO / "tests" / "data"
REAL_MODELS = {
    "mobilenet_v2": DATA / "torchvision_mobilenet_v2_opset17.onnx",
    "mobilenet_v3_large": DATA / "torchvision_mobilenet_v3_large_opset17.onnx",
    "ssdlite320_mobilenet_v3_large": DATA / "torchvision_ssdlite320_mobilenet_v3_large_opset17.onnx",
}

# Synthetic chain: input [1, CHANNELS, HEIGHT, WIDTH]. Each link is
# Conv 1x1 with bias -> Relu -> Add (residual from the link's input) -> Mul
# by a per-channel scale, so 4 nodes per link, all costed.
CHANNELS, HEIGHT, WIDTH = 16, 8, 8
NODES_PER_LINK = 4
FLOAT_BYTES = 4

# Targets of the benchmark. The linearity check divides the time per node of
# the largest chain by that of the smallest, so 1.0 is exactly linear. The
# 1.25 limit is a chosen tolerance for fixed per-model costs and timing noise,
# not a measured bound.
TARGET_SECONDS = 1.0
LINEAR_RATIO_LIMIT = 1.25

PROFILE_TOP = 12
NOTES_HEADING = "## Notes"


# ---------------------------------------------------------------- synthetic chain


def build_chain(link_count: int, seed: int = 0) -> onnx.ModelProto:
    """Build a chain of ``link_count`` links of Conv 1x1 + Relu + Add + Mul, with the weights as initializers."""
    rng = np.random.default_rng(seed)
    nodes = []
    initializers = []
    previous = "x0"
    for link in range(link_count):
        weight = rng.standard_normal((CHANNELS, CHANNELS, 1, 1)).astype(np.float32)
        initializers.append(numpy_helper.from_array(weight, f"conv{link}.weight"))
        initializers.append(numpy_helper.from_array(np.zeros(CHANNELS, np.float32), f"conv{link}.bias"))
        initializers.append(numpy_helper.from_array(np.ones((CHANNELS, 1, 1), np.float32), f"scale{link}"))
        output = f"x{link + 1}"
        nodes += [
            helper.make_node("Conv", [previous, f"conv{link}.weight", f"conv{link}.bias"], [f"conv{link}"], name=f"conv{link}"),
            helper.make_node("Relu", [f"conv{link}"], [f"relu{link}"], name=f"relu{link}"),
            helper.make_node("Add", [f"relu{link}", previous], [f"add{link}"], name=f"add{link}"),
            helper.make_node("Mul", [f"add{link}", f"scale{link}"], [output], name=f"mul{link}"),
        ]
        previous = output
    shape = [1, CHANNELS, HEIGHT, WIDTH]
    graph = helper.make_graph(
        nodes,
        "chain",
        [helper.make_tensor_value_info("x0", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT, shape)],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def expected_chain_totals(link_count: int) -> dict[str, int]:
    """Count the chain's totals by hand, with graphcost's counting convention."""
    activation = CHANNELS * HEIGHT * WIDTH  # elements of every activation tensor
    conv_macs = activation * CHANNELS  # 1x1 kernel: C_in MACs per output element
    conv_params = CHANNELS * CHANNELS + CHANNELS
    scale_params = CHANNELS
    # Bias add, Relu, Add and Mul: one operation per output element each.
    elementwise_ops = 4 * activation
    # Activations read: Conv 1, Relu 1, Add 2, Mul 1. Every node writes one.
    read_elements = 5 * activation
    write_elements = 4 * activation
    per_link = {
        "macs": conv_macs,
        "elementwise_ops": elementwise_ops,
        "param_count": conv_params + scale_params,
        "weight_bytes": (conv_params + scale_params) * FLOAT_BYTES,
        "weight_storage_bytes": (conv_params + scale_params) * FLOAT_BYTES,
        "read_bytes": read_elements * FLOAT_BYTES,
        "write_bytes": write_elements * FLOAT_BYTES,
        "costed_nodes": NODES_PER_LINK,
    }
    return {field: value * link_count for field, value in per_link.items()}


# ---------------------------------------------------------------- worker process


class WarningCollector(logging.Handler):
    """Log handler that collects each distinct WARNING-or-worse message graphcost logs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = f"{record.levelname}: {record.getMessage()}"
        if message not in self.messages:
            self.messages.append(message)


class GcTimer:
    """Timer of Python's cyclic garbage collector, fed by ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started

    def reset(self) -> None:
        self.seconds = 0.0


def max_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report_totals(report) -> dict[str, int]:
    totals = report.totals
    return {
        "macs": totals.macs,
        "elementwise_ops": totals.elementwise_ops,
        "param_count": totals.param_count,
        "weight_bytes": totals.weight_bytes,
        "weight_storage_bytes": totals.weight_storage_bytes,
        "read_bytes": totals.read_bytes,
        "write_bytes": totals.write_bytes,
        "costed_nodes": totals.status_counts.get("costed", 0),
        "free_nodes": totals.status_counts.get("free", 0),
        "uncosted_nodes": totals.status_counts.get("uncosted", 0),
    }


def emit(event: str, **fields) -> None:
    """Print one JSON line for the parent, flushed at once so that a worker that times out still reports its finished runs."""
    print(json.dumps({"event": event, **fields}), flush=True)


def run_worker(args: argparse.Namespace) -> int:
    """Measure one model in this process, printing one JSON line per finished step."""
    start = time.perf_counter()
    import graphcost  # timed: the import is part of a cold start

    emit("start", import_s=time.perf_counter() - start, rss_after_import_mib=max_rss_mib())
    collector = WarningCollector()
    logging.getLogger("graphcost").addHandler(collector)
    gc_timer = GcTimer()
    gc.callbacks.append(gc_timer)

    model = report = None
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        model = graphcost.load(args.worker)
        report = graphcost.analyze(model)
        profiler.disable()
        profiler.dump_stats(args.profile)
    else:
        for _ in range(1 + args.repeats):
            # Free the previous run's model, cycles included, so every run starts
            # from the same heap and the peak RSS is that of one analysis.
            model = report = None
            gc.collect()
            gc_timer.reset()
            start = time.perf_counter()
            model = graphcost.load(args.worker)
            loaded = time.perf_counter()
            report = graphcost.analyze(model)
            emit(
                "run",
                load_s=loaded - start,
                analyze_s=time.perf_counter() - loaded,
                gc_s=gc_timer.seconds,
            )
    emit(
        "done",
        rss_peak_mib=max_rss_mib(),
        node_count=model.graph.number_of_nodes(),
        totals=report_totals(report),
        uncosted_op_types=report.uncosted_op_types,
        warnings=collector.messages,
    )
    return 0


def parse_worker_output(text: str) -> dict:
    """Merge a worker's JSON lines into one result, whose ``runs`` lists the finished runs, cold first."""
    result: dict = {"runs": []}
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        fields = json.loads(line)
        event = fields.pop("event")
        if event == "run":
            result["runs"].append(fields)
        else:
            result.update(fields)
    return result


def measure(model_path: Path, repeats: int, timeout_s: float, profile: Path | None = None) -> dict:
    """Run a worker process on ``model_path`` and return its measurements, with ``failure`` set if it did not finish."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(model_path), "--repeats", str(repeats)]
    if profile is not None:
        command += ["--profile", str(profile)]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as error:
        # The output captured before a timeout is bytes, even with ``text=True``.
        result = parse_worker_output((error.stdout or b"").decode())
        done = len(result["runs"])
        logger.error("%s: timed out after %.0f s with %d of %d runs finished, so the worker was stopped", model_path.name, timeout_s, done, 1 + repeats)
        result["failure"] = f"timed out after {timeout_s:.0f} s, {done} of {1 + repeats} runs finished"
        return result
    result = parse_worker_output(completed.stdout)
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        logger.error("%s: worker failed with exit code %d: %s", model_path.name, completed.returncode, last_line)
        result["failure"] = f"failed (exit {completed.returncode}): {last_line}"
        return result
    for message in result["warnings"]:
        logger.warning("%s: graphcost logged %s", model_path.name, message)
    return result


# ---------------------------------------------------------------- summaries


def total_seconds(run: dict) -> float:
    return run["load_s"] + run["analyze_s"]


def warm_median(result: dict, key=total_seconds) -> float | None:
    """Return the median over the finished runs after the first (cold) one, or None if there are none."""
    warm = result["runs"][1:]
    return statistics.median(key(run) for run in warm) if warm else None


def time_estimate(result: dict, timeout_s: float) -> tuple[float, bool] | None:
    """Return (seconds for one load + analyze, whether that is only a lower bound), or None after a crash.

    The seconds are the warm median when there is one, else the cold run's
    time, else the time limit of a worker stopped before its cold run finished.
    """
    if result["runs"]:
        median_s = warm_median(result)
        return (median_s if median_s is not None else total_seconds(result["runs"][0])), False
    if result.get("failure", "").startswith("timed out"):
        return timeout_s, True
    return None


def format_ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.1f}"


def cold_cell(result: dict) -> str:
    if result["runs"]:
        return format_ms(total_seconds(result["runs"][0]))
    return "timed out" if result["failure"].startswith("timed out") else "failed"


def real_model_rows(results: dict[str, dict]) -> list[list]:
    rows = []
    for name, result in results.items():
        totals = result.get("totals")
        rows.append([
            name,
            f"{result['node_count']:,}" if "node_count" in result else "-",
            cold_cell(result),
            format_ms(warm_median(result)),
            format_ms(warm_median(result, key=lambda run: run["load_s"])),
            format_ms(warm_median(result, key=lambda run: run["analyze_s"])),
            f"{result['rss_after_import_mib']:,.0f}" if "rss_after_import_mib" in result else "-",
            f"{result['rss_peak_mib']:,.0f}" if "rss_peak_mib" in result else "-",
            f"{totals['macs']:,}" if totals else "-",
            f"{totals['param_count']:,}" if totals else "-",
        ])
    return rows


def totals_check(result: dict, link_count: int) -> str:
    if "totals" not in result:
        return "not checked: " + result.get("failure", "no totals")
    expected = expected_chain_totals(link_count)
    wrong = [
        f"{field} {result['totals'][field]:,} != {value:,}"
        for field, value in expected.items()
        if result["totals"][field] != value
    ]
    return "match" if not wrong else "MISMATCH: " + "; ".join(wrong)


def growth_exponents(results: dict[int, dict], timeout_s: float) -> dict[int, str]:
    """Return, per chain size, k in time ~ nodes^k from the next smaller size: 1 is linear, 2 quadratic."""
    exponents: dict[int, str] = {}
    sizes = sorted(results)
    for smaller, larger in zip(sizes, sizes[1:]):
        before, after = time_estimate(results[smaller], timeout_s), time_estimate(results[larger], timeout_s)
        if before is None or after is None or before[1]:
            continue
        exponent = math.log(after[0] / before[0]) / math.log(larger / smaller)
        exponents[larger] = f"> {exponent:.2f}" if after[1] else f"{exponent:.2f}"
    return exponents


def chain_rows(results: dict[int, dict], timeout_s: float) -> list[list]:
    exponents = growth_exponents(results, timeout_s)
    rows = []
    for node_count, result in results.items():
        median_s = warm_median(result)
        rows.append([
            f"{node_count:,}",
            cold_cell(result),
            format_ms(median_s),
            format_ms(warm_median(result, key=lambda run: run["load_s"])),
            format_ms(warm_median(result, key=lambda run: run["analyze_s"])),
            format_ms(warm_median(result, key=lambda run: run["gc_s"])),
            "-" if median_s is None else f"{median_s / node_count * 1e6:,.1f}",
            exponents.get(node_count, "-"),
            f"{result['rss_peak_mib']:,.0f}" if "rss_peak_mib" in result else "-",
            totals_check(result, node_count // NODES_PER_LINK),
        ])
    return rows


def per_node_ratio(results: dict[int, dict], timeout_s: float) -> tuple[float, bool] | None:
    """Return time per node at the largest chain over that at the smallest, and whether it is a lower bound."""
    smallest, largest = min(results), max(results)
    small, large = time_estimate(results[smallest], timeout_s), time_estimate(results[largest], timeout_s)
    if smallest == largest or small is None or large is None or small[1]:
        return None
    return (large[0] / largest) / (small[0] / smallest), large[1]


def function_label(key: tuple[str, int, str]) -> str:
    """Name a profiled function as path:function, with paths inside the repository made relative."""
    filename, line, function = key
    if filename == "~":  # built-in functions have no file
        return function
    path = Path(filename)
    if "site-packages" in path.parts:
        # Third-party code: keep the path from the package folder on.
        filename = "/".join(path.parts[path.parts.index("site-packages") + 1:])
    elif path.is_relative_to(REPO):
        filename = str(path.relative_to(REPO))
    # Comprehensions and lambdas of one file share a name, so the line number distinguishes them.
    return f"{filename}:{function}" + (f" (line {line})" if function.startswith("<") else "")


def profile_rows(stats_path: Path, node_count: int) -> tuple[float, list[list], list[list]]:
    """Return the profiled total, the top graphcost functions by cumulative time and the top functions by self time."""
    profile = pstats.Stats(str(stats_path))
    total_s = profile.total_tt
    stats = profile.stats  # {key: (primitive calls, calls, self s, cumulative s, callers)}

    def row(key, entry) -> list:
        calls, self_s, cumulative_s = entry[1], entry[2], entry[3]
        return [
            function_label(key),
            f"{calls:,}",
            f"{calls / node_count:.2f}",
            f"{self_s:.2f}",
            f"{100 * self_s / total_s:.1f}",
            f"{cumulative_s:.2f}",
            f"{100 * cumulative_s / total_s:.1f}",
        ]

    own_code = str(REPO / "graphcost") + os.sep
    own = sorted(((k, v) for k, v in stats.items() if k[0].startswith(own_code)), key=lambda item: -item[1][3])
    everything = sorted(stats.items(), key=lambda item: -item[1][2])
    return total_s, [row(k, v) for k, v in own[:PROFILE_TOP]], [row(k, v) for k, v in everything[:PROFILE_TOP]]


# ---------------------------------------------------------------- machine and report


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def graphcost_revision() -> str:
    """Return the checked-out commit and the files under graphcost/ that differ from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "graphcost"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (git not available)"
    if not changes:
        return commit
    paths = ", ".join(f"`{line[3:]}`" for line in changes)
    return f"{commit}, with uncommitted changes in {paths}"


def machine_lines(load_averages: tuple[tuple[float, ...], tuple[float, ...]]) -> list[str]:
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("graphcost", "onnx", "networkx", "numpy"))
    start, end = load_averages
    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores visible ({len(os.sched_getaffinity(0))} usable by this process)",
        f"- memory: {memory_gib()}",
        f"- OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Python {platform.python_version()} ({platform.python_implementation()}); {versions}",
        f"- graphcost commit: {graphcost_revision()}",
        f"- 1-minute load average: {start[0]:.2f} at the start, {end[0]:.2f} at the end "
        "(other processes on the machine slow the runs down)",
    ]


def markdown_table(headers: list[str], rows: list[list]) -> str:
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True, colalign=["left"] + ["right"] * (len(headers) - 1))


def read_notes(path: Path) -> str:
    """Return the hand-written notes section of an existing results file, or a placeholder."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        index = text.find("\n" + NOTES_HEADING + "\n")
        if index >= 0:
            return text[index + 1:].rstrip() + "\n"
    return f"{NOTES_HEADING}\n\nNone yet. Write observations here: the script keeps this section when it rewrites the file.\n"


REAL_HEADERS = [
    "model", "nodes", "cold (ms)", "median (ms)", "load (ms)", "analyze (ms)",
    "RSS after import (MiB)", "peak RSS (MiB)", "MACs", "params",
]
CHAIN_HEADERS = [
    "nodes", "cold (ms)", "median (ms)", "load (ms)", "analyze (ms)", "GC (ms)", "per node (µs)",
    "growth exponent", "peak RSS (MiB)", "totals vs hand count",
]
PROFILE_HEADERS = ["function", "calls", "calls per node", "self (s)", "self (%)", "cumulative (s)", "cumulative (%)"]


def import_lines(real: dict[str, dict]) -> list[str]:
    import_times = [result["import_s"] for result in real.values() if "import_s" in result]
    if not import_times:
        return []
    return [f"`import graphcost` in a fresh worker took {statistics.median(import_times):.2f} s (median over the workers).", ""]


def ratio_text(ratio: tuple[float, bool] | None, chains: dict[int, dict]) -> str:
    smallest, largest = min(chains), max(chains)
    if ratio is None:
        return "not measured: the smallest or the largest chain failed"
    value, lower_bound = ratio
    if lower_bound:
        return f"ratio above {value:.1f}, because the {largest:,}-node chain did not finish its cold run in the time limit"
    return f"ratio {value:.2f} ({largest:,} over {smallest:,} nodes)"


def targets_table(real: dict[str, dict], ratio: tuple[float, bool] | None, chains: dict[int, dict]) -> str:
    rows = []
    for name, result in real.items():
        label = f"{name} under {TARGET_SECONDS:g} s (cold and median)"
        median_s = warm_median(result)
        if "failure" in result or median_s is None:
            rows.append([label, result.get("failure", "no warm run"), "not met"])
            continue
        cold_s = total_seconds(result["runs"][0])
        met = "met" if max(cold_s, median_s) < TARGET_SECONDS else "not met"
        rows.append([label, f"{cold_s:.3f} s cold, {median_s:.3f} s median", met])
    linear_label = f"time linear in node count (time per node grows at most {LINEAR_RATIO_LIMIT}x)"
    if ratio is None:
        rows.append([linear_label, ratio_text(ratio, chains), "unknown"])
    else:
        rows.append([linear_label, ratio_text(ratio, chains), "met" if ratio[0] <= LINEAR_RATIO_LIMIT else "not met"])
    return tabulate(rows, headers=["target", "measured", "result"], tablefmt="github", disable_numparse=True)


def method_lines(context: dict) -> list[str]:
    args = context["args"]
    return [
        "## Method",
        "",
        "- Each model is measured in its own fresh Python process. Time is `time.perf_counter()` around "
        "`graphcost.load(path)` plus `graphcost.analyze(model)`, which is the work `graphcost.analyze(path)` does.",
        "- cold: the first load + analyze in that process, after `import graphcost` (the import itself is not "
        f"included). median: median of the {args.repeats} runs that follow ({args.chain_repeats} for the "
        f"synthetic chains). A worker still running after {args.timeout_s:.0f} s is stopped and reported as timed out.",
        "- Memory: `ru_maxrss` of the worker process, which is the whole-process peak resident set "
        "(interpreter, numpy, onnx and graphcost included). \"RSS after import\" is that peak before the "
        "first load, so the difference is what loading and analysing the model adds. Before each run the worker "
        "drops the previous model and calls `gc.collect()`, outside the timed part, so the peak is that of one analysis.",
        f"- Synthetic chains: input 1x{CHANNELS}x{HEIGHT}x{WIDTH} float32. Each link is a Conv 1x1 with bias "
        "(weights and bias as initializers), a Relu, an Add of the link's input (residual) and a Mul by a "
        f"per-channel scale initializer, so {NODES_PER_LINK} nodes per link, all costed. The chains are saved "
        "to a temporary folder and loaded from disk. \"totals vs hand count\" compares MACs, element-wise ops, "
        "params, weight, read and write bytes and the costed node count with `expected_chain_totals` in the script.",
        "- GC: time inside Python's cyclic garbage collector during load + analyze, summed through `gc.callbacks` "
        "(median over the warm runs). Growth exponent: k in time ~ nodes^k, from the previous chain size "
        "(1 is linear, 2 quadratic); \">\" marks a lower bound from a worker that timed out.",
        f"- Profile: cProfile of one load + analyze of the {context['profile_size']:,}-node chain, the largest "
        "that finished, in a fresh process. cProfile slows Python code down, so shares are more telling than seconds.",
        "",
    ]


def profile_lines(context: dict) -> list[str]:
    lines = ["## Profile", ""]
    if not context.get("profile_rows"):
        return lines + ["No profile: the profiled run did not finish or was skipped (`--no-profile`).", ""]
    total_s, own_rows, all_rows = context["profile_rows"]
    return lines + [
        f"Profiled total: {total_s:.2f} s. Top {PROFILE_TOP} functions of graphcost by cumulative time "
        "(time in the function and everything it calls):",
        "",
        markdown_table(PROFILE_HEADERS, own_rows),
        "",
        f"Top {PROFILE_TOP} functions of any package by self time (time in the function's own lines):",
        "",
        markdown_table(PROFILE_HEADERS, all_rows),
        "",
    ]


def render_results(context: dict) -> str:
    """Render RESULTS.md from the collected measurements."""
    chains = context["chains"]
    timeout_s = context["args"].timeout_s
    ratio = per_node_ratio(chains, timeout_s)
    lines = [
        "# graphcost analyze speed",
        "",
        f"Measured {context['date']} with:",
        "",
        "```",
        context["command"],
        "```",
        "",
        f"That command rewrites everything above `{NOTES_HEADING}` and keeps the notes.",
        "",
        "## Machine",
        "",
        *machine_lines(context["load_averages"]),
        "",
        *method_lines(context),
        "## Real models",
        "",
        markdown_table(REAL_HEADERS, real_model_rows(context["real"])),
        "",
        *import_lines(context["real"]),
        "## Synthetic chains",
        "",
        markdown_table(CHAIN_HEADERS, chain_rows(chains, timeout_s)),
        "",
        f"Time per node, largest chain over smallest: {ratio_text(ratio, chains)}.",
        "",
        *profile_lines(context),
        "## Targets",
        "",
        targets_table(context["real"], ratio, chains),
        "",
        read_notes(context["output"]).rstrip(),
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def chain_size(text: str) -> int:
    """argparse type: a node count that is a positive multiple of the nodes per link."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < NODES_PER_LINK or value % NODES_PER_LINK:
        raise argparse.ArgumentTypeError(f"must be a positive multiple of {NODES_PER_LINK}, got {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time graphcost load + analyze on the bundled models and on synthetic chains, and write RESULTS.md.",
        epilog="example: python benchmarks/analyze_speed.py --chain-sizes 1000 10000 --timeout-s 60",
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per real model after the cold run (default: 7)")
    parser.add_argument("--chain-repeats", type=int, default=3, help="timed runs per chain after the cold run (default: 3)")
    parser.add_argument(
        "--chain-sizes", type=chain_size, nargs="+", default=[1000, 10000, 100000],
        help=f"node counts of the synthetic chains, multiples of {NODES_PER_LINK} (default: 1000 10000 100000)",
    )
    parser.add_argument(
        "--timeout-s", type=float, default=120.0,
        help="stop a worker process (one model: cold run and repeats) after this many seconds (default: 120)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    parser.add_argument("--output", type=Path, default=BENCHMARKS / "RESULTS.md", help="results file to write (default: benchmarks/RESULTS.md)")
    # Internal: measure one model in this process (the script starts itself this way).
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.chain_repeats < 1:
        parser.error("--repeats and --chain-repeats must be at least 1")
    return args


def measure_chains(args: argparse.Namespace, folder: Path) -> tuple[dict[int, dict], dict[int, Path]]:
    results: dict[int, dict] = {}
    paths: dict[int, Path] = {}
    for node_count in sorted(set(args.chain_sizes)):
        path = folder / f"chain_{node_count}.onnx"
        start = time.perf_counter()
        onnx.save(build_chain(node_count // NODES_PER_LINK), path)
        logger.info("built %s (%.1f MB) in %.1f s", path.name, path.stat().st_size / 1e6, time.perf_counter() - start)
        paths[node_count] = path
        results[node_count] = measure(path, args.chain_repeats, args.timeout_s)
        logger.info("%s: median %s ms, totals %s", path.name, format_ms(warm_median(results[node_count])), totals_check(results[node_count], node_count // NODES_PER_LINK))
    return results, paths


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return run_worker(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    missing = [str(path) for path in REAL_MODELS.values() if not path.exists()]
    if missing:
        logger.error("test models not found: %s. Run the script from a full checkout of graphcost.", ", ".join(missing))
        return 1

    started = time.perf_counter()
    load_at_start = os.getloadavg()
    context = {
        "args": args,
        "output": args.output,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python " + " ".join([os.path.relpath(__file__, REPO), *(argv if argv is not None else sys.argv[1:])]),
        "real": {},
    }
    for name, path in REAL_MODELS.items():
        context["real"][name] = measure(path, args.repeats, args.timeout_s)
        logger.info("%s: median %s ms", name, format_ms(warm_median(context["real"][name])))

    with tempfile.TemporaryDirectory(prefix="graphcost-bench-") as folder:
        chains, paths = measure_chains(args, Path(folder))
        context["chains"] = chains
        finished = [size for size, result in chains.items() if "failure" not in result]
        context["profile_size"] = max(finished) if finished else min(chains)
        if not args.no_profile and finished:
            stats_path = Path(folder) / "profile.pstats"
            profiled = measure(paths[context["profile_size"]], 1, args.timeout_s, profile=stats_path)
            if "failure" not in profiled:
                context["profile_rows"] = profile_rows(stats_path, context["profile_size"])
    context["load_averages"] = (load_at_start, os.getloadavg())

    text = render_results(context)
    args.output.write_text(text, encoding="utf-8")
    print(text[: text.find("\n" + NOTES_HEADING + "\n")])
    logger.info("wrote %s in %.0f s", args.output, time.perf_counter() - started)
    mismatched = [size for size, result in chains.items() if totals_check(result, size // NODES_PER_LINK).startswith("MISMATCH")]
    if mismatched:
        logger.error("graphcost totals differ from the hand count on chains of %s nodes", ", ".join(map(str, mismatched)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
