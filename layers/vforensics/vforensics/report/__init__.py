"""What users get: report.json and its zip, the summary, maps and heatmaps, and the
metadata-only and comparison reports.

:mod:`.document` builds report.json and report.zip, :mod:`.summary` the plain-language
summary, :mod:`.maps` the map and heatmap PNGs, :mod:`.metadata` the metadata-only report and
:mod:`.comparison` the comparison of two images.
"""

from vforensics.report.document import build_report, build_zip, to_json

__all__ = ["build_report", "build_zip", "to_json"]
