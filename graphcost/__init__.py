"""graphcost: a static cost model for ONNX networks.

>>> import graphcost
>>> model = graphcost.load("model.onnx", input_shapes={"input": (1, 3, 224, 224)})  # doctest: +SKIP
>>> model.graph  # the networkx.DiGraph  # doctest: +SKIP
>>> report = graphcost.analyze(model)  # doctest: +SKIP
>>> report.totals.macs, report.totals.param_count  # doctest: +SKIP
"""

__version__ = "0.1.0"

from graphcost.analysis import analyze  # noqa: E402
from graphcost.load import Model, load  # noqa: E402

__all__ = ["Model", "__version__", "analyze", "load"]
