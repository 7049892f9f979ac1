"""Referrals: simulated referrals through their whole lifecycle, the store, and the KPI computation.

- ``bench_referrals`` (``IPRISK_BENCH_REFERRALS``, default 100,000) simulated referrals from China's network
  ports to the EU's, each drafted, sent, received, acknowledged (or not), given feedback (or not) and closed
  by the pure lifecycle: time per referral.
- The KPIs per quarter and port pair over them: the DuckDB query over Arrow (what iprisk runs) next to a
  pandas group-by computing the same figures, in the same run; the two tables must agree.
- 2,000 of them stored step by step in SQLite (``ReferralStore.step``: read, lifecycle, versioned update and
  events in one transaction): time per step.
- The KPIs at a node over all of them stored in its database: the store's column-wise read of the KPI rows
  (``ReferralStore.kpi_rows``, what ``iprisk referrals kpis`` and the API run) against every referral read
  back and flattened (``referral_rows(store.referrals())``, the path before it), in the same run; the two
  KPI tables must be equal.

- ``bench_referrals_between_nodes`` (``IPRISK_BENCH_REFERRALS_BETWEEN_NODES``, default the issue's 100,000)
  referrals through the whole lifecycle *between two nodes* (the in-process pair of the link tests: two
  databases, two key sets, HTTP through each other's app): drafted and sent at the CN node, received at the
  EU node, the receipt moving the original, acknowledged and fed back at the EU node, closed at the CN node —
  four messages and a receipt synchronisation each, delivered in batches — against the plain channel on the
  same pair, measured in the same run: ``bench_referrals_plain`` (``IPRISK_BENCH_REFERRALS_PLAIN``, default
  10,000) referrals' worth of probe messages (a kind whose handler does nothing), 4 each, in the same phases.
  Time and CPU per referral, the ratio, and the KPIs at the node that sent them. Progress with wall and CPU
  time on stderr every tenth of a phase: at 100,000 it takes hours of wall time on 2 shared cores
  (docs/referrals.md has the figures).

``python -m benchmarks referrals``; a part alone at another scale (``TMPDIR=/dev/shm`` keeps the databases
off a shared disk): ``python -m benchmarks.bench_referrals channel N [PLAIN]`` (the two nodes; the plain
baseline at PLAIN referrals' worth of messages, default N; the issue's 100,000: ``channel 100000 10000``),
``python -m benchmarks.bench_referrals kpis N`` (the two reads of the KPIs over N stored referrals).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from iprisk.referrals import (
    KPI_COLUMNS,
    ReferralWorld,
    default_network,
    kpis,
    referral_rows,
    simulate_referrals,
)
from iprisk.settings import get_settings

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TARGET_PER_REFERRAL_MS = 5.0
TARGET_KPI_S = 2.0
STORED = 2_000
#: referrals between two nodes for ``channel`` without a count
CHANNEL_REFERRALS = 200


def _row(
    name: str, value: Any, unit: str, baseline: Any = None, target: Any = None, ok: Any = None
) -> dict[str, Any]:
    ratio = baseline / value if baseline and value else None
    return {"name": name, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio,
            "target": target, "ok": ok}  # fmt: skip


def pandas_kpis(rows: pa.Table, now: datetime) -> pd.DataFrame:
    """The same KPIs with a pandas group-by (the baseline)."""
    df = rows.to_pandas()
    hours = (df["acknowledged_at"] - df["sent_at"]).dt.total_seconds() / 3600
    controlled = df["result"].isin(["seized", "released"])
    seized = df["result"].eq("seized")
    open_ = df["state"].isin(["sent", "received", "acknowledged"])
    overdue = open_ & (
        (df["acknowledged_at"].isna() & (df["ack_due"] < now))
        | (df["first_feedback_at"].isna() & (df["feedback_due"] < now))
    )
    df = df.assign(
        hours=hours, controlled=controlled, seized=seized, overdue=overdue,
        ack_in_time=(df["acknowledged_at"] <= df["ack_due"]).astype(float),
        feedback_in_time=(df["first_feedback_at"] <= df["feedback_due"]).astype(float),
        articles=df["articles_detained"].where(seized, 0), value=df["value_eur"].where(seized, 0.0),
    )  # fmt: skip
    g = df.groupby(["quarter", "sending_port", "receiving_port"], sort=True)
    out = g.agg(
        sent=("referral_id", "size"), received=("received_at", "count"),
        acknowledged=("acknowledged_at", "count"),
        ack_median_hours=("hours", "median"), ack_p90_hours=("hours", lambda h: h.quantile(0.9)),
        ack_in_time_share=("ack_in_time", "mean"), feedback_in_time_share=("feedback_in_time", "mean"),
        controlled=("controlled", "sum"), seized=("seized", "sum"), articles_seized=("articles", "sum"),
        value_seized_eur=("value", "sum"), overdue_now=("overdue", "sum"),
    ).reset_index()  # fmt: skip
    out["hit_rate"] = out["seized"] / out["controlled"].where(out["controlled"] > 0)
    return out[list(KPI_COLUMNS)]


def _agree(ours: pa.Table, baseline: pd.DataFrame) -> bool:
    mine = ours.to_pandas()
    if len(mine) != len(baseline):
        return False
    return all(
        np.allclose(mine[c].astype(float), baseline[c].astype(float), equal_nan=True) for c in KPI_COLUMNS[3:]
    )


def run(out: Path) -> list[dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    n = get_settings().bench_referrals
    network = default_network()
    start = time.perf_counter()
    simulated = simulate_referrals(ReferralWorld(), network, n, start=date(2026, 1, 1), seed=1)
    per_referral_ms = (time.perf_counter() - start) / n * 1000
    refs = [s.referral for s in simulated]
    rows = referral_rows(refs)
    kpis(rows, now=NOW)  # warm DuckDB up once: the first query loads its extension code
    start = time.perf_counter()
    table = kpis(rows, now=NOW)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    baseline = pandas_kpis(rows, NOW)
    pandas_s = time.perf_counter() - start
    agree = _agree(table, baseline)
    result = [
        _row(f"lifecycle, {n:,} simulated referrals (draft to close)", per_referral_ms, "ms/referral",
             target=TARGET_PER_REFERRAL_MS, ok=per_referral_ms <= TARGET_PER_REFERRAL_MS),
        _row(f"KPIs per quarter and port pair, {n:,} referrals, {table.num_rows} pairs (DuckDB vs pandas)",
             ours_s, "s", baseline=pandas_s, target=TARGET_KPI_S, ok=ours_s <= TARGET_KPI_S and agree),
        _row("KPIs: DuckDB and pandas tables agree", int(agree), "bool", ok=agree),
    ]  # fmt: skip
    result.append(_bench_store(refs[:STORED], Path(out)))
    result.extend(bench_kpi_read(refs, Path(out)))
    settings = get_settings()
    between = settings.bench_referrals_between_nodes
    plain = min(settings.bench_referrals_plain, between)
    result.extend(bench_channel(Path(out), between, _progress_since(), plain=plain))
    return result


def _deliver(*sides: Any) -> None:
    """Delivery passes both ways, each with the referrals' receipt source (what the worker runs; not the
    statistics source, which opens the warehouse: the same for both sides of the comparison), until quiet."""
    from iprisk.link.referrals import sync_referral_receipts

    while True:
        moved = sum(len(sync_referral_receipts(side.link)) for side in sides)
        attempted = sum(side.link.deliver(10_000).attempted for side in sides)
        if not moved and not attempted:
            return


def _lifecycles(cn: Any, eu: Any, n: int, progress: Any = None) -> None:
    """``n`` referrals from Shanghai to Rotterdam through their whole lifecycle, phase by phase (each phase
    named to ``progress`` when given, as it ends)."""
    from tests.referrals.conftest import CN_OFFICER, EU_OFFICER, warning_data

    from iprisk.node.referrals import draft_referral, take_step

    seized = {"result": "seized", "control_type": "physical", "control_date": "2026-04-01",
              "articles_detained": 10, "ipr_type_confirmed": "trademark"}  # fmt: skip
    every = max(1_000, n // 10)  # progress within a phase too: the trend of the cost shows while it runs

    def _tell(what: str, done: int) -> None:
        if progress is not None and (done % every == 0 or done == n):
            progress(f"{done:,}/{n:,} referrals: {what}")

    ids = []
    for i in range(n):
        ids.append(draft_referral(cn.node, CN_OFFICER, warning_data())["id"])
        _tell("drafted", i + 1)
    phases = ((cn, CN_OFFICER, "send", None), (eu, EU_OFFICER, "acknowledge", None),
              (eu, EU_OFFICER, "feedback", seized), (cn, CN_OFFICER, "close", None))  # fmt: skip
    for side, officer, step, body in phases:
        for i, rid in enumerate(ids):
            take_step(side.node, officer, rid, step, body)
            _tell(f"{step} taken", i + 1)
        _deliver(cn, eu)
        _tell(f"{step} delivered", n)


def _probes(cn: Any, eu: Any, n: int) -> None:
    """The plain channel in the same phases: ``n`` messages CN -> EU, 2n EU -> CN, n CN -> EU."""
    from iprisk.link.probe import send_probes

    for sender, peer in ((cn, "EU"), (eu, "CN"), (eu, "CN"), (cn, "EU")):
        for _ in range(n):
            send_probes(sender.link, peer, 1, 512)  # one unit of work each, like a step
        _deliver(cn, eu)


def _node_kpis(side: Any) -> None:
    """What ``iprisk referrals kpis`` computes at a node: the KPI rows read column-wise, aggregated."""
    kpis(side.node.referrals.kpi_rows(), now=side.node.clock.now())


def _all_closed(*sides: Any, count: int) -> bool:
    """Whether both nodes hold the same ``count`` referrals, every one closed: read column-wise (the
    referrals read back whole held about a gigabyte at 100,000)."""
    held = [side.node.referrals.kpi_rows().select(["referral_id", "state"]) for side in sides]
    ids = [sorted(rows["referral_id"].to_pylist()) for rows in held]
    closed = all(set(rows["state"].to_pylist()) == {"closed"} for rows in held)
    return closed and len(ids[0]) == count and all(other == ids[0] for other in ids[1:])


def _progress_since() -> Any:
    """A progress line on stderr with the wall and CPU time since now (a long run shows its trend)."""
    started, cpu_started = time.perf_counter(), time.process_time()

    def _progress(what: str) -> None:
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(f"[{wall:8.0f} s wall {cpu:8.0f} s CPU] {what}", file=sys.stderr, flush=True)

    return _progress


def _measured(work: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_channel(out: Path, n: int, progress: Any = None, plain: int | None = None) -> list[dict[str, Any]]:
    """Referrals between two nodes against the plain channel on the same pair (see the module's text); the
    plain channel's equivalent of ``plain`` referrals (default ``n``: at 100,000 a smaller baseline, measured
    in the same run, saves an hour)."""
    plain = plain or n
    from tests.link.twonodes import two_nodes
    from tests.referrals.conftest import MONDAY

    from iprisk.exchange import ManualClock

    with tempfile.TemporaryDirectory(dir=out) as tmp:
        eu, cn = two_nodes(Path(tmp), ManualClock(MONDAY))
        try:
            _lifecycles(cn, eu, 5)  # warm-up: imports, connections, caches
            plain_s, plain_cpu = _measured(lambda: _probes(cn, eu, plain))
            if progress is not None:
                progress(f"{4 * plain:,} plain messages delivered")
            ours_s, ours_cpu = _measured(lambda: _lifecycles(cn, eu, n, progress))
            agree = _all_closed(cn, eu, count=n + 5)  # with the warm-up's 5
            kpi_s, _ = _measured(lambda: _node_kpis(cn))
        finally:
            for side in (eu, cn):
                side.link.close()
                side.node.engine.dispose()
    baseline = f" ({4 * plain:,} measured)" if plain != n else ""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    return [
        _row(f"referral lifecycle between two nodes, {n:,} referrals (4 messages each) vs 4 plain messages"
             f"{baseline}", ours_s / n * 1000, "ms/referral", baseline=plain_s / plain * 1000),
        _row("  CPU per referral vs 4 plain messages (both nodes in this process)", ours_cpu / n * 1000,
             "ms/referral", baseline=plain_cpu / plain * 1000),
        _row("  every referral closed on both nodes", int(agree), "bool", ok=agree),
        _row(f"  KPIs at a node over its {n + 5:,} referrals (rows read column-wise, DuckDB)", kpi_s, "s"),
        _row("  peak memory of the process (both nodes)", round(peak_mb), "MB"),
    ]  # fmt: skip


def bench_kpi_read(refs: list[Any], out: Path) -> list[dict[str, Any]]:
    """The KPIs at a node over ``refs`` stored in its database (SQLite): the flat rows read column-wise by
    the store (``ReferralStore.kpi_rows``, what ``iprisk referrals kpis`` runs) against every referral read
    back and flattened (``referral_rows(store.referrals())``, the path before), the same DuckDB query after
    both; the two tables must be equal."""
    from sqlalchemy.orm import Session

    from iprisk.referrals import Deadlines, Event
    from iprisk.store import ReferralStore

    deadlines = Deadlines()
    with tempfile.TemporaryDirectory(dir=out) as tmp, ReferralStore(str(Path(tmp) / "ops.sqlite")) as store:
        # stored in one transaction (the setting up, not timed)
        with Session(store.engine) as session, session.begin():
            for ref in refs:
                event = Event(ref.id, "bench", None, ref.state, "bench", ref.drafted_at)
                store.add(ref, event, session=session)
        kpis(referral_rows([]), now=NOW)  # DuckDB warmed up before either is timed
        tables: dict[str, pa.Table] = {}

        def _read_back() -> None:
            tables["read_back"] = kpis(referral_rows(store.referrals(), deadlines), now=NOW)

        def _column_wise() -> None:
            tables["column_wise"] = kpis(store.kpi_rows(deadlines), now=NOW)

        before_s, before_cpu = _measured(_read_back)
        after_s, after_cpu = _measured(_column_wise)
    same = tables["read_back"].equals(tables["column_wise"])
    n = len(refs)
    return [
        _row(f"KPIs at a node over {n:,} stored referrals: column-wise read vs each referral read back",
             after_s, "s", baseline=before_s),
        _row("  CPU, column-wise read vs each referral read back", after_cpu, "s", baseline=before_cpu),
        _row("  the two KPI tables are equal", int(same), "bool", ok=same),
    ]  # fmt: skip


def _bench_store(refs: list[Any], out: Path) -> dict[str, Any]:
    """Store each referral drafted, then replay its later state as one step: SQLite, one transaction each."""
    from iprisk.referrals import Event
    from iprisk.store import ReferralStore

    with tempfile.TemporaryDirectory(dir=out) as tmp, ReferralStore(str(Path(tmp) / "ops.sqlite")) as store:
        start = time.perf_counter()
        for ref in refs:
            drafted = ref.__class__(ref.warning, "drafted", ref.drafted_at)
            store.add(drafted, Event(ref.id, "draft", None, "drafted", "bench", ref.drafted_at))
            store.step(
                ref.id, lambda _r, ref=ref: (ref, Event(ref.id, "replay", "drafted", ref.state, "bench", NOW))
            )
        per_step_ms = (time.perf_counter() - start) / (2 * len(refs)) * 1000
    return _row(f"store, {len(refs):,} referrals drafted then stepped (SQLite)", per_step_ms, "ms/step")


if __name__ == "__main__":
    # kpis N: the KPIs' two reads over N simulated referrals stored at a node
    if sys.argv[1:2] == ["kpis"]:
        n = int(sys.argv[2]) if len(sys.argv) > 2 else get_settings().bench_referrals
        simulated = simulate_referrals(ReferralWorld(), default_network(), n, start=date(2026, 1, 1), seed=1)
        folder = Path(tempfile.mkdtemp(prefix="iprisk-bench-"))
        for row in bench_kpi_read([s.referral for s in simulated], folder):
            print(row, flush=True)
    # channel N [PLAIN]: N referrals between the two nodes, the plain channel's equivalent of PLAIN
    if sys.argv[1:2] == ["channel"]:
        n = int(sys.argv[2]) if len(sys.argv) > 2 else CHANNEL_REFERRALS
        plain_n = int(sys.argv[3]) if len(sys.argv) > 3 else n
        folder = Path(tempfile.mkdtemp(prefix="iprisk-bench-"))
        for row in bench_channel(folder, n, _progress_since(), plain=plain_n):
            print(row, flush=True)
