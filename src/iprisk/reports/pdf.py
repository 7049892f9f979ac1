"""A report to PDF with WeasyPrint: A4 pages with page numbers, a table of contents, a running header with
the period and a footer with the data snapshot and the code version; the charts stay vector graphics; the
font (:mod:`iprisk.reports.fonts`) is embedded, subset to the characters used.

Before anything is written the page's text is checked against the font's character map
(:func:`~iprisk.reports.fonts.check_glyphs`). The same document gives the same PDF bytes but for the
creation and modification dates (the file identifier is derived from the content).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from iprisk.reports.document import Document
from iprisk.reports.fonts import check_glyphs
from iprisk.reports.html import render_html
from iprisk.reports.output import atomic_write_bytes

#: Characters of context shown around a missing glyph.
_CONTEXT = 30


class _Text(HTMLParser):
    """Every text node of a page, the charts' ``<text>`` and the stylesheet (header strings) included."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.chunks.append(data)


def page_text(html: str) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for each text node of ``html``: where is the text itself, shortened."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    for chunk in parser.chunks:
        yield chunk.strip()[:_CONTEXT], chunk


def pdf_bytes(html: str) -> bytes:
    """The PDF of a rendered page (its glyphs already checked: :func:`write_pdf`, or
    :func:`iprisk.reports.build.write_report`)."""
    import weasyprint

    identifier = hashlib.md5(html.encode("utf-8"), usedforsecurity=False).hexdigest().encode()
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(pdf_identifier=identifier)
    return pdf


def write_pdf(doc: Document, path: str | Path) -> Path:
    """Write the document as PDF to ``path`` (atomically: a failure leaves no partial file)."""
    html = render_html(doc)
    check_glyphs(page_text(html))
    return atomic_write_bytes(path, pdf_bytes(html))
