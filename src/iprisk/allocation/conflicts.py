"""Why no plan exists: the constraints that conflict, found by HiGHS' irreducible infeasible subset (IIS).

An IIS is a smallest set of bounds and rows that cannot hold together: drop any one and the rest can. The
feasibility model has one column per stratum (``L_s <= x_s <= U_s``) and the plan's rows; the IIS's column
bounds are told apart by the part that set them (minimum rate, mandatory controls, exploration, override;
maximum rate, traffic) and gathered per office, so that the answer reads like "capacity of NLRTM (500)
against the lower bounds of its 40 strata (620: 300 mandatory, 200 minimum rate, 120 exploration)".
"""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

from iprisk.allocation.constraints import Bounds
from iprisk.allocation.curves import STRATUM, YieldCurves
from iprisk.allocation.solver import INF, Rows, new_highs
from iprisk.errors import Infeasible

#: Columns of a conflicts table (one row per constraint of the conflict).
CONFLICT_COLUMNS = (
    "constraint",  # capacity | requirement | lower bounds | upper bounds | stratum
    "name",  # the row's name, or the office whose strata's bounds take part
    "office",
    "route",
    "product_category",
    "side",  # lower | upper | both
    "bound",  # the bound's value (controls): a row's limit, or the sum of the strata's bounds
    "strata",  # how many strata's bounds take part
    "min_rate",
    "mandatory",
    "exploration",
    "override",
    "max_rate",
    "traffic",
)

_TOL = 1e-7
_LOWER, _UPPER, _BOXED = (
    highspy.IisBoundStatus.kIisBoundStatusLower,
    highspy.IisBoundStatus.kIisBoundStatusUpper,
    highspy.IisBoundStatus.kIisBoundStatusBoxed,
)


def find_conflicts(curves: YieldCurves, bounds: Bounds, rows: Rows) -> pd.DataFrame:
    """The conflicting constraints, or an empty table when the constraints can all hold."""
    crossed = bounds.lower > bounds.upper + _TOL
    if crossed.any():
        return _crossed(curves, bounds, np.flatnonzero(crossed))
    h = new_highs()
    n = len(curves)
    lp = highspy.HighsLp()
    a = sp.csc_matrix(rows.x_matrix) if len(rows) else sp.csc_matrix((0, n))
    lp.num_col_, lp.num_row_ = n, len(rows)
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = bounds.lower.astype(float)
    lp.col_upper_ = bounds.upper.astype(float)
    lp.row_lower_ = np.where(np.isfinite(rows.lower), rows.lower, -INF)
    lp.row_upper_ = np.where(np.isfinite(rows.upper), rows.upper, INF)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
        return pd.DataFrame(columns=list(CONFLICT_COLUMNS))
    iis = _iis(h)
    parts: list[dict[str, object]] = []
    for r, status in zip(iis.row_index_, iis.row_bound_, strict=True):
        side = _side(status)
        parts.append(
            _row(
                constraint=rows.kinds[r],
                name=rows.names[r],
                office=rows.names[r].removeprefix("capacity ") if rows.kinds[r] == "capacity" else "",
                side=side,
                bound=float(rows.upper[r] if side == "upper" else rows.lower[r]),
            )
        )
    cols = np.asarray(iis.col_index_, dtype=int)
    sides = np.array([_side(s) for s in iis.col_bound_], dtype=object)
    # a zero lower bound only says that controls cannot be negative: true of every plan, not worth naming
    real_lower = bounds.lower[cols] > _TOL
    for side in ("lower", "upper"):
        on_side = (sides == side) | (sides == "both")
        picked = cols[on_side & (real_lower if side == "lower" else True)]
        if picked.size:
            parts.extend(_bounds_by_office(curves, bounds, picked, side))
    return pd.DataFrame(parts, columns=list(CONFLICT_COLUMNS))


def _iis(h: highspy.Highs) -> Any:
    """The light strategy first (rows whose bounds cannot meet the activity the column bounds allow: cheap
    and the usual case, e.g. minimums above a capacity), else a full irreducible system from LPs."""
    h.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyLight))
    _, iis = h.getIis()
    if len(iis.row_index_) or len(iis.col_index_):
        return iis
    full = int(highspy.IisStrategy.kIisStrategyFromLp) | int(highspy.IisStrategy.kIisStrategyIrreducible)
    h.setOptionValue("iis_strategy", full)
    _, iis = h.getIis()
    return iis


def raise_infeasible(conflicts: pd.DataFrame) -> None:
    """Raise :class:`~iprisk.errors.Infeasible` with a one-line summary of ``conflicts``."""
    raise Infeasible("no plan satisfies every constraint: " + describe(conflicts), conflicts)


