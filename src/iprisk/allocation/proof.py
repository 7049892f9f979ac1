"""Proving a plan's gain before deployment, in the simulator where the truth is known.

For each seed: simulate the world's history (seizure statistics, trade, logged declarations), estimate the
curves and plan the next quarter exactly as a user would, then run that quarter forward
(:mod:`iprisk.simulate.forward`) twice on the same draw (the same fraudsters): under the status quo and under
the plan, each office spending what it spends today. The extra detections over the seeds give the gain with
an interval; the plan's own prediction (and its interval) is set beside the true expected gain. With
``displacement``, fraudsters also move that share of every flow to the least-covered neighbour after seeing
the allocation, and the displacement-aware plan is run too.

The same runs check the off-policy estimate (:mod:`iprisk.allocation.offpolicy`): the plan's yield over the
last logged quarter, estimated from the declarations alone, against the simulator's expected truth.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from scipy import stats

from iprisk.allocation.curves import STRATUM, YieldCurves
from iprisk.allocation.estimate import estimate_curves
from iprisk.allocation.offpolicy import evaluate_offpolicy
from iprisk.allocation.plan import Plan, plan_allocation
from iprisk.allocation.strata import declaration_strata
from iprisk.periods import Quarter
from iprisk.simulate import Scenario, SimulationSummary, default_scenario, simulate
from iprisk.simulate.consignments import ConsignmentGenerator, chunk_blocks, plan_blocks
from iprisk.simulate.forward import ForwardQuarter, forward_quarter
from iprisk.simulate.latent import build_world
from iprisk.simulate.parties import build_parties
from iprisk.simulate.trade import trade_table

#: ``progress(seed, done, total)``
Progress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class SimulatedData:
    """What a simulated world's files hold, read back: the inputs a user would have."""

    seizures: pd.DataFrame  # seizure lines with ``quarter``
    trade: pd.DataFrame
    declarations: pa.Table


def read_seizure_files(paths: Iterable[Path]) -> pd.DataFrame:
    """Seizure lines of a simulated world's files (``<ADMIN>_<YYYYQn>.csv``), with their quarter."""
    parts = []
    options = pacsv.ConvertOptions(strings_can_be_null=False, column_types={"hs_code": pa.string()})
    for path in sorted(paths):
        frame = pacsv.read_csv(path, convert_options=options).to_pandas()
        frame["quarter"] = path.stem.split("_")[1]
        parts.append(frame)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def load_simulation(summary: SimulationSummary) -> SimulatedData:
    """Read a simulated world's seizure files (with their quarter), trade table and declarations."""
    seizures = read_seizure_files(summary.seizure_files)
    if summary.declarations_path is None or summary.declarations_truth_path is None:
        raise ValueError("the simulation wrote no declarations: the curves need the logged controls")
    declarations = pq.read_table(summary.declarations_path)
    # The simulator declares some goods under HS codes that the code lists file under another product group
    # (phone batteries, 850760, are electronics there); a declaration system records the group itself.
    groups = pq.read_table(summary.declarations_truth_path, columns=["product_category"]).column(0)
    declarations = declarations.append_column("product_category", groups)
    return SimulatedData(seizures, pq.read_table(summary.trade_path).to_pandas(), declarations)


@dataclass(frozen=True)
class GainProof:
    """Per-seed runs and the gain over the status quo with an interval over seeds."""

    runs: pd.DataFrame  # RUN_COLUMNS
    quarter: str
    scale: float
    exploration: float
    displacement: float
    confidence: float

    def summary(self) -> dict[str, Any]:
        """Mean and interval over seeds of the realised and expected gains, and the checks."""
        r = self.runs
        out: dict[str, Any] = {
            "seeds": len(r),
            "quarter": self.quarter,
            "scale": self.scale,
            "status_quo": float(r["status_quo"].mean()),
        }
        for col in (
            "gain",
            "true_gain",
            "predicted_gain",
            "gain_displaced",
            "aware_gain_displaced",
            "true_gain_displaced",
            "true_aware_gain_displaced",
        ):
            if col in r and r[col].notna().any():
                mean, low, high = _t_interval(r[col].dropna().to_numpy(), self.confidence)
                out.update({col: mean, f"{col}_low": low, f"{col}_high": high})
        out["relative_gain"] = float(r["true_gain"].sum() / r["status_quo_expected"].sum())
        out["predicted_covers_truth"] = float(r["predicted_covers"].mean())
        out["ipw_covers_truth"] = float(r["ipw_covers"].mean())
        out["dr_covers_truth"] = float(r["dr_covers"].mean())
        return out


#: Columns of :attr:`GainProof.runs`.
RUN_COLUMNS = (
    "seed",
    "status_quo",
    "plan",
    "gain",
    "status_quo_expected",
    "plan_expected",
    "true_gain",
    "predicted_gain",
    "predicted_low",
    "predicted_high",
    "predicted_covers",
    "offpolicy_truth",
    "ipw",
    "ipw_low",
    "ipw_high",
    "ipw_covers",
    "dr",
    "dr_low",
    "dr_high",
    "dr_covers",
    "gain_displaced",
    "aware_gain_displaced",
    "true_gain_displaced",
    "true_aware_gain_displaced",
    "strata",
    "controls",
    "capacity",
)


