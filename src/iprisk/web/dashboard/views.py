"""What each page shows: one library call per view (the same call as the API route behind it), shaped into
:class:`~iprisk.web.dashboard.tables.Table` rows. Nothing here renders HTML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from iprisk.accounts import Grant
from iprisk.analysis.run import TREND_TABLE_DIMENSIONS
from iprisk.errors import InvalidValue
from iprisk.i18n import N_
from iprisk.node import Node
from iprisk.node.analysis import analysis_page
from iprisk.profiles.model import admin_side
from iprisk.web.dashboard.tables import COLUMN_LABELS, Column, Table, api_url, code_kind, columns

#: Trends metrics, and the dimensions a trend can be cut by.
METRICS = ("cases", "articles", "retail_value")
DIMENSIONS: tuple[str, ...] = tuple(TREND_TABLE_DIMENSIONS)
_TRENDS_SHOWN = ("quarter", "value", "change_prev_pct", "change_yoy_pct", "share", "rolling_4q")
_KINDS = {
    "quarter": "quarter", "value": "float", "change_prev_pct": "percent", "change_yoy_pct": "percent",
    "share": "ratio", "rolling_4q": "float",
}  # fmt: skip
LIMIT = 1000
METRIC_LABELS = {"cases": N_("cases"), "articles": N_("articles"), "retail_value": N_("retail value (EUR)")}


def dimension_message(dimension: str) -> str:
    """The (English) message of a dimension's name, to translate."""
    return COLUMN_LABELS[dimension]


def _page(node: Node, table: str, filters: Mapping[str, str], grant: Grant) -> Any:
    return analysis_page(
        node.settings.analysis_folder, table, filters=filters, ports=grant.ports(), offset=0, limit=LIMIT
    )


@dataclass(frozen=True)
class TrendQuery:
    """A trends view: one dimension over quarters, one metric, optional filters (the URL's parameters)."""

    dimension: str = "product_category"
    metric: str = "cases"
    value: str | None = None  # one value of the dimension
    quarter: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> TrendQuery:
        dimension = params.get("dimension") or cls.dimension
        metric = params.get("metric") or cls.metric
        if dimension not in DIMENSIONS:
            raise InvalidValue(f"dimension {dimension!r}: one of {', '.join(DIMENSIONS)}")
        if metric not in METRICS:
            raise InvalidValue(f"metric {metric!r}: one of {', '.join(METRICS)}")
        return cls(dimension, metric, params.get(dimension) or None, params.get("quarter") or None)

    def filters(self) -> dict[str, str]:
        """The analysis-table filters: the other dimensions empty (a one-dimension cut), the metric."""
        out = {d: "" for d in DIMENSIONS if d != self.dimension}
        out["metric"] = self.metric
        if self.value is not None:
            out[self.dimension] = self.value
        if self.quarter is not None:
            out["quarter"] = self.quarter
        return out

    def params(self, **change: str | None) -> dict[str, str]:
        """The URL parameters of this view, with ``change`` applied (None removes a parameter)."""
        out: dict[str, str | None] = {"dimension": self.dimension, "metric": self.metric}
        out[self.dimension] = self.value
        out["quarter"] = self.quarter
        out.update(change)
        return {k: v for k, v in out.items() if v}


def _stamp(node: Node, name: str) -> tuple[int, int] | None:
    """The modification time and size of an analysis table's file; None when it is missing."""
    try:
        found = (Path(node.settings.analysis_folder) / name).stat()
    except FileNotFoundError:
        return None
    return found.st_mtime_ns, found.st_size


def _kept(name: str) -> Any:
    """A view computed once per analysis: kept (in memory) while the table file ``name`` of the analysis
    folder is unchanged, for each viewer's ports and the other arguments; computed afresh when it changes."""

    def wrap(view: Any) -> Any:
        @lru_cache(maxsize=64)
        def kept(folder: str, stamp: tuple[int, int], ports: frozenset[str] | None, *args: Any) -> Any:
            return view(folder, ports, *args)

        def call(node: Node, grant: Grant, *args: Any) -> Any:
            stamp, folder, ports = _stamp(node, name), str(node.settings.analysis_folder), grant.ports()
            return view(folder, ports, *args) if stamp is None else kept(folder, stamp, ports, *args)

        return call

    return wrap