def describe(conflicts: pd.DataFrame) -> str:
    """One line naming each conflicting constraint and its bound."""
    pieces = []
    for r in conflicts.to_dict("records"):
        what = {
            "capacity": f"capacity of {r['office']} ({r['bound']:,.0f})",
            "requirement": f"{r['name']} ({r['side']} {r['bound']:,.0f})",
        }.get(str(r["constraint"]))
        if what is None:
            where = "/".join(str(r[c]) for c in STRATUM if r[c]) or str(r["name"])
            what = f"{r['constraint']} of {where} ({r['bound']:,.0f}{_parts_text(r)})"
        pieces.append(what)
    return " against ".join(pieces) if pieces else "no conflict found"


def _parts_text(r: dict[Any, Any]) -> str:
    names = (
        ("mandatory", "min_rate", "exploration", "override")
        if r["side"] == "lower"
        else ("max_rate", "traffic", "override")
    )
    shown = [f"{float(r[k]):,.0f} {k.replace('_', ' ')}" for k in names if float(r[k] or 0) > 0]
    count = f" over {r['strata']} strata" if int(r["strata"] or 0) > 1 else ""
    return (": " + ", ".join(shown) if shown else "") + count


def _side(status: object) -> str:
    """The side of a bound in the IIS; a column whose bounds play no part (free) has none."""
    return {_LOWER: "lower", _UPPER: "upper", _BOXED: "both"}.get(status, "")  # type: ignore[call-overload]


def _row(**values: object) -> dict[str, object]:
    out: dict[str, object] = dict.fromkeys(CONFLICT_COLUMNS, "")
    for k in ("bound", "min_rate", "mandatory", "exploration", "override", "max_rate", "traffic"):
        out[k] = 0.0
    out["strata"] = 0
    out.update(values)
    return out


def _bounds_by_office(
    curves: YieldCurves, bounds: Bounds, cols: np.ndarray, side: str
) -> list[dict[str, object]]:
    """The IIS's stratum bounds on one side, summed per office, with the part that set each bound."""
    p = bounds.parts.iloc[cols]
    forced = ~p["override"].isna().to_numpy()
    frame = pd.DataFrame(
        {
            "office": curves.strata["office"].to_numpy()[cols],
            "bound": (bounds.lower if side == "lower" else bounds.upper)[cols],
            "override": np.where(forced, p["override"].fillna(0.0), 0.0),
            "traffic": p["traffic"].to_numpy(),
        }
    )
    if side == "lower":
        by_rate = ~forced & (
            p["min_rate"].to_numpy() >= p["mandatory"].to_numpy() + p["exploration"].to_numpy()
        )
        frame["min_rate"] = np.where(by_rate, p["min_rate"], 0.0)
        frame["mandatory"] = np.where(~forced & ~by_rate, p["mandatory"], 0.0)
        frame["exploration"] = np.where(~forced & ~by_rate, p["exploration"], 0.0)
    else:
        by_rate = ~forced & (p["max_rate"].to_numpy() < p["traffic"].to_numpy() - _TOL)
        frame["max_rate"] = np.where(by_rate, p["max_rate"], 0.0)
    sums = frame.groupby("office", sort=True).agg(
        **{k: (k, "sum") for k in frame.columns if k != "office"}, strata=("bound", "size")
    )
    out = []
    for office, s in sums.iterrows():
        values = {k: float(s[k]) for k in sums.columns if k in CONFLICT_COLUMNS and k != "strata"}
        out.append(
            _row(
                constraint=f"{side} bounds",
                name=str(office),
                office=str(office),
                side=side,
                strata=int(s["strata"]),
                **values,
            )
        )
    return out


def _crossed(curves: YieldCurves, bounds: Bounds, idx: np.ndarray) -> pd.DataFrame:
    """Strata whose lower bound is above their upper bound: each is a conflict by itself."""
    rows = []
    for i in idx:
        p = bounds.parts.iloc[i]
        key = dict(zip(STRATUM, curves.key(int(i)), strict=True))
        rows.append(
            _row(
                constraint="stratum",
                name="/".join(key.values()),
                side="lower",
                bound=bounds.lower[i],
                strata=1,
                min_rate=p["min_rate"],
                mandatory=p["mandatory"],
                exploration=p["exploration"],
                **key,
            )
        )
        rows.append(
            _row(
                constraint="stratum",
                name="/".join(key.values()),
                side="upper",
                bound=bounds.upper[i],
                strata=1,
                max_rate=p["max_rate"],
                traffic=p["traffic"],
                **key,
            )
        )
    return pd.DataFrame(rows, columns=list(CONFLICT_COLUMNS))


__all__ = ["CONFLICT_COLUMNS", "describe", "find_conflicts", "raise_infeasible"]