def prove_gain(
    scenario: Scenario | None = None,
    quarter: str = "2017Q1",
    *,
    scale: float = 0.05,
    seeds: Iterable[int] = (1, 2, 3),
    history: int = 8,
    exploration: float = 0.05,
    max_change: float | None = 10.0,
    displacement: float = 0.0,
    confidence: float = 0.95,
    workdir: str | Path | None = None,
    progress: Progress | None = None,
) -> GainProof:
    """Run the proof for every seed (a new world each: its own lanes, fraudsters and history)."""
    seeds = list(seeds)
    target = Quarter.parse(quarter)
    rows = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for i, seed in enumerate(seeds):
            if progress:
                progress(seed, i, len(seeds))
            rows.append(
                _one_seed(
                    scenario, target, scale, seed, history, exploration, max_change, displacement, Path(tmp)
                )
            )
    if progress:
        progress(seeds[-1] if seeds else 0, len(seeds), len(seeds))
    runs = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
    return GainProof(runs, str(target), scale, exploration, displacement, confidence)


def plan_for_world(
    curves: YieldCurves,
    forward: ForwardQuarter,
    *,
    exploration: float = 0.05,
    displacement: float = 0.0,
    max_change: float | None = None,
) -> tuple[Plan, np.ndarray, np.ndarray]:
    """The plan for ``forward``'s quarter from estimated ``curves``, each office spending its status-quo
    controls (the world's, which an administration knows) on the strata the curves know; returns the plan,
    and the controls per forward segment under the status quo and under the plan (segments without curves
    keep their status quo)."""
    seg = forward.segments.reset_index().rename(columns={"index": "segment"})
    matched = seg.merge(curves.keys().reset_index().rename(columns={"index": "curve"}), on=list(STRATUM))
    status_quo = forward.status_quo()
    capacity = (
        matched.assign(controls=status_quo[matched["segment"]])
        .groupby("office")["controls"]
        .sum()
        .rename("capacity")
        .reset_index()
    )
    capacity["capacity"] = np.floor(capacity["capacity"])
    mask = np.zeros(len(curves), dtype=bool)
    mask[matched["curve"].to_numpy()] = True
    plan = plan_allocation(
        curves.subset(mask),
        capacity,
        quarter=str(forward.quarter),
        exploration=exploration,
        displacement=displacement,
        max_change=max_change,
    )
    planned = status_quo.copy()
    placed = seg.merge(plan.strata[[*STRATUM, "planned"]], on=list(STRATUM))
    planned[placed["segment"].to_numpy()] = placed["planned"].to_numpy()
    return plan, status_quo, planned


def _one_seed(
    scenario: Scenario | None,
    target: Quarter,
    scale: float,
    seed: int,
    history: int,
    exploration: float,
    max_change: float | None,
    displacement: float,
    tmp: Path,
) -> dict[str, Any]:
    summary = simulate(scenario, target - history, target - 1, scale, seed, tmp / f"seed-{seed}")
    data = load_simulation(summary)
    forward = forward_quarter(scenario, target, scale, seed)
    curves = estimate_curves(data.seizures, data.trade, data.declarations, quarter=str(target))
    plan, sq, planned = plan_for_world(curves, forward, exploration=exploration, max_change=max_change)
    det_sq, det_plan = forward.run(sq, draw=0), forward.run(planned, draw=0)
    e_sq, e_plan = forward.expected(sq).sum(), forward.expected(planned).sum()
    true_gain = float(e_plan - e_sq)
    row: dict[str, Any] = {
        "seed": seed,
        "status_quo": float(det_sq.sum()),
        "plan": float(det_plan.sum()),
        "gain": float(det_plan.sum() - det_sq.sum()),
        "status_quo_expected": float(e_sq),
        "plan_expected": float(e_plan),
        "true_gain": true_gain,
        "predicted_gain": plan.gain_vs_status_quo,
        "predicted_low": plan.gain_vs_status_quo_low,
        "predicted_high": plan.gain_vs_status_quo_high,
        "predicted_covers": plan.gain_vs_status_quo_low <= true_gain <= plan.gain_vs_status_quo_high,
        "strata": len(plan.strata),
        "controls": float(plan.strata["planned"].sum()),
        "capacity": float(plan.offices["usable"].sum()),
    }
    logged = [target - k for k in range(min(history, 4), 0, -1)]
    row.update(_offpolicy(plan, data, scenario, logged, scale, seed))
    if displacement:
        _, _, aware_planned = plan_for_world(
            curves, forward, exploration=exploration, max_change=max_change, displacement=displacement
        )
        phi = displacement
        sq_d = forward.run(sq, draw=0, adversary_share=phi).sum()
        row["gain_displaced"] = float(forward.run(planned, draw=0, adversary_share=phi).sum() - sq_d)
        row["aware_gain_displaced"] = float(
            forward.run(aware_planned, draw=0, adversary_share=phi).sum() - sq_d
        )
        e_sq_d = forward.expected(sq, adversary_share=phi).sum()
        row["true_gain_displaced"] = float(forward.expected(planned, adversary_share=phi).sum() - e_sq_d)
        row["true_aware_gain_displaced"] = float(
            forward.expected(aware_planned, adversary_share=phi).sum() - e_sq_d
        )
    return row


