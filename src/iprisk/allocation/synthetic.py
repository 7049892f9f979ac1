"""Synthetic allocation instances of any size: for tests, benchmarks and trying the planner in a notebook.

Offices get log-normal traffic split over routes and product groups; each stratum's detectable
infringement rate is log-normal (a few strata carry most of the risk, as in the seizure statistics); its
curve has the lift of a targeting policy (the first controls find more) and flattens as controls go up.
The status quo controls the strata at rates scattered around ``control_rate`` without regard to their risk,
and each office's capacity is what it spends.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iprisk.allocation.curves import YieldCurves, curves_from_slopes
from iprisk.codes.lists import PRODUCT_CATEGORIES

#: Control-rate breakpoints of the synthetic curves and the relative hit rate on each piece.
RATE_BREAKS = np.array([0.0, 0.01, 0.03, 0.1, 0.3, 1.0])
PIECE_LIFT = np.array([4.0, 2.5, 1.5, 0.8, 0.5])


def synthetic_instance(
    offices: int = 20, routes: int = 5, products: int = 4, *, control_rate: float = 0.02, seed: int = 0
) -> tuple[YieldCurves, pd.DataFrame]:
    """Curves for ``offices x routes x products`` strata and each office's capacity (a status-quo rate).

    At most 16 products (the product categories of the code list).

    Office codes are well-formed UN/LOCODEs (``NLAAA``, ``NLAAB``, ...), so the capacity table passes the
    capacity file's validation.
    """
    if products > len(PRODUCT_CATEGORIES):
        raise ValueError(f"at most {len(PRODUCT_CATEGORIES)} product groups, not {products}")
    rng = np.random.default_rng(seed)
    n = offices * routes * products
    names = [f"NL{_letters(i)}" for i in range(offices)]
    strata = pd.DataFrame(
        {
            "office": np.repeat(names, routes * products),
            "route": np.tile(
                np.repeat([f"sea CN{_letters(j)} -> NLRTM" for j in range(routes)], products), offices
            ),
            "product_category": np.tile(list(PRODUCT_CATEGORIES)[:products], offices * routes),
        }
    )
    office_size = rng.lognormal(9.0, 1.0, offices)
    mix = rng.dirichlet(np.ones(routes * products) * 0.7, offices).ravel()
    traffic = np.maximum(np.round(np.repeat(office_size, routes * products) * mix * routes * products), 1.0)
    rate = rng.lognormal(np.log(5e-3), 1.3, n)
    strata["traffic"] = traffic
    # today's rates vary around the mean (old rules, habits), unrelated to the risk
    strata["status_quo"] = np.minimum(control_rate * traffic * rng.lognormal(-0.125, 0.5, n), traffic)
    widths = traffic[:, None] * np.diff(RATE_BREAKS)[None, :]
    slopes = rate[:, None] * PIECE_LIFT[None, :] / PIECE_LIFT.mean()
    curves = curves_from_slopes(strata, widths, slopes, level_shape=np.full(n, 25.0))
    capacity = strata.groupby("office", sort=False)["status_quo"].sum().rename("capacity").reset_index()
    capacity["capacity"] = np.floor(capacity["capacity"])
    return curves, capacity


def _letters(i: int) -> str:
    """``AAA``, ``AAB``, ...: three letters (UN/LOCODE location codes take A-Z and 2-9)."""
    a, rest = divmod(i, 26 * 26)
    b, c = divmod(rest, 26)
    return "".join(chr(65 + x) for x in (a % 26, b, c))


__all__ = ["PIECE_LIFT", "RATE_BREAKS", "synthetic_instance"]
