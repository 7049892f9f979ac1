"""Effectiveness of profiles and targeting over a period, as a report reads it.

Two tables made by :mod:`iprisk.evaluation`: the selection strategies side by side
(:func:`~iprisk.evaluation.compare_strategies`: precision and lift at k % inspected, against random checks)
and the profiles one by one (:func:`~iprisk.evaluation.profile_metrics`: matched, hits, hit rate, lift). The
command line reads them from CSV files (:func:`read_effectiveness`); ``iprisk targeting evaluate``'s
``metrics.csv`` counts as the strategy ``model``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from iprisk.errors import InvalidInput, Problem

#: Columns a strategies table needs (``strategy`` may be absent: one strategy, ``model``).
STRATEGY_COLUMNS = ("strategy", "k_pct", "selected", "hits_selected", "precision", "lift")
#: Columns a per-profile table needs.
PROFILE_COLUMNS = ("profile_id", "matched", "hits", "hit_rate", "lift")


@dataclass(frozen=True)
class Effectiveness:
    """Strategies side by side and profiles one by one, measured over ``period`` (free text, e.g. the dates
    of the declarations evaluated)."""

    strategies: pd.DataFrame
    profiles: pd.DataFrame
    period: str = ""

    def __post_init__(self) -> None:
        problems = [
            Problem("missing-column", "effectiveness table lacks a column", column=c, file=name)
            for name, frame, needed in (
                ("strategies", self.strategies, STRATEGY_COLUMNS),
                ("profiles", self.profiles, PROFILE_COLUMNS),
            )
            for c in needed
            if c not in frame.columns
        ]
        if problems:
            raise InvalidInput(problems, source="effectiveness")

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"strategies": self.strategies, "profile_metrics": self.profiles}


def read_effectiveness(
    strategies: str | Path | None = None, profiles: str | Path | None = None, *, period: str = ""
) -> Effectiveness:
    """Read the two tables from CSV (either may be missing: an empty table). A strategies file without a
    ``strategy`` column (``iprisk targeting evaluate``'s ``metrics.csv``) is the strategy ``model``."""
    strat = _read(strategies, STRATEGY_COLUMNS)
    if "strategy" not in strat.columns:
        strat.insert(0, "strategy", "model")
    return Effectiveness(strat, _read(profiles, PROFILE_COLUMNS), period)


def _read(path: str | Path | None, columns: tuple[str, ...]) -> pd.DataFrame:
    if path is None:
        return pd.DataFrame(columns=list(columns))
    try:
        return pd.read_csv(path, dtype={"profile_id": str, "strategy": str})
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            [Problem("unreadable", f"cannot read the table: {exc}", file=str(path))], source=str(path)
        ) from exc
