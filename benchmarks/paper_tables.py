"""Write benchmarks/paper_tables.md: predicted next to published Pixel 1 latencies.

Rows: Howard et al., "Searching for MobileNetV3", ICCV 2019, Tables 3, 5
and 6, predicted with the pixel1-cpu profile on graphcost's reference
models. Tables 3 and 5 are the profile's calibration data; Table 6 is not,
so its rows test the profile.

Run from the repository root: ``python benchmarks/paper_tables.py``.
"""

from __future__ import annotations

import datetime
import platform
from pathlib import Path

import graphcost
from graphcost.hardware import load_profile
from graphcost.latency.predict import predict_row
from graphcost.zoo.published import TABLE_3, TABLE_5, TABLE_6

OUTPUT = Path(__file__).resolve().parent / "paper_tables.md"


def table(rows, profile, used_for_fit: bool) -> tuple[list[str], dict[str, float]]:
    predictions = {}
    lines = [
        "| row | reference model | published (ms) | predicted (ms) | error |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        predicted = predict_row(row, profile)
        predictions[row.label] = predicted
        options = ", ".join(f"{key}={value}" for key, value in row.options.items())
        model = row.model + (f" ({options})" if options else "")
        if row.separate_activation_ops:
            model += ", h-swish ops as separate kernels"
        error = (predicted - row.latency_ms) / row.latency_ms * 100
        lines.append(f"| {row.label} | {model} | {row.latency_ms:g} | {predicted:.1f} | {error:+.1f}% |")
    note = "Used to fit the profile." if used_for_fit else "Not used to fit the profile."
    return [note, "", *lines], predictions


def main() -> None:
    profile = load_profile("pixel1-cpu")
    sections = [
        "# Published versus predicted latency, Pixel 1",
        "",
        f"Generated {datetime.date.today().isoformat()} by `python benchmarks/paper_tables.py` with graphcost "
        f"{graphcost.__version__} (Python {platform.python_version()}), profile `pixel1-cpu`. Published figures: "
        "Howard et al., \"Searching for MobileNetV3\", ICCV 2019.",
        "",
    ]
    lines3, _ = table(TABLE_3, profile, used_for_fit=True)
    lines5, table5 = table(TABLE_5, profile, used_for_fit=True)
    lines6, table6 = table(TABLE_6, profile, used_for_fit=False)
    fused = table5["h-swish, optimized op"]
    unfused = table5["h-swish, unoptimized"]
    relu = table5["all ReLU"]
    ratio = table6["V3†"] / table6["V2"]
    order = sorted(table6, key=table6.get, reverse=True)
    sections += ["## Table 3: classification", "", *lines3, ""]
    sections += [
        "## Table 5: activations of MobileNetV3-Large",
        "",
        *lines5,
        "",
        f"Unoptimized minus optimized h-swish: published 6.1 ms, predicted {unfused - fused:.2f} ms. "
        f"Optimized h-swish minus all ReLU: published 0.9 ms, predicted {fused - relu:.2f} ms.",
        "",
    ]
    sections += [
        "## Table 6: SSDLite detectors",
        "",
        *lines6,
        "",
        f"V3†/V2: published {119 / 162:.3f}, predicted {ratio:.3f} ({(ratio / (119 / 162) - 1) * 100:+.1f}%). "
        f"Predicted order, slowest first: {', '.join(order)} (published: V2, V3, V3†, V3-Small, V3-Small†).",
        "",
    ]
    OUTPUT.write_text("\n".join(sections), encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
