"""The state of play of the referrals: KPIs per quarter (of sending) and port pair.

Referrals become flat rows (:func:`referral_rows`: ids, ports, times, deadlines, the result in force; no
party, no name, no free text, no user), then one DuckDB query over the Arrow table aggregates them
(:func:`kpis`). Times to acknowledge are in hours; shares are of the referrals sent; the hit rate is seized /
controlled (seized or released) and empty when nothing was controlled.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

import duckdb
import pandas as pd
import pyarrow as pa

from iprisk.formats.referrals import CONTROLLED_RESULTS
from iprisk.periods import Quarter
from iprisk.referrals.lifecycle import OPEN, Deadlines, Referral
from iprisk.referrals.network import side_of

#: The flat row of a referral the KPIs read: what may leave the node in statistics (no personal data).
ROW_SCHEMA = pa.schema(
    [
        ("referral_id", pa.string()),
        ("quarter", pa.string()),
        ("sending_port", pa.string()),
        ("receiving_port", pa.string()),
        ("state", pa.string()),
        ("sent_at", pa.timestamp("us", tz="UTC")),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("acknowledged_at", pa.timestamp("us", tz="UTC")),
        ("ack_due", pa.timestamp("us", tz="UTC")),
        ("first_feedback_at", pa.timestamp("us", tz="UTC")),
        ("feedback_due", pa.timestamp("us", tz="UTC")),
        ("result", pa.string()),
        ("articles_detained", pa.int64()),
        ("value_eur", pa.float64()),
    ]
)

#: The KPI table's columns, in order (docs/referrals.md explains each).
KPI_COLUMNS = (
    "quarter", "sending_port", "receiving_port", "sent", "received", "acknowledged", "ack_median_hours",
    "ack_p90_hours", "ack_in_time_share", "feedback_in_time_share", "controlled", "seized", "hit_rate",
    "articles_seized", "value_seized_eur", "overdue_now",
)  # fmt: skip


class KpiFacts(NamedTuple):
    """What the KPI row of a sent referral is made from: its ids, ports, state and times, the two fields of
    the warning its feedback deadline depends on, and the feedback (the first's time, the result in force).
    :func:`referral_rows` takes them from referrals; the store reads them column-wise
    (``ReferralStore.kpi_rows``) without reading each referral back."""

    referral_id: str
    sending_port: str
    receiving_port: str
    state: str
    sent_at: datetime
    received_at: datetime | None
    acknowledged_at: datetime | None
    expected_arrival: date
    legal_basis: str
    first_feedback_at: datetime | None
    result: str | None
    articles_detained: int | None
    value_eur: float | None


def facts_of(ref: Referral) -> KpiFacts | None:
    """The KPI facts of a referral, ``None`` for a draft (drafts are not in the state of play)."""
    if ref.sent_at is None:
        return None
    w, fb = ref.warning, ref.current_feedback
    return KpiFacts(
        ref.id, w.sending_port, w.receiving_port, ref.state, ref.sent_at, ref.received_at,
        ref.acknowledged_at, w.expected_arrival, w.legal_basis, ref.first_feedback_at,
        fb.result if fb else None, fb.articles_detained if fb else None, fb.value_eur if fb else None,
    )  # fmt: skip


def rows_of_facts(facts: Iterable[KpiFacts], deadlines: Deadlines | None = None) -> pa.Table:
    """The flat rows (:data:`ROW_SCHEMA`) of the facts of sent referrals, in their order: the quarter of
    sending and the two deadlines computed here, once for every reader."""
    deadlines = deadlines or Deadlines()
    columns: dict[str, list[object]] = {name: [] for name in ROW_SCHEMA.names}
    (ids, quarters, sending, receiving, states, sent, received, acknowledged, ack_due, first_feedback,
     feedback_due, results, articles, values) = columns.values()  # fmt: skip
    quarter_of: dict[tuple[int, int], str] = {}  # a few quarters for many referrals
    for f in facts:
        month = (f.sent_at.year, f.sent_at.month)
        quarter = quarter_of.get(month)
        if quarter is None:
            quarter = quarter_of[month] = str(Quarter.of(f.sent_at.date()))
        ids.append(f.referral_id)
        quarters.append(quarter)
        sending.append(f.sending_port)
        receiving.append(f.receiving_port)
        states.append(f.state)
        sent.append(f.sent_at)
        received.append(f.received_at)
        acknowledged.append(f.acknowledged_at)
        ack_due.append(deadlines.ack_due(f.sent_at))
        first_feedback.append(f.first_feedback_at)
        feedback_due.append(deadlines.feedback_due_of(f.sent_at, f.expected_arrival, f.legal_basis))
        results.append(f.result)
        articles.append(f.articles_detained)
        values.append(f.value_eur)
    return pa.table(columns, schema=ROW_SCHEMA)


def referral_rows(referrals: Iterable[Referral], deadlines: Deadlines | None = None) -> pa.Table:
    """The flat rows of the referrals that were sent (drafts are not in the state of play)."""
    return rows_of_facts((f for f in map(facts_of, referrals) if f is not None), deadlines)


_CONTROLLED = ", ".join(f"'{r}'" for r in CONTROLLED_RESULTS)
_OPEN = ", ".join(f"'{s}'" for s in sorted(OPEN))
_KPI_SQL = f"""
SELECT quarter, sending_port, receiving_port,
    count(*) AS sent,
    count(received_at) AS received,
    count(acknowledged_at) AS acknowledged,
    quantile_cont(epoch(acknowledged_at - sent_at) / 3600.0, 0.5) AS ack_median_hours,
    quantile_cont(epoch(acknowledged_at - sent_at) / 3600.0, 0.9) AS ack_p90_hours,
    avg(CASE WHEN acknowledged_at <= ack_due THEN 1.0 ELSE 0.0 END) AS ack_in_time_share,
    avg(CASE WHEN first_feedback_at <= feedback_due THEN 1.0 ELSE 0.0 END) AS feedback_in_time_share,
    count(*) FILTER (WHERE result IN ({_CONTROLLED})) AS controlled,
    count(*) FILTER (WHERE result = 'seized') AS seized,
    count(*) FILTER (WHERE result = 'seized')
        / nullif(count(*) FILTER (WHERE result IN ({_CONTROLLED})), 0) AS hit_rate,
    coalesce(sum(articles_detained) FILTER (WHERE result = 'seized'), 0)::BIGINT AS articles_seized,
    coalesce(sum(value_eur) FILTER (WHERE result = 'seized'), 0.0) AS value_seized_eur,
    count(*) FILTER (WHERE state IN ({_OPEN}) AND (
        (acknowledged_at IS NULL AND ack_due < $now) OR (first_feedback_at IS NULL AND feedback_due < $now)
    )) AS overdue_now
FROM rows
WHERE ($quarter IS NULL OR quarter = $quarter)
GROUP BY ALL
ORDER BY quarter, sending_port, receiving_port
"""


def rows_of_sides(rows: pa.Table, sides: frozenset[str] | None) -> pa.Table:
    """The rows of referrals that touch one of ``sides`` (all when ``None``): what an analyst's KPIs read."""
    if sides is None:
        return rows
    keep = [side_of(s) in sides or side_of(r) in sides for s, r in zip(
        rows["sending_port"].to_pylist(), rows["receiving_port"].to_pylist(), strict=True
    )]  # fmt: skip
    return rows.filter(pa.array(keep, pa.bool_()))


def kpis(rows: pa.Table, *, now: datetime, quarter: str | None = None) -> pa.Table:
    """The KPIs per quarter and port pair of :func:`referral_rows` (of ``quarter`` only when given);
    ``overdue_now`` counts the open referrals past a deadline at ``now``."""
    with duckdb.connect() as con:
        con.register("rows", rows.select(ROW_SCHEMA.names))
        table = con.sql(_KPI_SQL, params={"now": now, "quarter": quarter}).to_arrow_table()
    return table.select(list(KPI_COLUMNS))


#: The state of play's referral indicators (``kpi`` keys; ``iprisk.reports.state_of_play.REFERRAL_KPIS``
#: names each in English and Chinese), in the order the report shows them.
STATE_OF_PLAY_KPIS = (
    "referrals_sent", "referrals_received", "ack_median_hours", "ack_p90_hours", "feedback_received",
    "feedback_rate", "feedback_in_time_rate", "hits", "hit_rate", "articles_seized", "value_seized_eur",
    "median_response_days", "overdue_now",
)  # fmt: skip


def state_of_play_kpis(
    referrals: Iterable[Referral],
    *,
    quarter: str,
    now: datetime,
    side: str | None = None,
    deadlines: Deadlines | None = None,
) -> pd.DataFrame | None:
    """The referral indicators of ``quarter`` (of sending) for the state of play, as (``kpi``, ``value``)
    rows: sent from ``side`` and received at it (every referral without a side), times to acknowledge,
    feedback and within its deadline, hits (seized) and the hit rate (seized / controlled), what was seized,
    the median days to feedback, overdue now. ``None`` when there is no referral at all (the report then
    says the exchange is not in operation); an indicator without data (no control: no hit rate) is left
    out."""
    return state_of_play_of_rows(referral_rows(referrals, deadlines), quarter=quarter, now=now, side=side)


def state_of_play_of_rows(
    rows_table: pa.Table, *, quarter: str, now: datetime, side: str | None = None
) -> pd.DataFrame | None:
    """:func:`state_of_play_kpis` of the referrals' flat rows (:func:`referral_rows`, or the store's
    column-wise ``kpi_rows``)."""
    rows = rows_table.to_pandas()
    if rows.empty:
        return None
    q = rows[rows["quarter"] == str(Quarter.parse(quarter))]
    sending, receiving = q["sending_port"].map(side_of), q["receiving_port"].map(side_of)
    sent = q if side is None else q[sending == side]
    received = (
        q[q["received_at"].notna()] if side is None else q[(receiving == side) & q["received_at"].notna()]
    )
    ack_hours = (q["acknowledged_at"] - q["sent_at"]).dt.total_seconds() / 3600
    feedback_days = (q["first_feedback_at"] - q["sent_at"]).dt.total_seconds() / 86400
    controlled = q["result"].isin(sorted(CONTROLLED_RESULTS))
    seized = q["result"] == "seized"
    open_now = q["state"].isin(sorted(OPEN))
    overdue = open_now & (
        (q["acknowledged_at"].isna() & (q["ack_due"] < now))
        | (q["first_feedback_at"].isna() & (q["feedback_due"] < now))
    )
    n = len(q)
    values: dict[str, float | int | None] = {
        "referrals_sent": len(sent),
        "referrals_received": len(received),
        "ack_median_hours": _maybe(ack_hours.median()),
        "ack_p90_hours": _maybe(ack_hours.quantile(0.9)),
        "feedback_received": int(q["first_feedback_at"].notna().sum()),
        "feedback_rate": 100.0 * q["first_feedback_at"].notna().sum() / n if n else None,
        "feedback_in_time_rate": 100.0 * (q["first_feedback_at"] <= q["feedback_due"]).sum() / n
        if n
        else None,
        "hits": int(seized.sum()),
        "hit_rate": 100.0 * seized.sum() / controlled.sum() if controlled.any() else None,
        "articles_seized": int(q.loc[seized, "articles_detained"].fillna(0).sum()),
        "value_seized_eur": float(q.loc[seized, "value_eur"].fillna(0).sum()),
        "median_response_days": _maybe(feedback_days.median()),
        "overdue_now": int(overdue.sum()),
    }
    kept = [(k, v) for k, v in values.items() if v is not None]
    return pd.DataFrame({"kpi": [k for k, _ in kept], "value": [v for _, v in kept]})


def _maybe(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value), 1)
