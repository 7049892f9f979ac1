"""A reusable check that a scorer honours the targeting contract (used by the tests of every scorer).

``check_scorer(make, declarations, labels, other)`` fits fresh scorers from the factory ``make`` and
asserts: ``fit`` returns self; use before ``fit`` raises :class:`~iprisk.errors.NotFitted`; scores are
probabilities with one per row; two fits with the same seed give identical scores; a save/load round trip
gives identical scores; scoring data without a required column fails with InvalidInput naming the column.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from iprisk.errors import InvalidInput, NotFitted


class Scorer(Protocol):
    def fit(self, declarations: Any, labels: Any = ...) -> Any: ...
    def score(self, declarations: Any) -> np.ndarray: ...
    def save(self, path: str | Path) -> Path: ...


def check_scorer(
    make: Callable[[], Any],
    declarations: pd.DataFrame,
    labels: Any,
    other: pd.DataFrame,
    workdir: Path,
    *,
    load: Callable[[Path], Any] | None = None,
) -> None:
    """Raise AssertionError at the first broken rule (see the module docstring)."""
    fresh = make()
    try:
        fresh.score(other)
    except NotFitted:
        pass
    else:
        raise AssertionError("score() before fit() must raise NotFitted")

    scorer = make()
    _require(scorer.fit(declarations, labels) is scorer, "fit() must return self")
    scores = np.asarray(scorer.score(other))
    _require(scores.shape == (len(other),), f"one score per row expected, got shape {scores.shape}")
    in_range = bool(np.isfinite(scores).all() and (scores >= 0).all() and (scores <= 1).all())
    _require(in_range, "scores must be in [0, 1]")

    again = make().fit(declarations, labels).score(other)
    _require(
        np.array_equal(scores, again), "two fits with the same parameters and seed must give equal scores"
    )

    if load is not None:
        path = scorer.save(workdir / "model")
        reloaded = load(path)
        _require(np.array_equal(reloaded.score(other), scores), "save/load must reproduce the scores exactly")

    required = list(getattr(getattr(scorer, "builder_", None), "required_columns_", []) or ["hs_code"])
    dropped = required[0]
    try:
        scorer.score(other.drop(columns=[dropped]))
    except InvalidInput as exc:
        named = dropped in str(exc) or any(p.column == dropped for p in exc.problems)
        _require(named, f"the schema error must name the missing column {dropped!r}: {exc}")
    else:
        raise AssertionError(f"scoring without column {dropped!r} must raise InvalidInput")


def _require(condition: bool, message: str) -> None:
    # explicit, not `assert`: the check must hold under `python -O` too
    if not condition:
        raise AssertionError(message)
