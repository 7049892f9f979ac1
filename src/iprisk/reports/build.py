"""From a warehouse to report files in one call each: :func:`annual_files`, :func:`newsletter_files`, and
:func:`write_report` for a document already built. The page is rendered once and written as HTML and/or
PDF (by each path's suffix); the text is checked against the font before anything is written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iprisk.errors import UnsupportedFormat
from iprisk.reports.annual import annual_report
from iprisk.reports.document import Document
from iprisk.reports.fonts import check_glyphs
from iprisk.reports.html import render_html
from iprisk.reports.inputs import ReportInputs, collect
from iprisk.reports.newsletter import newsletter
from iprisk.reports.output import atomic_write_bytes, atomic_write_text
from iprisk.reports.pdf import page_text, pdf_bytes

#: File formats a report is written in, by suffix.
FORMATS = (".html", ".pdf")


def check_formats(paths: Sequence[str | Path]) -> list[Path]:
    """The paths, each with a suffix of :data:`FORMATS` (UnsupportedFormat otherwise)."""
    out = [Path(p) for p in paths]
    for path in out:
        if path.suffix.lower() not in FORMATS:
            raise UnsupportedFormat(str(path), f"a report is written as {' or '.join(FORMATS)}")
    return out


def write_report(doc: Document, paths: Sequence[str | Path]) -> list[Path]:
    """Write ``doc`` to every path (``.html`` or ``.pdf``), rendering the page once."""
    targets = check_formats(paths)
    html = render_html(doc)
    check_glyphs(page_text(html))
    written = []
    for path in targets:
        if path.suffix.lower() == ".html":
            written.append(atomic_write_text(path, html))
        else:
            written.append(atomic_write_bytes(path, pdf_bytes(html)))
    return written


def record_run(
    db: str | None, kind: str, period: str, locale: str, paths: Sequence[Path], snapshot: str
) -> int:
    """Record a report built in the run log of the operational database (``db``, default the ``database``
    setting): the state of play counts these as the analyses run."""
    from iprisk.reports.snapshot import code_version
    from iprisk.store import RunLog

    with RunLog(db) as log:
        return log.record(
            kind,
            period,
            locale=locale,
            formats=sorted({p.suffix.lower().lstrip(".") for p in paths}),
            snapshot=snapshot,
            code_version=code_version(),
        )


def annual_inputs(source: Any, year: int, **options: Any) -> ReportInputs:
    """The inputs of the joint report of ``year`` (:func:`~iprisk.reports.inputs.collect` of its quarters)."""
    return collect(source, start=f"{year}Q1", end=f"{year}Q4", **options)


def newsletter_inputs(source: Any, quarter: str, **options: Any) -> ReportInputs:
    """The inputs of the newsletter of ``quarter``: the four quarters ending with it."""
    from iprisk.periods import Quarter

    last = Quarter.parse(quarter)
    return collect(source, start=str(last - 3), end=str(last), **options)


def annual_files(inputs: ReportInputs, outputs: dict[str, Sequence[str | Path]]) -> list[Path]:
    """The joint report in each language of ``outputs`` (locale -> paths)."""
    return [
        p for locale, paths in outputs.items() for p in write_report(annual_report(inputs, locale), paths)
    ]


def newsletter_files(inputs: ReportInputs, outputs: dict[str, Sequence[str | Path]]) -> list[Path]:
    """The newsletter in each language of ``outputs`` (locale -> paths)."""
    return [p for locale, paths in outputs.items() for p in write_report(newsletter(inputs, locale), paths)]
