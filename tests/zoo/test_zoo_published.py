"""graphcost's MAdds and parameter counts of the reference models against the published figures.

Published figures: Howard et al., "Searching for MobileNetV3", ICCV 2019,
Table 3 (classification) and Table 6 (SSDLite at 320x320). Exact parameter
counts: the ``num_params`` of torchvision's IMAGENET1K_V1 weights metadata for
mobilenet_v2, mobilenet_v3_large and mobilenet_v3_small, which count BatchNorm
scale and shift as two parameters per channel.
"""

from __future__ import annotations

import pytest

import graphcost
from graphcost.zoo import CATALOG, build_model
from zoo_helpers import CLASSIFIERS, DETECTORS, conv_and_gemm_param_count, initializer_shapes

MACS_TOLERANCE = 0.03
PARAMS_TOLERANCE = 0.05

PUBLISHED_NAMES = [name for name, entry in CATALOG.items() if entry.published is not None]

# NOTE: this row's count is 167M against the published 0.16B (+4.2%), while
# its parameters and the 0.5 row fit. No tap, rounding or head variant found
# fits both of its figures; see docs/reference_models.md.
MACS_KNOWN_MISMATCH = {"ssdlite_mobilenet_v2_0.35"}


def _published_report(name: str):
    published = CATALOG[name].published
    model = build_model(name, num_classes=published.num_classes)
    return published, graphcost.analyze(model)


def test_published_rows_listed():
    """Every catalog model has a published row except the MobileNetV2 0.5 classifier, absent from V3 Table 3."""
    assert PUBLISHED_NAMES == [name for name in CLASSIFIERS + DETECTORS if name != "mobilenet_v2_0.5"]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, reason="published 0.16B is 4.2% below the count")
            if name in MACS_KNOWN_MISMATCH
            else (),
        )
        for name in PUBLISHED_NAMES
    ],
)
def test_macs_match_published(name):
    published, report = _published_report(name)
    assert report.totals.macs == pytest.approx(published.macs, rel=MACS_TOLERANCE)


@pytest.mark.parametrize("name", PUBLISHED_NAMES)
def test_params_match_published(name):
    published, report = _published_report(name)
    assert report.totals.param_count == pytest.approx(published.param_count, rel=PARAMS_TOLERANCE)


def test_ssdlite_v2_published_row_uses_80_classes():
    assert CATALOG["ssdlite_mobilenet_v2"].published.num_classes == 80
    assert CATALOG["ssdlite_mobilenet_v2"].defaults.num_classes == 91


def test_ssdlite_v2_91_class_surplus():
    """The 11 extra class outputs per anchor add exactly their 1x1 head weights."""
    report_91 = graphcost.analyze(build_model("ssdlite_mobilenet_v2"))
    report_80 = graphcost.analyze(build_model("ssdlite_mobilenet_v2", num_classes=80))
    # (anchors per location, input channels, map side) of the six class heads
    heads = [(3, 576, 20), (6, 1280, 10), (6, 512, 5), (6, 256, 3), (6, 256, 2), (6, 128, 1)]
    extra_params = 11 * sum(anchors * (channels + 1) for anchors, channels, _ in heads)
    extra_macs = 11 * sum(anchors * channels * side * side for anchors, channels, side in heads)

    assert extra_params == 179_883
    assert report_91.totals.param_count - report_80.totals.param_count == extra_params
    assert report_91.totals.macs - report_80.totals.macs == extra_macs


@pytest.mark.parametrize(
    "name, torchvision_params",
    [("mobilenet_v2", 3_504_872), ("mobilenet_v3_large", 5_483_032), ("mobilenet_v3_small", 2_542_856)],
)
def test_params_match_torchvision_exactly(name, torchvision_params):
    """Folded parameters plus one BN shift per channel equal torchvision's count."""
    folded = build_model(name)
    with_bn_nodes = build_model(name, bn="keep")
    shapes = initializer_shapes(with_bn_nodes)
    bn_channels = sum(
        shapes[node.input[1]][0] for node in with_bn_nodes.graph.node if node.op_type == "BatchNormalization"
    )

    assert conv_and_gemm_param_count(folded) + bn_channels == torchvision_params
    assert graphcost.analyze(folded).totals.param_count + bn_channels == torchvision_params


def test_mobilenet_v3_large_075_published():
    # Howard et al. 2019, Table 3: MobileNetV3-Large 0.75, 155M MAdds, 4.0M params.
    report = graphcost.analyze(build_model("mobilenet_v3_large", width=0.75))
    assert report.totals.macs == pytest.approx(155e6, rel=MACS_TOLERANCE)
    assert report.totals.param_count == pytest.approx(4.0e6, rel=PARAMS_TOLERANCE)
