"""What a plan must respect: per-stratum bounds (rates, mandatory controls, exploration, overrides) and rows
(each office's capacity, extra requirements such as a joint operation's minimum on its routes).

Bounds of stratum ``s`` of office ``o`` with traffic ``N_s``:

- lower ``L_s = max(min_rate_o N_s, mandatory_s + exploration_s)``, where the exploration reserve
  ``exploration_s = e * C_o * N_s / N_o`` spreads the share ``e`` of the office's capacity over its strata in
  proportion to their traffic (random checks, so every curve stays estimable);
- upper ``U_s = min(max_rate_o N_s, N_s, max_change x status quo)``;
- an override forces ``L_s = U_s = value`` (a person's decision beats the rates).

Every part is kept (:attr:`Bounds.parts`) so that a conflict can be explained in the user's terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from iprisk.allocation.curves import STRATUM, YieldCurves
from iprisk.allocation.solver import Rows
from iprisk.errors import InvalidValue


@dataclass(frozen=True)
class Requirement:
    """An extra row: the strata matching ``where`` (any subset of the stratum columns; a row matches when
    every given column matches) take at least ``minimum`` and at most ``maximum`` controls in total."""

    name: str
    where: pd.DataFrame
    minimum: float | None = None
    maximum: float | None = None

    def mask(self, strata: pd.DataFrame) -> np.ndarray:
        return match_strata(strata, self.where)


@dataclass(frozen=True)
class Bounds:
    lower: np.ndarray
    upper: np.ndarray
    #: per stratum: traffic, min_rate, max_rate (as controls), mandatory, exploration, override (NaN: none)
    parts: pd.DataFrame
    #: per office: capacity (as given), mandatory (reserved), usable (capacity - mandatory), traffic
    offices: pd.DataFrame
    #: office index (into ``offices``) of each stratum
    office_of: np.ndarray


def match_strata(strata: pd.DataFrame, where: pd.DataFrame) -> np.ndarray:
    """Strata matching any row of ``where`` (columns: a subset of :data:`STRATUM`)."""
    cols = [c for c in where.columns if c in STRATUM]
    if not cols:
        raise InvalidValue(f"a stratum selection needs some of the columns {', '.join(STRATUM)}")
    keys = where[cols].astype(str).drop_duplicates()
    hit = strata[cols].astype(str).merge(keys.assign(_hit=1), on=cols, how="left")["_hit"]
    return hit.notna().to_numpy(dtype=bool)


def per_stratum(curves: YieldCurves, table: pd.DataFrame | None, what: str) -> np.ndarray:
    """Controls per stratum from a table with the stratum columns and ``controls`` (NaN where absent).

    A row naming no stratum of the curves is an error: a mandatory control or an override that silently
    vanished would make a wrong plan look right.
    """
    out = np.full(len(curves), np.nan)
    if table is None or table.empty:
        return out
    missing = [c for c in (*STRATUM, "controls") if c not in table]
    if missing:
        raise InvalidValue(
            f"{what}: needs the columns {', '.join((*STRATUM, 'controls'))}; missing {missing}"
        )
    keys = curves.strata[list(STRATUM)].astype(str).assign(_i=np.arange(len(curves)))
    given = (
        table[list(STRATUM)].astype(str).assign(controls=pd.to_numeric(table["controls"], errors="coerce"))
    )
    if given.duplicated(list(STRATUM)).any():
        dup = given[given.duplicated(list(STRATUM))].iloc[0]
        raise InvalidValue(f"{what}: stratum {'/'.join(dup[list(STRATUM)])} is given twice")
    joined = given.merge(keys, on=list(STRATUM), how="left")
    unknown = joined[joined["_i"].isna()]
    if len(unknown):
        first = unknown.iloc[0]
        raise InvalidValue(
            f"{what}: {len(unknown)} stratum(s) not in the plan, e.g. {'/'.join(first[list(STRATUM)])}"
        )
    bad = joined[~(joined["controls"] >= 0)]
    if len(bad):
        first = bad.iloc[0]
        raise InvalidValue(
            f"{what}: controls must be a number >= 0, not {first['controls']!r} "
            f"({'/'.join(first[list(STRATUM)])})"
        )
    out[joined["_i"].astype(int).to_numpy()] = joined["controls"].to_numpy(dtype=float)
    return out


def build_bounds(
    curves: YieldCurves,
    capacity: pd.DataFrame,
    *,
    exploration: float = 0.0,
    mandatory: pd.DataFrame | None = None,
    overrides: pd.DataFrame | None = None,
    max_change: float | None = None,
) -> Bounds:
    """Bounds of every stratum of ``curves`` (all of whose offices must be in ``capacity``).

    ``max_change``: no stratum gets more than this many times its status-quo controls (a limit on how
    far one quarter moves from today, and on how far the curves are extrapolated from the logged rates).
    """
    if not 0 <= exploration < 1:
        raise InvalidValue(f"exploration must be a share in [0, 1), not {exploration}")
    if max_change is not None and not max_change >= 1:
        raise InvalidValue(f"max_change must be a factor of at least 1, not {max_change}")
    cap = capacity.set_index("office")
    offices = pd.Index(sorted(cap.index.astype(str)))
    office_of = offices.get_indexer(curves.strata["office"].astype(str))
    if (office_of < 0).any():
        raise InvalidValue(
            f"office {curves.strata['office'].iloc[int(np.argmax(office_of < 0))]} has no capacity"
        )
    cap = cap.reindex(offices)
    traffic = curves.strata["traffic"].to_numpy(dtype=float)
    office_traffic = np.bincount(office_of, traffic, minlength=len(offices))
    usable = (cap["capacity"] - cap["mandatory"]).to_numpy(dtype=float)
    share = np.where(
        office_traffic[office_of] > 0, traffic / np.maximum(office_traffic[office_of], 1e-300), 0.0
    )
    explore = exploration * usable[office_of] * share
    min_c = cap["min_rate"].to_numpy(dtype=float)[office_of] * traffic
    max_c = np.minimum(cap["max_rate"].to_numpy(dtype=float)[office_of] * traffic, curves.capacity_max)
    mand = np.nan_to_num(per_stratum(curves, mandatory, "mandatory controls"), nan=0.0)
    if max_change is not None:
        # never below what the stratum must get anyway (a stratum unchecked today still gets its exploration)
        changed = max_change * curves.strata["status_quo"].to_numpy(dtype=float)
        max_c = np.minimum(max_c, np.maximum(changed, np.minimum(mand + explore, max_c)))
    forced = per_stratum(curves, overrides, "overrides")
    too_many = forced > curves.capacity_max + 1e-9
    if too_many.any():
        i = int(np.flatnonzero(too_many)[0])
        raise InvalidValue(
            f"override of {'/'.join(curves.key(i))}: {forced[i]:g} controls, more than its "
            f"{curves.capacity_max[i]:g} consignments"
        )
    lower = np.maximum(min_c, mand + explore)
    upper = max_c.copy()
    has = ~np.isnan(forced)
    lower[has] = forced[has]
    upper[has] = forced[has]
    parts = pd.DataFrame(
        {
            "traffic": traffic,
            "min_rate": min_c,
            "max_rate": max_c,
            "mandatory": mand,
            "exploration": explore,
            "override": forced,
        }
    )
    office_table = pd.DataFrame(
        {
            "office": offices,
            "capacity": cap["capacity"].to_numpy(dtype=float),
            "mandatory": cap["mandatory"].to_numpy(dtype=float),
            "usable": usable,
            "traffic": office_traffic,
        }
    )
    return Bounds(lower, upper, parts, office_table, office_of)


def office_rows(bounds: Bounds) -> Rows:
    """One capacity row per office: its strata's controls add up to at most its usable capacity."""
    n_off = len(bounds.offices)
    n = len(bounds.lower)
    matrix = sp.csr_matrix((np.ones(n), (bounds.office_of, np.arange(n))), shape=(n_off, n))
    names = tuple(f"capacity {o}" for o in bounds.offices["office"])
    return Rows(
        names,
        ("capacity",) * n_off,
        matrix,
        np.full(n_off, -np.inf),
        bounds.offices["usable"].to_numpy(dtype=float),
    )


def requirement_rows(curves: YieldCurves, requirements: Sequence[Requirement]) -> Rows:
    """One row per requirement over the strata it selects."""
    if not requirements:
        return Rows.empty(len(curves))
    masks = [r.mask(curves.strata) for r in requirements]
    for r, m in zip(requirements, masks, strict=True):
        if not m.any():
            raise InvalidValue(f"requirement {r.name!r} selects no stratum of the plan")
    matrix = sp.csr_matrix(np.vstack(masks).astype(float))
    lower = np.array([-np.inf if r.minimum is None else r.minimum for r in requirements], dtype=float)
    upper = np.array([np.inf if r.maximum is None else r.maximum for r in requirements], dtype=float)
    return Rows(
        tuple(f"requirement {r.name}" for r in requirements),
        ("requirement",) * len(requirements),
        matrix,
        lower,
        upper,
    )


__all__ = [
    "Bounds",
    "Requirement",
    "build_bounds",
    "match_strata",
    "office_rows",
    "per_stratum",
    "requirement_rows",
]
