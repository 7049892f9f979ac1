"""Off-policy evaluation of a plan: its yield estimated from the logged controls and propensities alone.

A plan gives each stratum a control rate. Applied to a logged quarter with the office's own priorities,
every declaration ``i`` of stratum ``s`` would have been controlled with probability
``pi_i = min(1, lambda_s p_i)``, ``p_i`` its logged propensity and ``lambda_s`` set so that the stratum's
mean ``pi`` is the planned rate. A declaration in the sample stands for ``W_s = N_s / m_s`` consignments
(``N_s`` the quarter's traffic in the trade table, ``m_s`` the declarations logged). Then:

- **IPW** (Horvitz-Thompson): ``sum over controlled i of W_s pi_i y_i / p_i``, ``y_i`` = an infringement
  was found;
- **doubly robust**: the model's prediction for every logged declaration, ``W_s pi_i yhat_i``, plus the IPW
  of the model's errors on the controlled ones, ``W_s pi_i (y_i - yhat_i) / p_i``. ``yhat`` is the curves'
  hit probability of a control (the stratum's rate ``theta_s`` times its priority class's relative risk).
  It is unbiased when either the propensities or the model are right, and has a smaller variance than IPW
  when the model is good.

Intervals treat each declaration as sampled and controlled independently with probability
``q_i = p_i m_s / N_s`` (Poisson sampling): ``Var = sum (1 - q_i) (contribution_i / q_i)^2`` over the
controlled, plus the sampling variance of the logged declarations. Hits are rare, and a stratum the plan
weighs heavily may show none: its sample variance is then zero although its contribution is uncertain, so
each interval uses the larger of that and the variance the model expects, ``sum (W pi)^2 yhat (1 - p) / p``
over every logged declaration (``yhat (1 - yhat)`` for the doubly robust residuals). Strata with no
logged declaration cannot be estimated; ``supported_share`` is the share of the traffic that can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

from iprisk.allocation.curves import STRATUM
from iprisk.allocation.estimate import PRIORITY_EDGES, relative_risks, stratum_traffic
from iprisk.allocation.strata import as_ibis, declaration_strata


@dataclass(frozen=True)
class OffPolicyEstimate:
    """A plan's estimated detections over the logged quarters (only the strata with logged declarations)."""

    ipw: float
    ipw_low: float
    ipw_high: float
    dr: float
    dr_low: float
    dr_high: float
    logged: float  # the same IPW estimate of what the logging policy itself found (a check: its detections)
    declarations: int
    controlled: int
    hits: int
    supported_share: float  # share of the traffic in strata with logged declarations
    quarters: tuple[str, ...]
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_rates_to_propensities(rate: np.ndarray, propensity: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    """``pi_i = min(1, lambda_s p_i)`` with ``lambda_s`` found (bisection, all strata at once) so that the
    mean ``pi`` of each stratum's declarations is its planned ``rate``.

    ``rate``: one value per stratum; ``propensity`` and ``stratum`` (its index): one per declaration."""
    n_strata = len(rate)
    counts = np.bincount(stratum, minlength=n_strata).astype(float)
    p = np.maximum(propensity, 1e-12)
    target = np.clip(rate, 0.0, 1.0)
    lo = np.zeros(n_strata)
    hi = np.full(n_strata, 1.0 / float(p.min(initial=1.0)))
    for _ in range(80):
        mid = (lo + hi) / 2
        mean = np.bincount(stratum, np.minimum(1.0, mid[stratum] * p), minlength=n_strata) / np.maximum(
            counts, 1
        )
        low = mean < target
        lo = np.where(low, mid, lo)
        hi = np.where(low, hi, mid)
    return np.asarray(np.minimum(1.0, hi[stratum] * p))


def evaluate_offpolicy(
    plan_strata: pd.DataFrame,
    declarations: pd.DataFrame | pa.Table,
    trade: ir.Table | pd.DataFrame,
    quarters: Sequence[str],
    *,
    confidence: float = 0.95,
) -> OffPolicyEstimate:
    """Estimate the detections ``plan_strata`` (a plan's strata: the stratum columns, ``rate`` and, for
    the doubly robust model, ``theta``) would have made in the logged ``quarters``."""
    qs = [str(q) for q in quarters]
    decl = declaration_strata(declarations)
    decl = decl[decl["quarter"].isin(qs) & decl["propensity"].notna()].reset_index(drop=True)
    traffic = stratum_traffic(as_ibis(trade), qs)
    cells = decl.groupby(["quarter", *STRATUM]).size().rename("m").reset_index()
    cells = cells.merge(traffic[["quarter", *STRATUM, "consignments"]], on=["quarter", *STRATUM], how="left")
    plan = plan_strata[[*STRATUM, "rate", *(["theta"] if "theta" in plan_strata else [])]]
    cells = cells.merge(plan, on=list(STRATUM), how="inner")
    cells = cells[cells["consignments"].fillna(0) > 0].reset_index(drop=True)
    planned_traffic = traffic.merge(plan[list(STRATUM)], on=list(STRATUM))["consignments"].sum()
    supported = float(cells["consignments"].sum() / planned_traffic) if planned_traffic > 0 else 0.0
    d = decl.merge(
        cells.reset_index().rename(columns={"index": "cell"}), on=["quarter", *STRATUM], how="inner"
    )
    w = (d["consignments"] / d["m"]).to_numpy()
    p = d["propensity"].to_numpy()
    cell = d["cell"].to_numpy()
    cell_rate = np.zeros(len(cells))
    cell_rate[cell] = d["rate"].to_numpy()
    pi = plan_rates_to_propensities(cell_rate, p, cell)
    y = d["found"].to_numpy(dtype=float)
    ctl = d["controlled"].to_numpy(dtype=bool)
    q = np.minimum(1.0, p / w)  # chance a consignment is both in the sample and controlled
    yhat = _model(d, decl)
    z = float(stats.norm.ppf(0.5 + confidence / 2))

    ipw_terms = np.where(ctl, w * pi * y / p, 0.0)
    ipw = float(ipw_terms.sum())
    resid = np.where(ctl, w * pi * (y - yhat) / p, 0.0)
    direct = w * pi * yhat
    dr = float(direct.sum() + resid.sum())
    # Hits are rare: where the plan weighs declarations whose stratum showed no hit, the sample variance
    # says nothing; the model's expected variance does. Each interval takes the larger of the two.
    sampled = (1 - np.minimum(1.0, 1.0 / w)) * direct**2  # which declarations were logged at all
    ipw_var = max(
        float(np.sum(np.where(ctl, (1 - q) * ipw_terms**2, 0.0))),
        float(np.sum((w * pi) ** 2 * yhat * (1 - p) / p)),
    ) + float(np.sum(sampled))
    dr_var = max(
        float(np.sum(np.where(ctl, (1 - q) * resid**2, 0.0))),
        float(np.sum((w * pi) ** 2 * yhat * (1 - yhat) * (1 - p) / p)),
    ) + float(np.sum(sampled))
    logged = float(np.where(ctl, w * y, 0.0).sum())
    return OffPolicyEstimate(
        ipw=ipw,
        ipw_low=max(0.0, ipw - z * np.sqrt(ipw_var)),
        ipw_high=ipw + z * np.sqrt(ipw_var),
        dr=dr,
        dr_low=max(0.0, dr - z * np.sqrt(dr_var)),
        dr_high=dr + z * np.sqrt(dr_var),
        logged=logged,
        declarations=len(d),
        controlled=int(ctl.sum()),
        hits=int((ctl & (y > 0)).sum()),
        supported_share=supported,
        quarters=tuple(qs),
        confidence=confidence,
    )


def _model(d: pd.DataFrame, decl: pd.DataFrame) -> np.ndarray:
    """Hit probability of a control of each declaration: its stratum's rate times its priority class's
    relative risk (normalised over the stratum's logged declarations); the pooled hit rate without a rate."""
    rho = relative_risks(decl)
    rate = d.groupby("cell")["propensity"].transform("mean").to_numpy()
    cls = np.searchsorted(np.asarray(PRIORITY_EDGES), d["propensity"].to_numpy() / rate, side="right")
    risk = rho[cls]
    mean_risk = pd.Series(risk).groupby(d["cell"].to_numpy()).transform("mean").to_numpy()
    controlled = decl[decl["controlled"]]
    pooled = float(controlled["found"].mean()) if len(controlled) else 0.0
    theta = d["theta"].to_numpy(dtype=float) if "theta" in d else np.full(len(d), pooled)
    return np.asarray(np.clip(theta * risk / np.maximum(mean_risk, 1e-12), 0.0, 1.0))


__all__ = ["OffPolicyEstimate", "evaluate_offpolicy", "plan_rates_to_propensities"]
