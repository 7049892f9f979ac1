"""``simulate()``: build a world and write its files (declarations, seizure files, trade, ground truth)."""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from iprisk.periods import Quarter, quarter_range
from iprisk.simulate.consignments import (
    DECLARATION_SCHEMA,
    TRUTH_SCHEMA,
    Block,
    ConsignmentGenerator,
    chunk_blocks,
    plan_blocks,
)
from iprisk.simulate.detentions import SEIZURE_COLUMNS, detentions_for_quarter
from iprisk.simulate.latent import World, build_world
from iprisk.simulate.parties import Parties, build_parties
from iprisk.simulate.scenario import PlantedEvent, Scenario, default_scenario
from iprisk.simulate.trade import trade_table

_SEIZURE_FILE = re.compile(r"[A-Z]{2}_\d{4}Q[1-4]\.csv")

#: ``progress(stage, done, total)``; stages: "seizures" (quarters), "declarations" (rows), "trade".
Progress = Callable[[str, int, int], None]

_TOTAL_KEYS = [
    "quarter",
    "reporting_admin",
    "flow",
    "office",
    "transport_mode",
    "provenance_country",
    "product_category",
    "ipr_type",
    "procedure",
    "outcome",
    "event",
]


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate` wrote, with headline counts and the seizure totals (small, aggregated)."""

    out_dir: Path
    declarations_path: Path | None
    declarations_truth_path: Path | None
    seizure_files: list[Path]
    trade_path: Path
    truth_path: Path
    quarters: list[str]
    admins: list[str]
    declarations: int
    controlled: int
    infringements_found: int
    true_infringements: int
    seizure_cases: int
    seizure_lines: int
    seizure_articles: int
    seconds: float
    #: seizure lines aggregated by quarter, admin, office, mode, provenance, product, IPR type, procedure,
    #: outcome and planted event: ``cases`` (first lines), ``lines``, ``articles``, ``retail_value_eur``.
    seizure_totals: pd.DataFrame = field(repr=False)


def _quarter(q: str | Quarter) -> Quarter:
    return q if isinstance(q, Quarter) else Quarter.parse(q)


def simulate(
    scenario: Scenario | None = None,
    start: str | Quarter = "2014Q1",
    end: str | Quarter = "2017Q4",
    scale: float = 0.05,
    seed: int = 7,
    out_dir: str | Path = "simulation",
    *,
    declarations: bool = True,
    chunk_rows: int = 131_072,
    workers: int = 1,
    progress: Progress | None = None,
) -> SimulationSummary:
    """Simulate a world and write ``out_dir/{declarations.parquet, seizures/<ADMIN>_<YYYYQn>.csv,
    trade.parquet, truth.json, truth_declarations.parquet}``.

    The same ``seed`` gives the same files whatever ``chunk_rows`` and ``workers``. Seizure statistics are
    drawn at full ``scale``; declarations are the ``scenario.declaration_sample`` share of the traffic (skip
    them with ``declarations=False``). Seizure files of an earlier run in ``out_dir/seizures`` are removed.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     summary = simulate(start="2016Q1", end="2016Q2", scale=0.002, out_dir=tmp)
    >>> sorted(p.name for p in summary.seizure_files)[:2]
    ['AT_2016Q2.csv', 'BE_2016Q1.csv']
    """
    t0 = time.perf_counter()
    scenario = scenario or default_scenario()
    scenario.validate()
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    first, last = _quarter(start), _quarter(end)
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    quarters = quarter_range(first, last)
    out = Path(out_dir)
    (out / "seizures").mkdir(parents=True, exist_ok=True)
    # Seizure files of an earlier run in the same folder would be submitted with ours: remove them.
    for old in (out / "seizures").glob("*.csv"):
        if _SEIZURE_FILE.fullmatch(old.name):
            old.unlink()
    report = progress or (lambda stage, done, total: None)

    world = build_world(scenario, quarters, seed)
    files, totals, cases, lines, articles = _write_seizures(world, scale, seed, out / "seizures", report)

    decl_path = truth_decl_path = None
    n_decl = n_ctrl = n_found = n_true = 0
    parties = build_parties(scenario, scale, seed)
    if declarations:
        decl_path, truth_decl_path = out / "declarations.parquet", out / "truth_declarations.parquet"
        n_decl, n_ctrl, n_found, n_true = _write_declarations(
            world, parties, scale, seed, decl_path, truth_decl_path, chunk_rows, workers, report
        )

    report("trade", 0, 1)
    trade_path = out / "trade.parquet"
    pq.write_table(trade_table(world, scale), trade_path)
    report("trade", 1, 1)

    truth_path = out / "truth.json"
    truth = _truth(world, scale, seed, totals, parties, n_decl, n_true)
    truth_path.write_text(json.dumps(truth, indent=2, ensure_ascii=False), encoding="utf-8")
    return SimulationSummary(
        out_dir=out,
        declarations_path=decl_path,
        declarations_truth_path=truth_decl_path,
        seizure_files=files,
        trade_path=trade_path,
        truth_path=truth_path,
        quarters=[str(q) for q in quarters],
        admins=sorted({f.stem.split("_")[0] for f in files}),
        declarations=n_decl,
        controlled=n_ctrl,
        infringements_found=n_found,
        true_infringements=n_true,
        seizure_cases=cases,
        seizure_lines=lines,
        seizure_articles=articles,
        seconds=time.perf_counter() - t0,
        seizure_totals=totals,
    )


def _write_seizures(
    world: World, scale: float, seed: int, folder: Path, report: Progress
) -> tuple[list[Path], pd.DataFrame, int, int, int]:
    files: list[Path] = []
    parts: list[pd.DataFrame] = []
    n_cases = n_lines = n_articles = 0
    event_codes, event_names = pd.factorize(world.segments["event"])
    event_dict = pa.array([str(x) for x in event_names], pa.string())
    opts = pacsv.WriteOptions(quoting_style="needed")
    for qpos, q in enumerate(world.quarters):
        report("seizures", qpos, len(world.quarters))
        table = detentions_for_quarter(world, qpos, scale, seed)
        seg = table["_segment"].to_numpy()
        table = table.select(list(SEIZURE_COLUMNS))
        admins = table["reporting_admin"].to_numpy(zero_copy_only=False)
        if len(admins):
            bounds = np.flatnonzero(admins[1:] != admins[:-1]) + 1
            for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(admins)], strict=True):
                path = folder / f"{admins[lo]}_{q}.csv"
                pacsv.write_csv(table.slice(lo, hi - lo), path, write_options=opts)
                files.append(path)
        keys = [k for k in _TOTAL_KEYS if k not in ("quarter", "event")]
        agg = (
            table.select([*keys, "articles", "retail_value_eur", "line_no"])
            .append_column("cases", pc.cast(pc.equal(table["line_no"], 1), pa.int64()))
            .append_column("event", event_dict.take(pa.array(event_codes[seg], pa.int64())))
            .group_by([*keys, "event"])
            .aggregate(
                [("cases", "sum"), ("line_no", "count"), ("articles", "sum"), ("retail_value_eur", "sum")]
            )
            .rename_columns([*keys, "event", "cases", "lines", "articles", "retail_value_eur"])
            .to_pandas()
        )
        agg.insert(0, "quarter", str(q))
        parts.append(agg)
        n_cases += int(agg["cases"].sum())
        n_lines += table.num_rows
        n_articles += int(agg["articles"].sum())
    report("seizures", len(world.quarters), len(world.quarters))
    totals = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_TOTAL_KEYS)
    totals = totals[[*_TOTAL_KEYS, "cases", "lines", "articles", "retail_value_eur"]]
    return files, totals, n_cases, n_lines, n_articles


def _write_declarations(
    world: World,
    parties: Parties,
    scale: float,
    seed: int,
    path: Path,
    truth_path: Path,
    chunk_rows: int,
    workers: int,
    report: Progress,
) -> tuple[int, int, int, int]:
    gen = ConsignmentGenerator(world, parties, scale, seed)
    blocks = plan_blocks(world, scale, seed)
    total = sum(b.rows for b in blocks)
    done = n_rows = n_ctrl = n_found = n_true = 0
    report("declarations", 0, total)
    with (
        pq.ParquetWriter(path, DECLARATION_SCHEMA) as writer,
        pq.ParquetWriter(truth_path, TRUTH_SCHEMA) as twriter,
        ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
    ):
        # Each chunk remembers how many planned declarations it covers, so progress counts declarations
        # (the unit of the plan) even though a declaration may have several item rows.
        pending: deque[tuple[Future[tuple[pa.Table, pa.Table]], int]] = deque()
        chunks = chunk_blocks(blocks, chunk_rows)

        def submit_next() -> bool:
            nxt: list[Block] | None = next(chunks, None)
            if nxt is None:
                return False
            pending.append((pool.submit(gen.generate, nxt), sum(b.rows for b in nxt)))
            return True

        for _ in range(max(1, workers)):  # bounded look-ahead keeps memory flat
            if not submit_next():
                break
        while pending:
            future, planned = pending.popleft()
            table, truth = future.result()
            submit_next()
            writer.write_table(table)
            twriter.write_table(truth)
            done += planned
            n_rows += table.num_rows
            n_ctrl += int(pc.sum(table["controlled"]).as_py() or 0)
            n_found += int(pc.sum(table["infringement"]).as_py() or 0)
            n_true += int(pc.sum(truth["true_infringement"]).as_py() or 0)
            report("declarations", done, total)
        if total == 0:  # an empty file still has the schema
            writer.write_table(DECLARATION_SCHEMA.empty_table())
            twriter.write_table(TRUTH_SCHEMA.empty_table())
    return n_rows, n_ctrl, n_found, n_true


def _scope(totals: pd.DataFrame, ev: PlantedEvent, offices: tuple[str, ...] | None = None) -> np.ndarray:
    """Seizure totals rows inside an event's filters (whatever the quarter)."""
    m = np.ones(len(totals), dtype=bool)
    for col, values in (
        ("transport_mode", ev.modes),
        ("provenance_country", ev.provenances),
        ("product_category", ev.products),
        ("reporting_admin", ev.reporters),
        ("office", ev.offices if offices is None else offices),
    ):
        if values:
            m &= totals[col].isin(values).to_numpy()
    return m


def _by_quarter(df: pd.DataFrame, quarters: list[str]) -> dict[str, int]:
    counts = df.groupby("quarter")["cases"].sum()
    return {q: int(counts.get(q, 0)) for q in quarters}


def _truth(
    world: World, scale: float, seed: int, totals: pd.DataFrame, parties: Parties, n_decl: int, n_true: int
) -> dict[str, object]:
    s = world.scenario
    quarters = [str(q) for q in world.quarters]
    events = []
    labels = [set(str(x).split(",")) for x in totals["event"]]
    params = s.to_dict()["events"]
    for i, ev in enumerate(s.events):
        touched = np.array([ev.name in x for x in labels], dtype=bool)
        entry: dict[str, object] = {
            "name": ev.name,
            "kind": ev.kind,
            "start": ev.start,
            "end": ev.end,
            "parameters": params[i],
            # the segments the event touches, in every quarter (before and after it starts)
            "scope_cases_by_quarter": _by_quarter(totals[_scope(totals, ev)], quarters),
            # the cases in segments the event was active on
            "event_cases_by_quarter": _by_quarter(totals[touched], quarters),
        }
        if ev.kind == "displacement" and ev.to_office:
            entry["destination_scope_cases_by_quarter"] = _by_quarter(
                totals[_scope(totals, ev, offices=(ev.to_office,))], quarters
            )
        events.append(entry)
    return {
        "format": "iprisk-simulation-truth/1",
        "seed": seed,
        "scale": scale,
        "start": str(world.quarters[0]),
        "end": str(world.quarters[-1]),
        "scenario": s.to_dict(),
        "events": events,
        "parties": {
            "traders": parties.n_traders,
            "infringing_traders": int(parties.infringing.sum()),
            "networks": parties.networks(),
        },
        "declarations": {
            "file": "declarations.parquet" if n_decl else None,
            "truth_file": "truth_declarations.parquet" if n_decl else None,
            "rows": n_decl,
            "true_infringements": n_true,
            "note": "truth_declarations.parquet holds the true infringement flag of every consignment",
        },
        "seizures": {
            "cases": int(totals["cases"].sum()) if len(totals) else 0,
            "articles": int(totals["articles"].sum()) if len(totals) else 0,
        },
    }
