"""A table as a page shows it: columns (a key, a label, a kind that says how to write a cell), raw rows, and
the API query behind each row. The page, the CSV and the XLSX export are all made from one ``Table``, so an
export holds exactly the rows and columns on screen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from iprisk.codes import PORTS
from iprisk.codes.lists import (
    FEEDBACK_RESULTS,
    FLOWS,
    IPR_TYPES,
    PRODUCT_CATEGORIES,
    REFERRAL_STATES,
    TRANSPORT_MODES,
    CodeList,
)
from iprisk.errors import InvalidValue
from iprisk.i18n import N_, Text
from iprisk.web.dashboard.numbers import table_number

#: Kinds of cell: how a raw value is written for people.
_CODE_LISTS: dict[str, CodeList] = {
    "product_category": PRODUCT_CATEGORIES,
    "transport_mode": TRANSPORT_MODES,
    "ipr_type": IPR_TYPES,
    "flow": FLOWS,
    "state": REFERRAL_STATES,
    "result": FEEDBACK_RESULTS,
}

#: Column labels (the column key is the message's context: the English label is the message id).
COLUMN_LABELS: dict[str, str] = {
    "quarter": N_("quarter"),
    "reporting_admin": N_("administration"),
    "administration": N_("administration"),
    "transport_mode": N_("transport mode"),
    "provenance_country": N_("provenance"),
    "product_category": N_("product"),
    "ipr_type": N_("IPR type"),
    "flow": N_("flow"),
    "office": N_("office"),
    "metric": N_("metric"),
    "value": N_("value"),
    "change_prev_pct": N_("change on previous quarter (%)"),
    "change_yoy_pct": N_("change on a year before (%)"),
    "share": N_("share"),
    "rolling_4q": N_("last four quarters"),
    "cases": N_("cases"),
    "articles": N_("articles"),
    "retail_value": N_("retail value (EUR)"),
    "lane": N_("lane"),
    "lines": N_("lines"),
    "cases_per_1000_consignments": N_("cases per 1,000 consignments"),
    "rank": N_("rank"),
    "segment": N_("segment"),
    "direction": N_("direction"),
    "observed": N_("observed"),
    "expected": N_("expected"),
    "interval": N_("expected range (95%)"),
    "q_value": N_("q-value"),
    "explanation": N_("explanation"),
    "event": N_("event"),
    "submission_id": N_("submission"),
    "version": N_("version"),
    "status": N_("status"),
    "rows": N_("rows"),
    "submitted_by": N_("submitted by"),
    "submitted_at": N_("submitted at"),
    "id": N_("profile"),
    "owner": N_("owner"),
    "joint": N_("joint"),
    "title": N_("title"),
    "approvals_missing": N_("approvals missing"),
    "missing": N_("missing submissions"),
    "file": N_("file"),
    "row": N_("row"),
    "column": N_("column"),
    "rule": N_("rule"),
    "message": N_("message"),
    "language": N_("language"),
    "referral": N_("referral"),
    "declaration_id": N_("declaration"),
    "item_no": N_("item"),
    "hs_code": N_("HS code"),
    "origin_country": N_("origin"),
    "score": N_("score"),
    "matched_profiles": N_("matched profiles"),
    "top_reasons": N_("reasons"),
    "k_pct": N_("inspected (% of lines)"),
    "selected": N_("lines inspected"),
    "hits_selected": N_("hits"),
    "precision": N_("precision"),
    "precision_oracle": N_("precision of the oracle"),
    "recall": N_("recall"),
    "recall_oracle": N_("recall of the oracle"),
    "auc": N_("AUC"),
    "reference": N_("reference"),
    "state": N_("state"),
    "sending_port": N_("sending port"),
    "receiving_port": N_("receiving port"),
    "expected_arrival": N_("expected arrival"),
    "ack_due": N_("acknowledgement due"),
    "feedback_due": N_("feedback due"),
    "overdue": N_("overdue"),
    "result": N_("result"),
    "sent": N_("sent"),
    "received": N_("received"),
    "acknowledged": N_("acknowledged"),
    "ack_median_hours": N_("hours to acknowledge (median)"),
    "ack_p90_hours": N_("hours to acknowledge (90th percentile)"),
    "ack_in_time_share": N_("acknowledged in time"),
    "feedback_in_time_share": N_("feedback in time"),
    "controlled": N_("controlled"),
    "seized": N_("seized"),
    "hit_rate": N_("hit rate"),
    "articles_seized": N_("articles seized"),
    "value_seized_eur": N_("value seized (EUR)"),
    "overdue_now": N_("overdue now"),
}

#: Words that are values of a column (a status, a language): written in the page's language.
VALUE_MESSAGES: tuple[str, ...] = (
    N_("draft"), N_("proposed"), N_("approved"), N_("active"), N_("expired"), N_("withdrawn"),
    N_("current"), N_("superseded"), N_("stored"), N_("unchanged"), N_("superseded-previous"),
    N_("English"), N_("Chinese"), N_("acknowledgement overdue"), N_("feedback overdue"),
)  # fmt: skip

#: Kinds whose cells are numbers (right-aligned, linked to the API query of their row).
NUMBER_KINDS = ("int", "float", "float3", "percent", "ratio")


@dataclass(frozen=True)
class Column:
    key: str
    #: text, int, float, percent (already in %), ratio (0-1, shown in %), quarter, code, country, bool,
    #: message (a word to translate), name (a file or account name: not translated, marked as such), port (a
    #: UN/LOCODE, shown with its name), datetime and date (ISO text, shown in the locale's format)
    kind: str = "text"

    def label(self, text: Text) -> str:
        return text.gettext(COLUMN_LABELS[self.key])


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Any]]
    total: int
    api: str  # the API query that returns these rows
    row_api: list[str] = field(default_factory=list)  # the API query of each row (its numbers link there)
    row_links: list[str] = field(default_factory=list)  # where a click on a row's first cell drills to
    row_marks: list[str] = field(default_factory=list)  # a CSS class per row (an overdue referral...)
    page: int = 0  # a page of a longer table (:func:`paged`), from 1: its number,
    offset: int = 0  # the rows before its first,
    more: bool = False  # and whether rows follow

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


#: Rows a page shows at once: a longer table is paged (``?page=``), so the browser never parses a page of
#: thousands of links (the trends of one dimension: 270 rows, 440 kB of HTML, a quarter of a second to parse).
PAGE_ROWS = 100


def page_number(params: Mapping[str, str]) -> int:
    """The ``page`` parameter of a table page's URL (1 when absent)."""
    raw = params.get("page") or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidValue(f"page {raw!r}: a page number from 1")
    return int(raw)


