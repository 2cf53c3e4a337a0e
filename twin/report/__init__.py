"""Incident reports from recordings: one self-contained HTML file (``build_report``).

Reads recordings and the physics' metric definitions; draws its charts itself (inline SVG).
The 3D snapshots come from a caller-supplied renderer, so this package needs no VTK."""

from twin.report.html import ReportInfo, build_report

__all__ = ["ReportInfo", "build_report"]
