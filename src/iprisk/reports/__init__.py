"""Reports: what the analyses produce, written for people in their language (files, charts, summaries).

The analysis returns facts (keys and numbers); this package words them in English or Simplified Chinese with
the catalogs of :mod:`iprisk.i18n`.
"""

from __future__ import annotations

from iprisk.reports.analysis_folder import summary_file, write_analysis
from iprisk.reports.charts import CHART_FILES, chart_file, charts
from iprisk.reports.events import EVENT_FILE_COLUMNS, event_explanations, explain_event
from iprisk.reports.signals import SIGNAL_FILE_COLUMNS, describe_segment, explain_signal, explanations
from iprisk.reports.summary import summary_markdown

__all__ = [
    "CHART_FILES",
    "EVENT_FILE_COLUMNS",
    "SIGNAL_FILE_COLUMNS",
    "chart_file",
    "charts",
    "describe_segment",
    "event_explanations",
    "explain_event",
    "explain_signal",
    "explanations",
    "summary_file",
    "summary_markdown",
    "write_analysis",
]