def _read_page(folder: str, ports: frozenset[str] | None, table: str, filters: Mapping[str, str]) -> Any:
    return analysis_page(Path(folder), table, filters=filters, ports=ports, offset=0, limit=LIMIT)


def trends(node: Node, grant: Grant, query: TrendQuery) -> Table:
    """One dimension over quarters (the query's cut of the trends table)."""
    result: Table = _trends(node, grant, query)
    return result


@_kept("trends.parquet")
def _trends(folder: str, ports: frozenset[str] | None, query: TrendQuery) -> Table:
    filters = query.filters()
    page = _read_page(folder, ports, "trends", filters)
    index = {name: i for i, name in enumerate(page.columns)}
    shown = [query.dimension, *_TRENDS_SHOWN]
    cols = [Column(query.dimension, code_kind(query.dimension))] + [
        Column(k, _KINDS[k]) for k in _TRENDS_SHOWN
    ]
    cols[0], cols[1] = cols[1], cols[0]  # quarter first, then the dimension's value
    shown[0], shown[1] = shown[1], shown[0]
    rows = [[row[index[k]] for k in shown] for row in page.rows]
    row_api = [api_url("/analysis/trends", {**filters, query.dimension: r[1], "quarter": r[0]}) for r in rows]
    links = [
        api_url("/ui/trends", query.params(**{query.dimension: r[1] or None, "quarter": r[0]})) for r in rows
    ]
    return Table(cols, rows, page.total, api_url("/analysis/trends", filters), row_api, links)


def overview(node: Node, grant: Grant) -> Table:
    """Cases, articles and retail value per quarter and administration (EU, CN) from the trends table."""
    result: Table = _overview(node, grant)
    return result


@_kept("trends.parquet")
def _overview(folder: str, ports: frozenset[str] | None) -> Table:
    table: dict[tuple[str, str], dict[str, float]] = {}
    filters = {d: "" for d in DIMENSIONS if d != "reporting_admin"}
    page = _read_page(folder, ports, "trends", filters)
    index = {name: i for i, name in enumerate(page.columns)}
    for row in page.rows:
        admin = row[index["reporting_admin"]]
        if not admin:
            continue
        key = (row[index["quarter"]], admin_side(admin))
        sums = table.setdefault(key, dict.fromkeys(METRICS, 0.0))
        sums[row[index["metric"]]] += float(row[index["value"]])
    rows = [[q, side, *(sums[m] for m in METRICS)] for (q, side), sums in sorted(table.items(), reverse=True)]
    cols = columns(
        [("quarter", "quarter"), ("administration", "text"), ("cases", "int"), ("articles", "int"),
         ("retail_value", "int")]
    )  # fmt: skip
    api = api_url("/analysis/trends", filters)
    links = [api_url("/ui/trends", {"dimension": "reporting_admin", "quarter": r[0]}) for r in rows]
    return Table(cols, rows, len(rows), api, [api] * len(rows), links)


_SIGNAL_DIMENSIONS = ("reporting_admin", "office", "transport_mode", "provenance_country", "product_category",
                      "ipr_type")  # fmt: skip


def signals(node: Node, grant: Grant, locale_text: Any, event: str | None = None) -> Table:
    """The signals, explained in the viewer's language, with the 95% range of each expectation; those of one
    event (its headline and the related signals it explains) when ``event`` is given. A row's first cell
    opens the signals of its event."""
    return signals_and_trends(node, grant, locale_text, event)[0]


def signals_and_trends(
    node: Node, grant: Grant, locale_text: Any, event: str | None = None
) -> tuple[Table, list[str]]:
    """:func:`signals`, and the trend page of each signal's product (where a chart point drills to)."""
    result: tuple[Table, list[str]] = _signals_and_trends(node, grant, locale_text.locale, event)
    return result


