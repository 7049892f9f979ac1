"""A :class:`~iprisk.reports.document.Document` as one self-contained HTML page (Jinja2 templates, CSS and
SVG charts inline): what ``--out report.html`` writes and what :mod:`iprisk.reports.pdf` prints.

Numbers are ``<span class="n">`` carrying their value (``data-v``, to :data:`VALUE_DIGITS` significant
digits) and their origin (``title``, shown
on hover), codes ``<span class="code">``, periods ``<span class="period">``, and section, table and figure
numbers ``<span class="ref">``: a reader can trace every figure, and a test can check that no other digit
is printed. The page is the same bytes for the same document (no time stamp, charts drawn deterministically).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from iprisk.i18n import N_, Text
from iprisk.reports.document import (
    Bullets,
    Code,
    Document,
    Figure,
    Num,
    Para,
    Period,
    Section,
    Table,
    as_para,
)
from iprisk.reports.fonts import report_fonts
from iprisk.reports.render import to_svg

#: The language of each locale, as HTML's ``lang`` says it (Simplified Chinese glyphs need ``zh-Hans``).
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
#: Document kinds long enough for a table of contents.
_WITH_CONTENTS = ("annual",)


@dataclass(frozen=True)
class _Item:
    """One thing in the page's body, numbered."""

    kind: str
    block: Any = None
    level: int = 2
    number: str = ""
    title: Para | None = None
    anchor: str = ""
    label: str = ""
    align: str = ""
    svg: str = ""


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("iprisk.reports", "templates"),
        autoescape=select_autoescape(["html", "html.j2"], default_for_string=True),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    return env


def environment(text: Text) -> Environment:
    """The templates' environment with the ``inline`` and ``plain`` filters for ``text``'s language."""
    env = _environment().overlay()
    env.filters["inline"] = lambda cell: inline_html(cell, text)
    env.filters["plain"] = lambda cell: as_para(cell).plain(text)
    return env


#: Significant digits of a number's ``data-v``: far beyond what any report prints, and short of the last
#: digits of a double, which a parallel sum may vary from run to run (DuckDB adds in the order its threads
#: finish): the same warehouse then still gives the same page.
VALUE_DIGITS = 12


def _value(value: float) -> str:
    return f"{float(value):.{VALUE_DIGITS}g}"


def inline_html(cell: Any, text: Text) -> Markup:
    """A paragraph or a table cell as HTML: numbers, codes and periods marked."""
    return Markup("").join(_part(p, text) for p in as_para(cell).parts)


def _part(part: Any, text: Text) -> Markup:
    if isinstance(part, Num):
        return Markup('<span class="n" data-v="{}" title="{}">{}</span>').format(
            _value(part.value), str(part.origin), part.text(text)
        )
    if isinstance(part, Code):
        return Markup('<span class="code">{}</span>').format(part.label)
    if isinstance(part, Period):
        return Markup('<span class="period" data-period="{}">{}</span>').format(part.value, part.label)
    return escape(part)


def render_html(doc: Document) -> str:
    """The document as a standalone HTML page."""
    text = Text(doc.locale)
    env = environment(text)
    body, toc = body_items(doc, text)
    css = env.get_template("report.css.j2").render(
        font=report_fonts()[0].family,
        header_left=_css_string(Para(doc.title.parts).plain(text)),
        header_right=_css_string(doc.meta.period.plain(text)),
        footer_left=_css_string(
            text.gettext(
                "Data snapshot {snapshot} · iprisk {version}",
                snapshot=doc.meta.snapshot,
                version=doc.meta.code_version,
            )
        ),
        footer_right=_page_counter(text),
    )
    labels = {
        "period": text.gettext("Period"),
        "snapshot": text.gettext("Data snapshot"),
        "version": text.gettext("Code version"),
        "contents": text.gettext("Contents"),
    }
    return env.get_template("report.html.j2").render(
        doc=doc,
        lang=HTML_LANG[doc.locale],
        title_text=doc.title.plain(text),
        css=Markup(css),
        labels=labels,
        toc=toc if doc.kind in _WITH_CONTENTS else [],
        body=body,
    )


def body_items(doc: Document, text: Text, *, svg: bool = True) -> tuple[list[_Item], list[_Item]]:
    """The numbered headings, tables and figures in reading order (figures drawn as SVG when ``svg``), and
    the table of contents."""
    items: list[_Item] = []
    toc: list[_Item] = []
    counters = {"table": 0, "figure": 0}

    def visit(section: Section, number: str, level: int) -> None:
        heading = _Item("heading", level=level, number=number, title=section.title, anchor=f"s-{number}")
        items.append(heading)
        toc.append(heading)
        for block in section.blocks:
            items.append(_block(block, counters, text, svg))
        for i, child in enumerate(section.children, 1):
            visit(child, f"{number}.{i}", level + 1)

    for i, section in enumerate(doc.sections, 1):
        visit(section, str(i), 2)
    return items, toc


def _block(block: Any, counters: dict[str, int], text: Text, svg: bool) -> _Item:
    if isinstance(block, Table):
        counters["table"] += 1
        n = counters["table"]
        return _Item(
            "table",
            block,
            anchor=f"t-{n}",
            label=text.gettext(N_("Table {n}"), n=n),
            align=block.alignment(),
        )
    if isinstance(block, Figure):
        counters["figure"] += 1
        n = counters["figure"]
        return _Item(
            "figure",
            block,
            anchor=f"f-{n}",
            label=text.gettext(N_("Figure {n}"), n=n),
            svg=to_svg(block.chart, prefix=f"f{n}") if svg else "",
        )
    if isinstance(block, Bullets):
        return _Item("bullets", block)
    return _Item("para", block)


def _css_string(value: str) -> str:
    """A CSS string literal (quotes, backslashes and line breaks escaped)."""
    return json.dumps(value, ensure_ascii=False).replace("\\n", "\\a ")


def _page_counter(text: Text) -> str:
    """``Page 3 of 12`` as CSS content: the message's text around ``counter(page)`` and ``counter(pages)``."""
    message = text.gettext("Page {page} of {pages}", page="\x00page\x00", pages="\x00pages\x00")
    parts = []
    for i, piece in enumerate(message.split("\x00")):
        if i % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)
