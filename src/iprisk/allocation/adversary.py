"""Planning against displacement: fraudsters who move to the least-covered neighbouring route.

The analysis detects displacement (a route falls while its neighbour rises). Here the adversary sees the
plan and moves a share ``phi`` of each stratum's infringing flow to the neighbouring stratum where it is
least likely to be found, or keeps it where it is if that is the least covered. Two strata are neighbours
when they carry the same product by the same mode and flow to or from the same far-end port at two
different offices (``sea CNSHA -> NLRTM`` at NLRTM and ``sea CNSHA -> BEANR`` at BEANR). Goods only move to a
stratum with at least a tenth of the largest traffic of its neighbourhood (:data:`MIN_DESTINATION_SHARE`).

A stratum's goods are found at stratum ``t`` with probability ``g_t(x_t) = y_t(x_t) / Y_t``, the share of
``t``'s catchable infringements its controls find (``Y_t`` is its curve's value with every consignment
controlled). The yield under the adversary is

    (1 - phi) sum_s y_s(x_s) + phi sum_s Y_s min_{t in N(s) + s} g_t(x_t),

concave in ``x``. Neighbours form neighbourhoods (a stratum and all its neighbours share the product, mode,
flow and far-end port), so the minimum is the same for every stratum of a neighbourhood ``G``: the planner
maximises with one extra column per neighbourhood (``w_G``, the detection rate of goods moved within it)
and one row per stratum, ``w_G <= y_t(x_t) / Y_t``, linear in the pieces of ``t``'s curve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from iprisk.allocation.curves import YieldCurves
from iprisk.allocation.solver import Extra, Rows
from iprisk.allocation.strata import route_parts


def neighbourhoods(strata: pd.DataFrame) -> np.ndarray:
    """A neighbourhood number per stratum: strata with the same number are neighbours of each other."""
    mode, departure, arrival = route_parts(strata["route"])
    office = strata["office"].astype(str)
    exporting = ((departure == office) & (arrival != office)).to_numpy()
    far = np.where(exporting, arrival.to_numpy(), departure.to_numpy())
    flow = np.where(exporting, "export", "import")
    parts = pd.DataFrame(
        {"flow": flow, "mode": mode.to_numpy(), "far": far, "product": strata["product_category"]}
    )
    return np.asarray(pd.factorize(parts.astype(str).agg("|".join, axis=1))[0])


def neighbours(strata: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (source, destination) of neighbouring strata (see the module docstring)."""
    frame = pd.DataFrame(
        {"key": neighbourhoods(strata), "i": np.arange(len(strata)), "office": strata["office"].to_numpy()}
    )
    pairs = frame.merge(frame, on="key", suffixes=("_s", "_d"))
    pairs = pairs[pairs["office_s"] != pairs["office_d"]]
    return pairs["i_s"].to_numpy(), pairs["i_d"].to_numpy()


#: A stratum takes moved goods only if its traffic is at least this share of its neighbourhood's largest: a
#: lane of two consignments a quarter cannot carry the flow of a main port.
MIN_DESTINATION_SHARE = 0.1


def destinations(strata: pd.DataFrame, group: np.ndarray) -> np.ndarray:
    """Whether each stratum can take goods moved within its neighbourhood."""
    traffic = strata["traffic"].to_numpy(dtype=float)
    largest = np.zeros(int(group.max()) + 1 if len(group) else 0)
    np.maximum.at(largest, group, traffic)
    return np.asarray(traffic >= MIN_DESTINATION_SHARE * largest[group])


def catchable(curves: YieldCurves) -> np.ndarray:
    """``Y_s``: each stratum's yield with every consignment controlled."""
    return np.asarray(curves.values[:, -1])


def displaced_value(curves: YieldCurves, controls: np.ndarray | pd.Series, share: float) -> float:
    """Expected yield of ``controls`` when the adversary moves ``share`` of every flow (see above).

    A stratum's neighbours and itself form its neighbourhood, so its moved goods go to the neighbourhood's
    least-covered stratum that can take them (:func:`destinations`): the same detection rate for every
    stratum of a neighbourhood.
    """
    y = curves.value(np.asarray(controls, dtype=float))
    big = catchable(curves)
    group = neighbourhoods(curves.strata)
    rate = np.divide(
        y, big, out=np.full_like(y, np.inf), where=(big > 0) & destinations(curves.strata, group)
    )
    worst = np.full(int(group.max()) + 1 if len(group) else 0, np.inf)
    np.minimum.at(worst, group, rate)
    worst = np.where(np.isfinite(worst), worst, 0.0)
    return float((1 - share) * y.sum() + share * float(big @ worst[group]))


def displacement_terms(curves: YieldCurves, share: float) -> tuple[Rows, Extra, np.ndarray]:
    """The adversary's rows, extra columns and curve weight for the solver: one column per neighbourhood
    (the detection rate of goods moved within it) and one row per stratum, ``w_G <= y_t(x_t) / Y_t``."""
    n = len(curves)
    big = catchable(curves)
    group = neighbourhoods(curves.strata)
    n_groups = int(group.max()) + 1 if n else 0
    members = np.flatnonzero((big > 0) & destinations(curves.strata, group))
    m = len(members)
    value_matrix = sp.csr_matrix((-1.0 / big[members], (np.arange(m), members)), shape=(m, n))
    z_matrix = sp.csr_matrix((np.ones(m), (np.arange(m), group[members])), shape=(m, n_groups))
    rows = Rows(
        tuple(f"displacement {t}" for t in members),
        ("displacement",) * m,
        sp.csr_matrix((m, n)),
        np.full(m, -np.inf),
        np.zeros(m),
        z_matrix,
        value_matrix,
    )
    stake = np.bincount(group, big, minlength=n_groups)
    extra = Extra(cost=share * stake, lower=np.zeros(n_groups), upper=np.where(stake > 0, 1.0, 0.0))
    return rows, extra, np.full(n, 1.0 - share)


__all__ = [
    "MIN_DESTINATION_SHARE",
    "catchable",
    "destinations",
    "displaced_value",
    "displacement_terms",
    "neighbourhoods",
    "neighbours",
]
