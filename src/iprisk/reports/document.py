"""The document model every report renders from (HTML, PDF, e-mail, plain text).

A report is a :class:`Document` of numbered :class:`Section` s holding paragraphs, bullet lists, numbered
tables and numbered figures. Every number in it is a :class:`Num`: its value, how it is written
(:data:`STYLES`) and where it came from (:class:`Src`, a cell or an aggregate of an analysis table, or
:class:`Calc`, a sum or ratio of such cells). Codes (``NLRTM``, ``HS 64``) and periods are marked too, so
that a test can check that no other digit reaches the reader and that every number equals its source.
The model knows no output format; :mod:`iprisk.reports.html` and :mod:`iprisk.reports.plain` write it.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import altair as alt
import pandas as pd

from iprisk.i18n import Text

#: How a number is written: ``int`` grouped integer; ``signed_int`` with its sign; ``amount`` a large amount
#: rounded alike in every language (:func:`iprisk.i18n.format_amount`); ``dec1`` / ``dec2`` /
#: ``dec3`` fixed decimals; ``pct`` / ``signed_pct`` a percentage (the value is already x100) with one
#: decimal; ``sig2`` two significant digits (q-values).
STYLES = ("int", "signed_int", "amount", "dec1", "dec2", "dec3", "pct", "signed_pct", "sig2")
Style = Literal["int", "signed_int", "amount", "dec1", "dec2", "dec3", "pct", "signed_pct", "sig2"]
#: How a :class:`Src` reduces the rows it selects: ``one`` demands exactly one row.
AGGREGATES = ("one", "sum", "count", "max")
#: Operations of a :class:`Calc`: ``ratio`` a / b, ``pct`` 100 a / b, ``pct_change`` 100 (a - b) / b,
#: ``diff`` a - b, ``percent`` 100 a (a share as a percentage), ``sum`` of all arguments.
OPERATIONS = ("ratio", "pct", "pct_change", "diff", "percent", "sum")


@dataclass(frozen=True)
class Src:
    """A number read from a table of the report's inputs: ``column`` of the rows of ``table`` where every
    ``where`` column equals its value, reduced by ``agg``."""

    table: str
    column: str
    where: tuple[tuple[str, Any], ...] = ()
    agg: str = "one"

    def __str__(self) -> str:
        keys = ", ".join(f"{k}={v}" for k, v in self.where)
        head = f"{self.table}.{self.column}" + (f"[{keys}]" if keys else "")
        return head if self.agg == "one" else f"{self.agg}({head})"


@dataclass(frozen=True)
class Calc:
    """A number computed from others (see :data:`OPERATIONS`)."""

    op: str
    args: tuple[Origin, ...]

    def __str__(self) -> str:
        return f"{self.op}({', '.join(str(a) for a in self.args)})"


@dataclass(frozen=True)
class Param:
    """A number that is a setting of the report, not data (e.g. the fewest cases an incidence ranking
    considers); its value is in :data:`iprisk.reports.facts.PARAMETERS`."""

    name: str

    def __str__(self) -> str:
        return f"parameter {self.name}"


Origin: TypeAlias = Src | Calc | Param


def calculate(op: str, values: Sequence[float]) -> float:
    """The value of a :class:`Calc` from the values of its arguments (NaN where a base is zero)."""
    if op == "sum":
        return float(sum(values))
    if op == "percent":
        return 100.0 * values[0]
    a, b = values
    if op == "diff":
        return a - b
    if b == 0 or math.isnan(b):
        return math.nan
    return {"ratio": a / b, "pct": 100 * a / b, "pct_change": 100 * (a - b) / b}[op]


@dataclass(frozen=True)
class Num:
    """A number for the reader: its value, its style and its origin."""

    value: float
    style: Style
    origin: Origin

    def text(self, text: Text) -> str:
        v = self.value
        if isinstance(v, float) and math.isnan(v):
            return text.gettext("n/a")
        if self.style == "amount":
            return text.amount(v)
        styles: dict[str, dict[str, Any]] = {
            "int": {},
            "signed_int": {"sign": True},
            "dec1": {"decimals": 1},
            "dec2": {"decimals": 2},
            "dec3": {"decimals": 3},
            "pct": {"decimals": 1},
            "signed_pct": {"decimals": 1, "sign": True},
            "sig2": {"significant": 2},
        }
        return text.number(v, **styles[self.style])


@dataclass(frozen=True)
class Code:
    """A code or a name shown as such (a LOCODE, an HS chapter, a lane): may hold digits that are no
    measurement."""

    label: str


@dataclass(frozen=True)
class Period:
    """A quarter or a year, with its label in the document's language."""

    value: str
    label: str


Inline: TypeAlias = str | Num | Code | Period


