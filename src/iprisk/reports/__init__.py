"""Reports: what the analyses produce, written for people in their language.

The analysis folder (tables, charts, ``summary.md``) of ``iprisk analyse``; the joint risk-analysis report of
a year, the quarterly risk newsletter (also as an e-mail) and the state of play of the action plan, each in
English or Simplified Chinese, as HTML and PDF; the KA3 map of lanes. Every report is built as a
:class:`~iprisk.reports.document.Document` whose numbers know the analysis table they came from, then
written by :mod:`~iprisk.reports.html`, :mod:`~iprisk.reports.pdf`, :mod:`~iprisk.reports.mail` or
:mod:`~iprisk.reports.plain`. The analysis returns facts (keys and numbers); this package words them with the
catalogs of :mod:`iprisk.i18n`.
"""

from __future__ import annotations

from iprisk.reports.analysis_folder import summary_file, write_analysis
from iprisk.reports.analysis_run import ANALYSIS_KIND, AnalysisRun, analyse_to_folder
from iprisk.reports.annual import annual_report
from iprisk.reports.build import (
    FORMATS,
    annual_inputs,
    check_formats,
    newsletter_inputs,
    record_run,
    write_report,
)
from iprisk.reports.charts import CHART_FILES, chart_file, charts
from iprisk.reports.document import Document, Num
from iprisk.reports.effectiveness import Effectiveness, read_effectiveness
from iprisk.reports.events import EVENT_FILE_COLUMNS, event_explanations, explain_event
from iprisk.reports.fonts import MissingGlyphs, check_glyphs, report_fonts
from iprisk.reports.html import render_html
from iprisk.reports.inputs import ReportInputs, collect, period_lanes
from iprisk.reports.lanes_map import (
    MapLanes,
    lanes_map,
    lanes_map_png,
    lanes_map_svg,
    map_lanes,
    map_period,
    write_lanes_map,
)
from iprisk.reports.mail import newsletter_email, write_email
from iprisk.reports.newsletter import newsletter
from iprisk.reports.pdf import write_pdf
from iprisk.reports.plain import render_text
from iprisk.reports.render import spec, to_png, to_svg
from iprisk.reports.signals import SIGNAL_FILE_COLUMNS, describe_segment, explain_signal, explanations
from iprisk.reports.snapshot import DataSnapshot, code_version, data_snapshot, file_snapshot
from iprisk.reports.state_of_play import (
    StateOfPlayInputs,
    referral_section,
    state_of_play,
    state_of_play_inputs,
)
from iprisk.reports.summary import summary_markdown

__all__ = [
    "ANALYSIS_KIND",
    "CHART_FILES",
    "EVENT_FILE_COLUMNS",
    "FORMATS",
    "SIGNAL_FILE_COLUMNS",
    "AnalysisRun",
    "DataSnapshot",
    "Document",
    "Effectiveness",
    "MapLanes",
    "MissingGlyphs",
    "Num",
    "ReportInputs",
    "StateOfPlayInputs",
    "analyse_to_folder",
    "annual_inputs",
    "annual_report",
    "chart_file",
    "charts",
    "check_formats",
    "check_glyphs",
    "code_version",
    "collect",
    "data_snapshot",
    "describe_segment",
    "event_explanations",
    "explain_event",
    "explain_signal",
    "explanations",
    "file_snapshot",
    "lanes_map",
    "lanes_map_png",
    "lanes_map_svg",
    "map_lanes",
    "map_period",
    "newsletter",
    "newsletter_email",
    "newsletter_inputs",
    "period_lanes",
    "read_effectiveness",
    "record_run",
    "referral_section",
    "render_html",
    "render_text",
    "report_fonts",
    "spec",
    "state_of_play",
    "state_of_play_inputs",
    "summary_file",
    "summary_markdown",
    "to_png",
    "to_svg",
    "write_analysis",
    "write_email",
    "write_lanes_map",
    "write_pdf",
    "write_report",
]
