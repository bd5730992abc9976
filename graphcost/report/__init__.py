"""Reports: render analysis results as tables, Markdown, CSV and JSON."""

from graphcost.report.render import FORMATS, GROUPINGS, render

__all__ = ["FORMATS", "GROUPINGS", "render"]