@_kept("signals.csv")
def _signals_and_trends(
    folder: str, ports: frozenset[str] | None, locale: str, event: str | None
) -> tuple[Table, list[str]]:
    from scipy.stats import poisson

    from iprisk.i18n import Text
    from iprisk.reports.signals import describe_segment, direction_label, explain_signal, segment_of

    locale_text = Text(locale)
    page = _read_page(folder, ports, "signals", {"event_id": event} if event else {})
    rows, row_api, links, events = [], [], [], []
    for raw in page.rows:
        record: dict[str, Any] = dict(zip(page.columns, raw, strict=True))
        for key in ("observed", "expected", "p_value", "q_value", "score"):
            record[key] = float(record[key])
        low, high = poisson.interval(0.95, record["expected"])
        segment = segment_of(record)
        rows.append([
            int(float(record["rank"])), record["quarter"], describe_segment(segment, locale_text),
            direction_label(record["direction"], locale_text), record["observed"], record["expected"],
            f"{locale_text.number(low)} – {locale_text.number(high)}", record["q_value"],
            explain_signal(record, locale_text), record.get("event_id") or "",
        ])  # fmt: skip
        events.append(api_url("/ui/signals", {"event": record.get("event_id") or None}))
        row_api.append(api_url("/analysis/signals", {"quarter": record["quarter"], **segment}))
        product = segment.get("product_category")
        links.append(api_url("/ui/trends", {"dimension": "product_category", "product_category": product})
                     if product else "/ui/trends")  # fmt: skip
    cols = columns(
        [("rank", "int"), ("quarter", "quarter"), ("segment", "text"), ("direction", "text"),
         ("observed", "float"), ("expected", "float"), ("interval", "text"), ("q_value", "text"),
         ("explanation", "text"), ("event", "text")]
    )  # fmt: skip
    for row in rows:
        row[7] = locale_text.number(row[7], significant=2)
    api = api_url("/analysis/signals", {"event_id": event})
    return Table(cols, rows, page.total, api, row_api, events), links


_LANE_COLUMNS = (("lane", "text"), ("cases", "int"), ("articles", "int"), ("retail_value", "int"),
                 ("share", "ratio"), ("cases_per_1000_consignments", "float"))  # fmt: skip


def lanes(node: Node, grant: Grant, filters: Mapping[str, str]) -> Table:
    page = _page(node, "lanes", filters, grant)
    index = {name: i for i, name in enumerate(page.columns)}
    cols = columns(_LANE_COLUMNS)
    rows = [[row[index[c.key]] for c in cols] for row in page.rows]
    rows = [[r[0], *(float(v) if v not in ("", None) else None for v in r[1:])] for r in rows]
    row_api = [api_url("/analysis/lanes", {"lane": r[0]}) for r in rows]
    links = [api_url("/ui/lanes", {"lane": r[0]}) for r in rows]
    return Table(cols, rows, page.total, api_url("/analysis/lanes", filters), row_api, links)


_LOG_COLUMNS = (("submission_id", "text"), ("reporting_admin", "text"), ("quarter", "quarter"),
                ("version", "int"), ("status", "message"), ("rows", "int"), ("submitted_by", "name"),
                ("submitted_at", "text"))  # fmt: skip


def submissions(node: Node, admin: str | None, quarter: str | None) -> Table:
    """The submission log (every version), as ``GET /submissions`` returns it."""
    location = str(node.settings.warehouse)
    stamp = _warehouse_stamp(location)
    frame = (
        _read_log(location, admin, quarter) if stamp is None else _kept_log(location, stamp, admin, quarter)
    )
    cols = columns(_LOG_COLUMNS)
    rows = [
        [int(r["submission_id"]), r["reporting_admin"], r["quarter"], int(r["version"]), r["status"],
         int(r["rows"]), r["submitted_by"], r["submitted_at"].strftime("%Y-%m-%d %H:%M UTC")]
        for r in frame.sort_values("submission_id", ascending=False).to_dict(orient="records")
    ]  # fmt: skip
    params = {"admin": admin, "quarter": quarter}
    row_api = [api_url("/submissions", {"admin": r[1], "quarter": r[2]}) for r in rows]
    links = [api_url("/ui/submissions", {"admin": r[1], "quarter": r[2]}) for r in rows]
    return Table(cols, rows, len(rows), api_url("/submissions", params), row_api, links)


