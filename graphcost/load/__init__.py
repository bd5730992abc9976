"""Load an ONNX file into a shaped networkx DAG."""

from graphcost.load.graph import Model, load

__all__ = ["Model", "load"]
