"""The state of play of the referrals: KPIs per quarter (of sending) and port pair.

Referrals become flat rows (:func:`referral_rows`: ids, ports, times, deadlines, the result in force; no
party, no name, no free text, no user), then one DuckDB query over the Arrow table aggregates them
(:func:`kpis`). Times to acknowledge are in hours; shares are of the referrals sent; the hit rate is seized /
controlled (seized or released) and empty when nothing was controlled.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb
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


def referral_rows(referrals: Iterable[Referral], deadlines: Deadlines | None = None) -> pa.Table:
    """The flat rows of the referrals that were sent (drafts are not in the state of play)."""
    deadlines = deadlines or Deadlines()
    columns: dict[str, list[object]] = {name: [] for name in ROW_SCHEMA.names}
    for ref in referrals:
        if ref.sent_at is None:
            continue
        w, fb = ref.warning, ref.current_feedback
        for name, value in (
            ("referral_id", ref.id),
            ("quarter", str(Quarter.of(ref.sent_at.date()))),
            ("sending_port", w.sending_port),
            ("receiving_port", w.receiving_port),
            ("state", ref.state),
            ("sent_at", ref.sent_at),
            ("received_at", ref.received_at),
            ("acknowledged_at", ref.acknowledged_at),
            ("ack_due", deadlines.ack_due(ref.sent_at)),
            ("first_feedback_at", ref.first_feedback_at),
            ("feedback_due", deadlines.feedback_due(ref.sent_at, w)),
            ("result", fb.result if fb else None),
            ("articles_detained", fb.articles_detained if fb else None),
            ("value_eur", fb.value_eur if fb else None),
        ):
            columns[name].append(value)
    return pa.table(columns, schema=ROW_SCHEMA)


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
