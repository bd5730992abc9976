"""Self-contained HTML reports with inline SVG charts, for ``analyze`` and ``diff`` with ``--format html``."""

from graphcost.report.html.page import DATA_ELEMENT_ID, render_analysis_html, render_diff_html

__all__ = ["DATA_ELEMENT_ID", "render_analysis_html", "render_diff_html"]