def _offpolicy(
    plan: Plan, data: SimulatedData, scenario: Scenario | None, logged: list[Quarter], scale: float, seed: int
) -> dict[str, Any]:
    """The plan's yield over the logged quarters: estimated off-policy, and the simulator's expected truth
    over the same strata (those with logged declarations in each quarter) at the plan's control rates."""
    est = evaluate_offpolicy(plan.strata, data.declarations, data.trade, [str(q) for q in logged])
    decl = declaration_strata(data.declarations)
    truth = 0.0
    for q in logged:
        past = forward_quarter(scenario, q, scale, seed)
        seen = decl[decl["quarter"] == str(q)][list(STRATUM)].drop_duplicates()
        seg = past.segments.reset_index().rename(columns={"index": "segment"})
        cells = seg.merge(seen, on=list(STRATUM)).merge(plan.strata[[*STRATUM, "rate"]], on=list(STRATUM))
        controls = np.zeros(len(seg))
        controls[cells["segment"].to_numpy()] = cells["rate"].to_numpy() * cells["traffic"].to_numpy()
        truth += float(past.expected(controls)[cells["segment"].to_numpy()].sum())
    return {
        "offpolicy_truth": truth,
        "ipw": est.ipw,
        "ipw_low": est.ipw_low,
        "ipw_high": est.ipw_high,
        "ipw_covers": est.ipw_low <= truth <= est.ipw_high,
        "dr": est.dr,
        "dr_low": est.dr_low,
        "dr_high": est.dr_high,
        "dr_covers": est.dr_low <= truth <= est.dr_high,
    }


def offpolicy_coverage(
    plan: Plan,
    scenario: Scenario | None,
    quarters: list[str],
    *,
    scale: float,
    seed: int,
    draws: Iterable[int] = range(100),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The off-policy estimates of ``plan``'s yield over ``quarters`` of world ``seed``, each from a new
    draw of the logged declarations (other consignments sampled, other controls made), against the
    simulator's expected truth over the strata each draw logged. One row per draw: ``ipw``, ``dr``, their
    intervals, ``truth``, ``ipw_covers``, ``dr_covers``.
    """
    s = scenario or default_scenario()
    qs = [Quarter.parse(q) for q in quarters]
    world = build_world(s, qs, seed)
    parties = build_parties(s, scale, seed)
    trade = trade_table(world, scale).to_pandas()
    forwards = {str(q): forward_quarter(s, q, scale, seed) for q in qs}
    rows = []
    for draw in draws:
        # the world (rates, lanes, parties) stays; the sample of consignments and their controls are redrawn
        draw_seed = 10_000 + int(draw)
        gen = ConsignmentGenerator(world, parties, scale, draw_seed)
        parts = [gen.generate(chunk) for chunk in chunk_blocks(plan_blocks(world, scale, draw_seed), 262_144)]
        decl = pa.concat_tables([d for d, _ in parts])
        truth_tables = pa.concat_tables([t for _, t in parts])
        decl = decl.append_column("product_category", truth_tables.column("product_category"))
        est = evaluate_offpolicy(plan.strata, decl, trade, [str(q) for q in qs], confidence=confidence)
        seen = declaration_strata(decl)[["quarter", *STRATUM]].drop_duplicates()
        truth = 0.0
        for q, fq in forwards.items():
            seg = fq.segments.reset_index().rename(columns={"index": "segment"})
            here = seen[seen["quarter"] == q][list(STRATUM)]
            cells = seg.merge(here, on=list(STRATUM)).merge(plan.strata[[*STRATUM, "rate"]], on=list(STRATUM))
            controls = np.zeros(len(seg))
            controls[cells["segment"].to_numpy()] = cells["rate"].to_numpy() * cells["traffic"].to_numpy()
            truth += float(fq.expected(controls)[cells["segment"].to_numpy()].sum())
        rows.append(
            {
                "draw": int(draw),
                "truth": truth,
                "ipw": est.ipw,
                "ipw_low": est.ipw_low,
                "ipw_high": est.ipw_high,
                "dr": est.dr,
                "dr_low": est.dr_low,
                "dr_high": est.dr_high,
                "hits": est.hits,
                "ipw_covers": est.ipw_low <= truth <= est.ipw_high,
                "dr_covers": est.dr_low <= truth <= est.dr_high,
            }
        )
    return pd.DataFrame(rows)


def _t_interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(
        stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    )
    return mean, mean - half, mean + half


__all__ = [
    "RUN_COLUMNS",
    "GainProof",
    "SimulatedData",
    "load_simulation",
    "offpolicy_coverage",
    "plan_for_world",
    "prove_gain",
    "read_seizure_files",
]
