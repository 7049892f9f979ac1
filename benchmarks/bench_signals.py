"""Benchmark of the signals against a peer: iprisk's detector and Farrington flexible, side by side.

The same simulated worlds (``tests/analysis/worlds.py``: 16 quarters, ~400 cells, 3 broad surges and 3
narrow ones, one of them inside a broad surge) and the same segments (every combination of one to three
dimensions, and office x mode x provenance x product), each quarter from the ninth on:

- **iprisk**: :func:`iprisk.analysis.signals` at ``fdr = 0.05``; a surge counts only when an event's
  *headline* names it (the story told, not a level it merely shows at);
- **Farrington**: :func:`iprisk.analysis.farrington_flexible`'s batch form over every segment's quarterly
  series (Noufaily et al. 2013: quasi-Poisson GLM, reweighting of past outbreaks, 2/3-power threshold),
  two years back (one at the ninth quarter), a half-window of one quarter and two seasonal blocks (the
  window and the quarter between; the window alone with one year); an alarm anywhere at the right segment
  counts. Once at its own level ``alpha = 0.01`` per series, once with Benjamini-Hochberg over its
  p-values at 5 % per quarter (the false-discovery control iprisk uses), and once with BH at 0.5 % (a
  stricter cut, to compare recall where Farrington's false events come down to iprisk's).

Measured against the planted truth: recall of planted surges (found at their segment, or one dimension
coarser for a broad one, in their first or second quarter), broad and narrow apart; the mean detection
delay (quarters from the start to the first right signal); false events per quarter on null worlds
(groups of false signals of a quarter that share cells); the share of null quarters with any signal.
The target: iprisk ahead on recall at equal or fewer false events per null quarter.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iprisk.analysis import FarringtonControl
from iprisk.analysis._baseline import benjamini_hochberg
from iprisk.analysis._common import SIGNAL_DIMENSIONS
from iprisk.analysis._segments import SegmentCounts
from iprisk.analysis.farrington import farrington_batch, reference_points

#: Worlds drawn (each a planted and a null world); seeds 0 .. WORLDS - 1.
WORLDS = 12
#: What each world plants beside the default broad surges.
WORLD = {"narrow": 3, "narrow_inside": 1}
HISTORY = 8


def farrington_detector(*, alpha: float = 0.01, fdr: float | None = None) -> Any:
    """A detector for ``tests.analysis.worlds.measure_many``: Farrington flexible on every segment."""

    def detect(counts: SegmentCounts, history: int) -> pd.DataFrame:
        live = [cc for cc in counts.combos if cc.keys]
        keys = [k for cc in live for k in cc.keys]
        mat = np.concatenate([cc.counts for cc in live])
        frames = []
        for k in range(history, len(counts.quarters)):
            years = min(2, (k - 1) // 4)  # the window around a year back must fit in the series
            if years < 1:
                continue
            # one year back leaves the window alone (a second block makes the fit singular); R keeps a trend
            # only with three years or more
            blocks = 2 if years > 1 else 1
            control = FarringtonControl(b=years, w=1, no_periods=blocks, alpha=alpha, trend=years >= 3)
            res = farrington_batch(mat, k, reference_points(k, 4, years), control)
            if fdr is None:
                hit = res.alarm
            else:
                p = np.where(np.isfinite(res.p_value) & np.isfinite(res.upperbound), res.p_value, 1.0)
                hit = (benjamini_hochberg(p) <= fdr) & (mat[:, k] > 0)
            idx = np.flatnonzero(hit)
            rows = [{d: dict(keys[i]).get(d, "") for d in SIGNAL_DIMENSIONS} for i in idx]
            frame = pd.DataFrame(rows, columns=list(SIGNAL_DIMENSIONS))
            frames.append(frame.assign(quarter=counts.quarters[k], direction="up", observed=mat[idx, k]))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    return detect


def compare(seeds: range, progress: Any = None) -> dict[str, dict[str, float]]:
    from tests.analysis.worlds import iprisk_detector, measure_many

    detectors = {
        "iprisk": iprisk_detector(0.05),
        "farrington": farrington_detector(alpha=0.01),
        "farrington_bh": farrington_detector(fdr=0.05),
        "farrington_bh_strict": farrington_detector(fdr=0.005),
    }
    return measure_many(seeds, detectors, history=HISTORY, progress=progress, **WORLD)


def run(out: Path) -> list[dict[str, Any]]:
    start = time.perf_counter()
    got = compare(range(WORLDS))
    seconds = time.perf_counter() - start
    ours = got["iprisk"]
    target = "ahead on recall at equal or fewer false events"
    rows: list[dict[str, Any]] = []
    for peer in ("farrington", "farrington_bh", "farrington_bh_strict"):
        theirs = got[peer]
        ahead = ours["recall"] > theirs["recall"] and (
            ours["false_events_per_null_quarter"] <= theirs["false_events_per_null_quarter"]
        )
        for metric, unit in (
            ("recall", "share"),
            ("broad_recall", "share"),
            ("narrow_recall", "share"),
            ("mean_delay", "quarters"),
            ("false_events_per_null_quarter", "events"),
        ):
            mine, base = ours[metric], theirs[metric]
            rows.append(
                {
                    "name": f"{metric} (iprisk vs {peer}, {WORLDS} worlds)",
                    "value": mine,
                    "unit": unit,
                    "baseline": base,
                    "ratio": mine / base if base else None,
                    "target": target if metric == "recall" else None,
                    "ok": ahead if metric == "recall" else None,
                }
            )
    rows.append({"name": "worlds x detectors measured", "value": seconds, "unit": "s"})
    (out / "signals_vs_farrington.json").write_text(pd.DataFrame(got).to_json(indent=1), encoding="utf-8")
    return rows
