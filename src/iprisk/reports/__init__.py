"""Reports: what the analyses produce, written for people (files, charts, summaries)."""

from __future__ import annotations

from iprisk.reports.analysis_folder import write_analysis

__all__ = ["write_analysis"]
