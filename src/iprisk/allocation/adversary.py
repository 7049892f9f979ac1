"""Planning against displacement: fraudsters who move to the least-covered neighbouring route.

The analysis detects displacement (a route falls while its neighbour rises). Here the adversary sees the
plan and moves a share ``phi`` of each stratum's infringing flow to the neighbouring stratum where it is
least likely to be found, or keeps it where it is if that is the least covered. Two strata are neighbours
when they carry the same product by the same mode and flow to or from the same far-end port at two
different offices (``sea CNSHA-NLRTM`` at NLRTM and ``sea CNSHA-BEANR`` at BEANR).

A stratum's goods are found at stratum ``t`` with probability ``g_t(x_t) = y_t(x_t) / Y_t``, the share of
``t``'s catchable infringements its controls find (``Y_t`` is its curve's value with every consignment
controlled). The yield under the adversary is

    (1 - phi) sum_s y_s(x_s) + phi sum_s Y_s min_{t in N(s) + s} g_t(x_t),

concave in ``x``: the planner maximises it with one extra column per stratum (``z_s``, the worst-case
detection rate of its moved goods) and one row per neighbouring pair, ``z_s <= y_t(x_t) / Y_t``, linear in
the pieces of ``t``'s curve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from iprisk.allocation.curves import YieldCurves
from iprisk.allocation.solver import Extra, Rows


def neighbours(strata: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (source, destination) of neighbouring strata (see the module docstring)."""
    route = strata["route"].astype(str)
    mode = route.str.split(" ", n=1).str[0]
    ports = route.str.split(" ", n=1).str[1].fillna("")
    departure = ports.str.split("-", n=1).str[0]
    arrival = ports.str.split("-", n=1).str[1].fillna("")
    office = strata["office"].astype(str)
    exporting = ((departure == office) & (arrival != office)).to_numpy()
    far = np.where(exporting, arrival.to_numpy(), departure.to_numpy())
    flow = np.where(exporting, "export", "import")
    parts = pd.DataFrame(
        {"flow": flow, "mode": mode.to_numpy(), "far": far, "product": strata["product_category"]}
    )
    key = parts.astype(str).agg("|".join, axis=1)
    frame = pd.DataFrame({"key": key.to_numpy(), "i": np.arange(len(strata)), "office": office.to_numpy()})
    pairs = frame.merge(frame, on="key", suffixes=("_s", "_d"))
    pairs = pairs[pairs["office_s"] != pairs["office_d"]]
    return pairs["i_s"].to_numpy(), pairs["i_d"].to_numpy()


def catchable(curves: YieldCurves) -> np.ndarray:
    """``Y_s``: each stratum's yield with every consignment controlled."""
    return np.asarray(curves.values[:, -1])


def displaced_value(curves: YieldCurves, controls: np.ndarray | pd.Series, share: float) -> float:
    """Expected yield of ``controls`` when the adversary moves ``share`` of every flow (see above)."""
    y = curves.value(controls)
    big = catchable(curves)
    rate = np.divide(y, big, out=np.zeros_like(y), where=big > 0)
    worst = rate.copy()
    src, dst = neighbours(curves.strata)
    keep = big[dst] > 0
    np.minimum.at(worst, src[keep], rate[dst[keep]])
    return float((1 - share) * y.sum() + share * float(big @ worst))


def displacement_terms(curves: YieldCurves, share: float) -> tuple[Rows, Extra, np.ndarray]:
    """The adversary's rows, extra columns and curve weight for the solver."""
    n = len(curves)
    big = catchable(curves)
    src, dst = neighbours(curves.strata)
    own = np.flatnonzero(big > 0)
    keep = big[dst] > 0
    src = np.concatenate([own, src[keep]])
    dst = np.concatenate([own, dst[keep]])
    m = len(src)
    value_matrix = sp.csr_matrix((-1.0 / big[dst], (np.arange(m), dst)), shape=(m, n))
    z_matrix = sp.csr_matrix((np.ones(m), (np.arange(m), src)), shape=(m, n))
    rows = Rows(
        tuple(f"displacement {i}->{j}" for i, j in zip(src, dst, strict=True)),
        ("displacement",) * m,
        sp.csr_matrix((m, n)),
        np.full(m, -np.inf),
        np.zeros(m),
        z_matrix,
        value_matrix,
    )
    extra = Extra(cost=share * big, lower=np.zeros(n), upper=np.where(big > 0, 1.0, 0.0))
    return rows, extra, np.full(n, 1.0 - share)


__all__ = ["catchable", "displaced_value", "displacement_terms", "neighbours"]
