"""Reports: the findings of a run as an HTML page (with the views) and an Excel workbook.

:func:`build_report` writes ``report.html``, ``findings.xlsx`` and one page per view
into a folder; :func:`compute_findings` runs the analyses and draws the headlines.
"""

from filiere.report.findings import AtRisk, Findings, compute_findings
from filiere.report.run import ReportPaths, build_report

__all__ = ["AtRisk", "Findings", "ReportPaths", "build_report", "compute_findings"]
