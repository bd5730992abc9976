"""Reference models built from the MobileNetV2, MobileNetV3 and SSDLite papers.

The graphs are written with onnx.helper and numpy alone. Every weight is
zero, so a file compresses to almost nothing, but shapes, op types and
parameter counts match the published architectures.
"""

from graphcost.zoo.catalog import CATALOG, ModelEntry, PublishedFigures, build_model, get_entry
from graphcost.zoo.export import serialize_model, write_catalog, write_model
from graphcost.zoo.options import BuildOptions, ZooOptionError

__all__ = [
    "CATALOG",
    "BuildOptions",
    "ModelEntry",
    "PublishedFigures",
    "ZooOptionError",
    "build_model",
    "get_entry",
    "serialize_model",
    "write_catalog",
    "write_model",
]
