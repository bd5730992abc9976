"""Published Pixel 1 latencies of the MobileNetV3 paper, paired with the reference models.

Howard et al., "Searching for MobileNetV3", ICCV 2019: Table 3 (float
classification, Pixel 1, one large core, TensorFlow Lite), Table 5
(MobileNetV3-Large activations, Pixel 1) and Table 6 (SSDLite on COCO,
Pixel 1, one large core).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LatencyRow:
    """One published latency and the reference model it was measured on.

    ``separate_activation_ops`` marks the paper's unoptimized h-swish: the
    TensorFlow form with each op run as its own kernel.
    """

    table: str
    label: str
    model: str
    latency_ms: float
    options: dict = field(default_factory=dict)
    separate_activation_ops: bool = False


TABLE_3 = (
    LatencyRow("Table 3", "V3-Large 1.0", "mobilenet_v3_large", 51.0),
    LatencyRow("Table 3", "V3-Large 0.75", "mobilenet_v3_large", 39.0, {"width": 0.75}),
    LatencyRow("Table 3", "V2 1.0", "mobilenet_v2", 64.0),
    LatencyRow("Table 3", "V3-Small 1.0", "mobilenet_v3_small", 15.8),
    LatencyRow("Table 3", "V2 0.35", "mobilenet_v2_0.35", 16.6),
)
TABLE_5 = (
    LatencyRow("Table 5", "h-swish, optimized op", "mobilenet_v3_large", 51.4),
    LatencyRow("Table 5", "h-swish, unoptimized", "mobilenet_v3_large", 57.5, {"hswish": "tf"}, True),
    LatencyRow("Table 5", "all ReLU", "mobilenet_v3_large", 50.5, {"activation": "relu"}),
)
# The paper's MobileNetV2 detector has 4.3M parameters, which matches 80 class
# outputs per anchor; the V3 rows match 91.
TABLE_6 = (
    LatencyRow("Table 6", "V2", "ssdlite_mobilenet_v2", 162.0, {"num_classes": 80}),
    LatencyRow("Table 6", "V3", "ssdlite_mobilenet_v3_large", 137.0),
    LatencyRow("Table 6", "V3†", "ssdlite_mobilenet_v3_large_reduced", 119.0),
    LatencyRow("Table 6", "V3-Small", "ssdlite_mobilenet_v3_small", 52.0),
    LatencyRow("Table 6", "V3-Small†", "ssdlite_mobilenet_v3_small_reduced", 43.0),
)
