"""A :class:`~iprisk.reports.document.Document` as plain text (the e-mail's text alternative): headings
underlined, bullets, tables in aligned columns (Chinese characters count two columns, as a terminal shows
them), charts named by their caption."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from iprisk.i18n import Text
from iprisk.reports.document import Bullets, Document, Figure, Para, Section, Table, as_para

#: Width the text is laid out for (table cells are not wrapped; paragraphs are left to the mail client).
_RULE = 72


def width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font (wide East Asian characters count two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, size: int, right: bool) -> str:
    gap = " " * max(size - width(text), 0)
    return gap + text if right else text + gap


def render_text(doc: Document) -> str:
    """The document as plain text."""
    text = Text(doc.locale)
    title = doc.title.plain(text)
    lines = [title, "=" * min(width(title), _RULE), doc.subtitle.plain(text), ""]
    lines += [p.plain(text) for p in doc.lead]
    counters = {"table": 0, "figure": 0}
    for i, section in enumerate(doc.sections, 1):
        lines += _section(section, str(i), text, counters)
    footer = text.gettext(
        "Data snapshot {snapshot} · iprisk {version}",
        snapshot=doc.meta.snapshot,
        version=doc.meta.code_version,
    )
    lines += ["", "-" * _RULE, footer]
    return "\n".join(lines).rstrip() + "\n"


def _section(section: Section, number: str, text: Text, counters: dict[str, int]) -> list[str]:
    heading = f"{number} {section.title.plain(text)}"
    lines = ["", heading, "-" * min(width(heading), _RULE), ""]
    for block in section.blocks:
        if isinstance(block, Para):
            lines += [block.plain(text), ""]
        elif isinstance(block, Bullets):
            lines += [f"- {item.plain(text)}" for item in block.items] + [""]
        elif isinstance(block, Table):
            counters["table"] += 1
            label = text.gettext("Table {n}", n=counters["table"])
            lines += [
                f"{label}  {block.caption.plain(text)}",
                *_table(block, text),
                block.source.plain(text),
                "",
            ]
        elif isinstance(block, Figure):
            counters["figure"] += 1
            label = text.gettext("Figure {n}", n=counters["figure"])
            lines += [f"[{label}  {block.caption.plain(text)}]", ""]
    for i, child in enumerate(section.children, 1):
        lines += _section(child, f"{number}.{i}", text, counters)
    return lines


def _table(table: Table, text: Text) -> list[str]:
    header = [c.plain(text) for c in table.columns]
    body = [[as_para(c).plain(text) for c in row] for row in table.rows]
    sizes = [max(width(r[i]) for r in [header, *body]) for i in range(len(header))]
    align = table.alignment()

    def line(cells: Sequence[str]) -> str:
        return "  ".join(_pad(c, sizes[i], align[i] == "r") for i, c in enumerate(cells)).rstrip()

    return [line(header), line(["-" * s for s in sizes]), *(line(r) for r in body)]