def paged(table: Table, page: int) -> Table:
    """The ``page``-th slice of :data:`PAGE_ROWS` rows of ``table`` (from 1), with their links and marks;
    what the page shows and what its export writes."""
    start = (page - 1) * PAGE_ROWS
    if start and start >= len(table.rows):
        raise InvalidValue(f"page {page}: the table has {-(-len(table.rows) // PAGE_ROWS)} pages")
    end = start + PAGE_ROWS

    def cut(values: list[Any]) -> list[Any]:
        return values[start:end]

    return replace(
        table, rows=cut(table.rows), row_api=cut(table.row_api), row_links=cut(table.row_links),
        row_marks=cut(table.row_marks), page=page, offset=start, more=end < len(table.rows),
    )  # fmt: skip


def api_url(path: str, params: Mapping[str, Any]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{path}?{query}" if query else path


def cell(column: Column, value: Any, text: Text) -> str:
    """One cell as people read it in ``text``'s language."""
    if value is None or (value == "" and column.kind not in ("code", "country")):
        return ""
    kind = column.kind
    if kind in NUMBER_KINDS:
        number = float(value)
        if kind == "int":
            return table_number(number, text.locale)
        if kind == "percent":
            return table_number(number, text.locale, 1)
        if kind == "float3":
            return table_number(number, text.locale, 3)
        if kind == "ratio":
            return table_number(100 * number, text.locale, 1) + "%"
        return table_number(number, text.locale, 1)
    if kind == "quarter":
        return text.quarter(str(value))
    if kind == "code":
        return text.label(_CODE_LISTS[column.key], str(value)) if value else text.gettext("all")
    if kind == "port":
        port = PORTS.get(str(value))
        return f"{port.label(text.locale)} ({value})" if port else str(value)
    if kind == "datetime":
        at = datetime.fromisoformat(str(value))
        at = at.astimezone(UTC) if at.tzinfo else at
        return f"{text.date(at.date())} {at:%H:%M} UTC"
    if kind == "date":
        return text.date(datetime.fromisoformat(str(value)).date())
    if kind == "country":
        return text.country(str(value)) if value else text.gettext("all")
    if kind == "message":
        return text.gettext(str(value)) if str(value) in VALUE_MESSAGES else str(value)
    if kind == "bool":
        return text.gettext("yes") if value else text.gettext("no")
    return str(value)


def display(table: Table, text: Text) -> list[list[str]]:
    return [[cell(c, v, text) for c, v in zip(table.columns, row, strict=True)] for row in table.rows]


def code_kind(key: str) -> str:
    """The kind of a dimension column: a code list's label or a country's name."""
    return "code" if key in _CODE_LISTS else "country"


def dimension_label(key: str, text: Text) -> str:
    return text.gettext(COLUMN_LABELS[key])


def columns(spec: Sequence[tuple[str, str]]) -> list[Column]:
    return [Column(key, kind) for key, kind in spec]