@dataclass(frozen=True)
class Para:
    """A run of text: plain strings, numbers, codes and periods."""

    parts: tuple[Inline, ...]

    def plain(self, text: Text) -> str:
        return "".join(_plain(p, text) for p in self.parts)


def _plain(part: Inline, text: Text) -> str:
    if isinstance(part, Num):
        return part.text(text)
    if isinstance(part, Code | Period):
        return part.label
    return part


Cell: TypeAlias = Inline | Para


@dataclass(frozen=True)
class Bullets:
    items: tuple[Para, ...]


@dataclass(frozen=True)
class Table:
    """A numbered table: a caption, column headers, rows of cells, and where the figures come from."""

    key: str
    caption: Para
    columns: tuple[Para, ...]
    rows: tuple[tuple[Cell, ...], ...]
    source: Para
    #: ``l`` or ``r`` per column (numbers right-aligned); default: ``l`` then ``r``
    align: str = ""

    def alignment(self) -> str:
        return self.align or "l" + "r" * (len(self.columns) - 1)


@dataclass(frozen=True)
class Figure:
    """A numbered chart (an Altair chart, rendered to SVG or PNG by the writers) and its source."""

    key: str
    caption: Para
    chart: alt.TopLevelMixin
    source: Para
    #: width of the figure on the page, as a share of the text width
    width: float = 1.0


Block: TypeAlias = Para | Bullets | Table | Figure


@dataclass(frozen=True)
class Section:
    key: str
    title: Para
    blocks: tuple[Block, ...]
    children: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Meta:
    """What the reader needs to trust the document: the period, the data and the code it was built from."""

    period: Para
    snapshot: str
    code_version: str


@dataclass(frozen=True)
class Document:
    """A whole report in one language."""

    kind: str
    locale: str
    title: Para
    subtitle: Para
    meta: Meta
    sections: tuple[Section, ...]
    #: lines under the title (the period, the audience)
    lead: tuple[Para, ...] = ()
    #: the tables the numbers were read from, by the name their origins give (inputs and derived ones)
    sources: Mapping[str, pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    def blocks(self) -> Iterator[Block]:
        """Every block, in reading order."""
        for section in self.walk():
            yield from section.blocks

    def walk(self) -> Iterator[Section]:
        def visit(sections: Iterable[Section]) -> Iterator[Section]:
            for s in sections:
                yield s
                yield from visit(s.children)

        return visit(self.sections)

    def numbers(self) -> Iterator[Num]:
        """Every number of the document, in reading order."""
        for para in self.paras():
            yield from (p for p in para.parts if isinstance(p, Num))

    def paras(self) -> Iterator[Para]:
        """Every run of text the reader sees, charts aside, in reading order."""
        yield from (self.title, self.subtitle, *self.lead)
        for section in self.walk():
            yield section.title
            for block in section.blocks:
                yield from block_paras(block)
        yield self.meta.period


def block_paras(block: Block) -> Iterator[Para]:
    """The text of one block (a chart's caption and source, not the text drawn in it)."""
    if isinstance(block, Para):
        yield block
    elif isinstance(block, Bullets):
        yield from block.items
    elif isinstance(block, Table):
        yield block.caption
        yield from block.columns
        for row in block.rows:
            yield from (as_para(c) for c in row)
        yield block.source
    else:
        yield from (block.caption, block.source)


def as_para(cell: Cell) -> Para:
    return cell if isinstance(cell, Para) else Para((cell,))


def rich(text: Text, message: str, /, **params: Inline | Para | Sequence[Inline]) -> Para:
    """``message`` translated into ``text``'s language with its ``{placeholders}`` filled by inlines, so
    that numbers stay :class:`Num` (e.g. ``rich(t, "{n} cases in {year}", n=num, year=period)``)."""
    parts: list[Inline] = []
    for literal, name, _, _ in string.Formatter().parse(text.gettext(message)):
        if literal:
            parts.append(literal)
        if name is None:
            continue
        value = params[name]
        if isinstance(value, Para):
            parts.extend(value.parts)
        elif isinstance(value, str | Num | Code | Period):
            parts.append(value)
        else:
            parts.extend(value)
    return Para(_merge(parts))


def join(text: Text, items: Sequence[Para | Inline]) -> Para:
    """Items of a list in a sentence, the language's way (``a, b, c``; ``a、b、c``)."""
    if not items:
        return Para(())
    out = items[0] if isinstance(items[0], Para) else Para((items[0],))
    for item in items[1:]:
        out = rich(text, "{first}, {second}", first=out, second=item)
    return out


def _merge(parts: list[Inline]) -> tuple[Inline, ...]:
    """Adjacent strings as one (what the writers and the tests read)."""
    out: list[Inline] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + p
        elif p != "":
            out.append(p)
    return tuple(out)