def _log(node: Node, admin: str | None, quarter: str | None) -> Any:
    location = str(node.settings.warehouse)
    stamp = _warehouse_stamp(location)
    return (
        _read_log(location, admin, quarter) if stamp is None else _kept_log(location, stamp, admin, quarter)
    )


def missing_in_log(node: Node) -> list[tuple[str, str]]:
    """:func:`missing_submissions` of the whole log, without making its table (the overview's note)."""
    frame = _log(node, None, None)
    return _missing(set(zip(frame["reporting_admin"], frame["quarter"], strict=True)))


def _warehouse_stamp(location: str) -> tuple[int, ...] | None:
    """What changes when the warehouse file is written (its and its write-ahead log's size and time);
    None for a warehouse that is not a local DuckDB file (read each time)."""
    from iprisk.warehouse._connect import MEMORY, parse_location

    where = parse_location(location)
    if where.kind != "duckdb" or where.target == MEMORY:
        return None
    stamp: list[int] = []
    for path in (Path(where.target), Path(f"{where.target}.wal")):
        try:
            found = path.stat()
            stamp += [found.st_size, found.st_mtime_ns]
        except FileNotFoundError:
            stamp += [-1, -1]
    return tuple(stamp)


def _read_log(location: str, admin: str | None, quarter: str | None) -> Any:
    from iprisk.warehouse import Warehouse

    with Warehouse.open(location) as wh:
        return wh.submissions(admin=admin, quarter=quarter)


@lru_cache(maxsize=64)
def _kept_log(location: str, stamp: tuple[int, ...], admin: str | None, quarter: str | None) -> Any:
    """The log, kept while the warehouse file is unchanged (``stamp``): a page need not open the warehouse
    (a read-write open, a tenth of a second) until a submission arrives."""
    return _read_log(location, admin, quarter)


def missing_submissions(log: Table) -> list[tuple[str, str]]:
    """(administration, quarter) pairs with no submission, between each administration's first quarter and
    the latest quarter any administration submitted."""
    return _missing({(r[1], r[2]) for r in log.rows})


def _missing(seen: set[tuple[str, str]]) -> list[tuple[str, str]]:
    if not seen:
        return []
    quarters = sorted({q for _, q in seen})
    first: dict[str, str] = {}
    for admin, quarter in seen:
        first[admin] = min(quarter, first.get(admin, quarter))
    return sorted((a, q) for a in first for q in quarters if q >= first[a] and (a, q) not in seen)


_PROFILE_COLUMNS = (("id", "text"), ("version", "int"), ("status", "message"), ("owner", "text"),
                    ("joint", "bool"), ("title", "name"), ("approvals_missing", "text"))  # fmt: skip


def profiles(node: Node) -> Table:
    from iprisk.profiles import missing_approvals

    cols = columns(_PROFILE_COLUMNS)
    rows = []
    for p in node.profiles.profiles([]):
        missing = (
            sorted(missing_approvals(p, node.profiles.approvals(p.id, p.version)))
            if p.status == "proposed"
            else []
        )
        rows.append([p.id, p.version, p.status, p.owner, p.joint, p.title, ", ".join(missing)])
    row_api = [f"/profiles/{r[0]}" for r in rows]
    links = [f"/ui/profiles?id={r[0]}" for r in rows]
    return Table(cols, rows, len(rows), "/profiles", row_api, links)


#: Files of the analysis folder the reports page lists (summaries and charts, in both languages).
REPORT_SUFFIXES = (".md", ".png", ".pdf", ".html")


def reports(node: Node) -> Table:
    folder = Path(node.settings.analysis_folder)
    files = sorted(p for p in folder.glob("*") if p.suffix in REPORT_SUFFIXES) if folder.is_dir() else []
    rows: list[list[Any]] = [[p.name, "Chinese" if ".zh." in p.name else "English"] for p in files]
    links = [f"/ui/reports/{r[0]}" for r in rows]
    cols = columns([("file", "name"), ("language", "message")])
    return Table(cols, rows, len(rows), "/ui/reports", links, links)
