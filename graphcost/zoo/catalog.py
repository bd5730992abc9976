"""Named reference models with their default options and published MAdds and parameter counts."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import onnx

from graphcost.zoo.mobilenet_v2 import build_mobilenet_v2, mobilenet_v2_spec
from graphcost.zoo.mobilenet_v3 import LARGE, SMALL, V3Table, build_mobilenet_v3, mobilenet_v3_spec, reduce_tail
from graphcost.zoo.options import BuildOptions, ZooOptionError, check_ops_in_opset, validate_options
from graphcost.zoo.ssdlite import build_ssdlite

logger = logging.getLogger(__name__)

V3_PAPER = 'Howard et al., "Searching for MobileNetV3", ICCV 2019'
CLASSIFICATION = BuildOptions(resolution=224, num_classes=1000)
# 90 COCO classes plus one background output, as in the TF Object Detection API.
DETECTION = BuildOptions(resolution=320, num_classes=91)


@dataclass(frozen=True)
class PublishedFigures:
    """Multiply-adds and parameters as a paper reports them (BN folded, conv and FC layers only)."""

    macs: float
    param_count: float
    source: str
    # Class outputs the published figures were counted with, when they
    # differ from the model's default.
    num_classes: int | None = None


@dataclass(frozen=True)
class ModelEntry:
    name: str
    description: str
    defaults: BuildOptions
    build: Callable[[str, BuildOptions], onnx.ModelProto]
    # Whether the architecture has SE blocks and h-swish, so that --no-se,
    # --hswish and --activation change anything.
    is_v3: bool
    published: PublishedFigures | None = None


def _v3_classifier(table: V3Table) -> Callable[[str, BuildOptions], onnx.ModelProto]:
    return lambda name, options: build_mobilenet_v3(name, table, options)


def _v2_ssdlite(name: str, options: BuildOptions) -> onnx.ModelProto:
    spec = mobilenet_v2_spec(options.width, for_detection=True)
    return build_ssdlite(name=name, title="MobileNetV2", spec=spec, options=options)


def _v3_ssdlite(table: V3Table) -> Callable[[str, BuildOptions], onnx.ModelProto]:
    def build(name: str, options: BuildOptions) -> onnx.ModelProto:
        spec = mobilenet_v3_spec(table, options)
        return build_ssdlite(name=name, title=table.title, spec=spec, options=options)

    return build


def _entries() -> tuple[ModelEntry, ...]:
    table3 = f"{V3_PAPER}, Table 3"
    table6 = f"{V3_PAPER}, Table 6"
    return (
        ModelEntry(
            "mobilenet_v2",
            "MobileNetV2 1.0, ImageNet classifier",
            CLASSIFICATION,
            build_mobilenet_v2,
            is_v3=False,
            published=PublishedFigures(300e6, 3.4e6, table3),
        ),
        ModelEntry(
            "mobilenet_v2_0.5",
            "MobileNetV2 0.5 (last conv kept at 1280), ImageNet classifier",
            CLASSIFICATION.replace(width=0.5),
            build_mobilenet_v2,
            is_v3=False,
        ),
        ModelEntry(
            "mobilenet_v2_0.35",
            "MobileNetV2 0.35 (last conv kept at 1280), ImageNet classifier",
            CLASSIFICATION.replace(width=0.35),
            build_mobilenet_v2,
            is_v3=False,
            published=PublishedFigures(59.2e6, 1.6e6, table3),
        ),
        ModelEntry(
            "mobilenet_v3_large",
            "MobileNetV3-Large 1.0, ImageNet classifier",
            CLASSIFICATION,
            _v3_classifier(LARGE),
            is_v3=True,
            published=PublishedFigures(219e6, 5.4e6, table3),
        ),
        ModelEntry(
            "mobilenet_v3_small",
            "MobileNetV3-Small 1.0, ImageNet classifier",
            CLASSIFICATION,
            _v3_classifier(SMALL),
            is_v3=True,
            published=PublishedFigures(56e6, 2.5e6, table3),
        ),
        ModelEntry(
            "ssdlite_mobilenet_v2",
            "SSDLite MobileNetV2 1.0, COCO detector",
            DETECTION,
            _v2_ssdlite,
            is_v3=False,
            # The published 4.3M parameters correspond to 80 class outputs per anchor.
            published=PublishedFigures(0.80e9, 4.3e6, table6, num_classes=80),
        ),
        ModelEntry(
            "ssdlite_mobilenet_v2_0.5",
            "SSDLite MobileNetV2 0.5, COCO detector",
            DETECTION.replace(width=0.5),
            _v2_ssdlite,
            is_v3=False,
            published=PublishedFigures(0.27e9, 1.54e6, table6),
        ),
        ModelEntry(
            "ssdlite_mobilenet_v2_0.35",
            "SSDLite MobileNetV2 0.35, COCO detector",
            DETECTION.replace(width=0.35),
            _v2_ssdlite,
            is_v3=False,
            published=PublishedFigures(0.16e9, 0.93e6, table6),
        ),
        ModelEntry(
            "ssdlite_mobilenet_v3_large",
            "SSDLite MobileNetV3-Large 1.0, COCO detector",
            DETECTION,
            _v3_ssdlite(LARGE),
            is_v3=True,
            published=PublishedFigures(0.62e9, 4.97e6, table6),
        ),
        ModelEntry(
            "ssdlite_mobilenet_v3_large_reduced",
            "SSDLite MobileNetV3-Large 1.0 with the C4-C5 channels halved (V3†), COCO detector",
            DETECTION,
            _v3_ssdlite(reduce_tail(LARGE)),
            is_v3=True,
            published=PublishedFigures(0.51e9, 3.22e6, table6),
        ),
        ModelEntry(
            "ssdlite_mobilenet_v3_small",
            "SSDLite MobileNetV3-Small 1.0, COCO detector",
            DETECTION,
            _v3_ssdlite(SMALL),
            is_v3=True,
            published=PublishedFigures(0.21e9, 2.49e6, table6),
        ),
        ModelEntry(
            "ssdlite_mobilenet_v3_small_reduced",
            "SSDLite MobileNetV3-Small 1.0 with the C4-C5 channels halved (V3-Small†), COCO detector",
            DETECTION,
            _v3_ssdlite(reduce_tail(SMALL)),
            is_v3=True,
            published=PublishedFigures(0.16e9, 1.77e6, table6),
        ),
    )


CATALOG: dict[str, ModelEntry] = {entry.name: entry for entry in _entries()}


def get_entry(name: str) -> ModelEntry:
    """Return the catalog entry ``name`` or raise ZooOptionError listing the closest names."""
    try:
        return CATALOG[name]
    except KeyError:
        close = difflib.get_close_matches(name, CATALOG, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ZooOptionError(f"unknown model {name!r}: {hint}run 'graphcost zoo list' for the names") from None


def resolve_options(entry: ModelEntry, **overrides: object) -> BuildOptions:
    """Apply the overrides that are not None to the entry's defaults and validate the result."""
    options = entry.defaults.replace(**{key: value for key, value in overrides.items() if value is not None})
    validate_options(options)
    if not entry.is_v3:
        _warn_unused_v3_options(entry.name, options)
    return options


def _warn_unused_v3_options(name: str, options: BuildOptions) -> None:
    defaults = BuildOptions()
    if not options.se:
        logger.warning("%s has no SE blocks, so --no-se changes nothing", name)
    if options.activation != defaults.activation:
        logger.warning("%s has no h-swish, so --activation %s changes nothing", name, options.activation)
    if options.hswish != defaults.hswish:
        logger.warning("%s has no h-swish or h-sigmoid, so --hswish %s changes nothing", name, options.hswish)


def build_model(name: str, **overrides: object) -> onnx.ModelProto:
    """Build the catalog model ``name`` with its defaults changed by the non-None ``overrides``.

    Overrides are BuildOptions fields (width, resolution, num_classes, bn,
    hswish, activation, se, opset). Raises ZooOptionError for an unknown name,
    an invalid option, or an opset that lacks an op the model writes.
    """
    entry = get_entry(name)
    options = resolve_options(entry, **overrides)
    logger.info("building %s with %s", name, options)
    model = entry.build(name, options)
    check_ops_in_opset(name, model, options)
    return model

