"""Yield curves estimated from the exchanged statistics, the trade table and the logged controls.

For a stratum ``s`` (office x route x product group) with traffic ``N_s``, the expected detections with
``n`` controls are ``y_s(n) = theta_s N_s G_s(n / N_s)``:

- ``G_s(u)`` is the share of the stratum's catchable infringements found at control rate ``u`` when the
  office keeps its own priorities: every consignment is controlled with probability ``min(1, lambda p_i)``,
  its logged propensity ``p_i`` scaled by one factor ``lambda`` (``lambda = 1`` is today). With ``rho`` the
  relative risk of a consignment's priority class, ``G(lambda) = sum f rho min(1, lambda p) / sum f rho``:
  piecewise linear, and concave when riskier classes have higher priority (the relative risks are made
  non-decreasing in priority). The classes are bins of the relative priority ``p_i / u0_s``
  (:data:`PRIORITY_EDGES`); their relative risks are one pooled Poisson model with a level per stratum,
  fitted to the controlled declarations (a control is random given its propensity, so the hit rate of a
  class among its controlled declarations is unbiased), shrunk towards "no difference" by two pseudo-hits.
- The stratum's mix of classes is its own where its sample is large and its transport mode's pooled mix
  where it is thin: a mixture with weight ``m_s / (m_s + SHAPE_PRIOR)`` on its own ``m_s`` declarations.
- ``theta_s`` (detectable infringements per consignment) comes from the seizure statistics: the cases of
  the last ``history`` quarters (a case counts in the stratum of its first line) over the exposure
  ``sum_q N_sq G_s(u0_s)``, shrunk towards its product and mode's pooled rate by empirical Bayes (gamma
  prior, strength fitted by the method of moments). The posterior gamma shape is kept as the curve's
  uncertainty.
- For the objectives ``articles`` and ``value`` a case weighs the stratum's articles (retail value) per
  case, shrunk towards its product and mode's by :data:`CASE_PRIOR` pseudo-cases.

Traffic in the planned quarter: the trade table's own figure when it has the quarter; otherwise the same
quarter a year before times the office and mode's growth over the last year (season and trend); otherwise
the mean of the history. The status quo is today's control rate (mean logged propensity, shrunk towards the
office and mode's) times that traffic.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.isotonic import IsotonicRegression

from iprisk.allocation.curves import OBJECTIVES, STRATUM, YieldCurves
from iprisk.allocation.strata import as_ibis, declaration_strata, route_expr
from iprisk.analysis._common import case_key
from iprisk.periods import Quarter

#: Upper edges of the relative-priority classes (``p / u0``); the last class is open.
PRIORITY_EDGES = (0.75, 1.5, 3.0, 6.0)
#: Declarations a stratum needs for its own priority mix to weigh as much as its mode's pooled mix.
SHAPE_PRIOR = 50.0
#: Pseudo-cases of the pooled articles (value) per case in a stratum's own figure.
CASE_PRIOR = 3.0
#: Pseudo-hits pulling each class's relative risk towards 1.
RISK_PRIOR = 2.0
#: Declarations of an office and mode's control rate in a stratum's own.
RATE_PRIOR = 5.0

_N_CLASSES = len(PRIORITY_EDGES) + 1


def estimate_curves(
    seizures: ir.Table | pd.DataFrame,
    trade: ir.Table | pd.DataFrame,
    declarations: pd.DataFrame | pa.Table,
    *,
    quarter: str | Quarter,
    objective: str = "cases",
    history: int = 4,
    offices: Sequence[str] | None = None,
) -> YieldCurves:
    """Yield curves of every stratum with traffic, for planning ``quarter`` from the quarters before it.

    ``seizures``: seizure lines with ``quarter`` (``Warehouse.seizures()``); ``trade``: the trade table;
    ``declarations``: logged declarations with ``controlled``, ``infringement`` and
    ``selection_propensity``. ``offices`` restricts the strata.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
    if history < 1:
        raise ValueError(f"history must be at least one quarter, not {history}")
    target = Quarter.parse(str(quarter))
    hist = [str(target - k) for k in range(history, 0, -1)]
    traffic_q = stratum_traffic(as_ibis(trade), [str(target - k) for k in range(8, -1, -1)], offices)
    strata = _project_traffic(traffic_q, str(target), hist)
    if strata.empty:
        raise ValueError(f"the trade table has no traffic in {hist[0]}..{hist[-1]} for the offices asked")
    decl = declaration_strata(declarations)
    decl = decl[decl["quarter"] < str(target)]
    strata = _control_rates(strata, decl[decl["quarter"].isin(hist)])
    share, rel, cls, own_weight = _priority_mix(strata, decl[decl["quarter"].isin(hist)])
    rho = relative_risks(decl)
    risk = rho[cls]
    counts = _seizures(as_ibis(seizures), hist, offices)
    strata = strata.merge(counts, on=list(STRATUM), how="left").fillna(
        {"cases": 0, "articles": 0, "value": 0.0}
    )
    g0 = _share_found(share, rel * strata["control_rate"].to_numpy()[:, None], risk, 1.0)
    exposure = strata["traffic_history"].to_numpy() * len(hist) * g0
    theta, shape = _shrunk_rates(strata, exposure)
    weight = _case_weight(strata, objective)
    breaks, values = _curves(
        strata["traffic"].to_numpy(), strata["control_rate"].to_numpy(), share, rel, risk
    )
    strata = strata.assign(
        exposure=exposure,
        theta=theta,
        shape_weight=own_weight,
        case_weight=weight,
        status_quo=strata["traffic"] * strata["control_rate"],
    )
    values = values * (theta * strata["traffic"].to_numpy() * weight)[:, None]
    return YieldCurves(strata, breaks, values, objective, shape)


# -- inputs ---------------------------------------------------------------------------------------------
def _keyed(t: ir.Table, quarters: list[str], offices: Sequence[str] | None) -> ir.Table:
    t = t.filter(t.quarter.isin(quarters))
    if offices is not None:
        t = t.filter(t.office.isin(list(offices)))
    return t.mutate(route=route_expr(t))


def stratum_traffic(
    trade: ir.Table, quarters: list[str], offices: Sequence[str] | None = None
) -> pd.DataFrame:
    """Consignments per quarter and stratum (with its transport mode) in the trade table."""
    t = _keyed(trade, quarters, offices)
    t = t.filter(t.office.notnull() & (t.office != ""))
    out = t.group_by(["quarter", *STRATUM, "transport_mode"]).aggregate(consignments=t.consignments.sum())
    frame: pd.DataFrame = out.to_pandas()
    frame["consignments"] = pd.to_numeric(frame["consignments"]).astype(float)
    return frame


def _seizures(seizures: ir.Table, quarters: list[str], offices: Sequence[str] | None) -> pd.DataFrame:
    """Cases, articles and retail value per stratum. A case counts once, in the stratum of its first line
    (the lines of one detention are one consignment, found by one control), with all its lines' articles
    and value."""
    t = _keyed(seizures, quarters, offices)
    t = t.mutate(case_=case_key(t))
    per_case = t.group_by("case_").aggregate(
        first_line=t.line_no.min(),
        articles=t.articles.sum().fill_null(0),
        value=t.retail_value_eur.sum().fill_null(0.0),
    )
    firsts = t.select("case_", "line_no", *STRATUM)
    cases = per_case.join(firsts, (per_case.case_ == firsts.case_) & (per_case.first_line == firsts.line_no))
    out = cases.group_by(list(STRATUM)).aggregate(
        cases=cases.count(), articles=cases.articles.sum(), value=cases.value.sum()
    )
    frame: pd.DataFrame = out.to_pandas()
    for c in ("cases", "articles", "value"):
        frame[c] = pd.to_numeric(frame[c]).astype(float)
    return frame


def _project_traffic(traffic: pd.DataFrame, target: str, hist: list[str]) -> pd.DataFrame:
    """Traffic per stratum in the target quarter (see the module docstring) and its mean over the history."""
    keys = [*STRATUM, "transport_mode"]
    wide = traffic.pivot_table(
        index=keys, columns="quarter", values="consignments", aggfunc="sum", fill_value=0.0
    )
    present = [q for q in hist if q in wide.columns]
    if not present:
        return pd.DataFrame(columns=[*keys, "traffic", "traffic_history"])
    wide = wide[wide[present].sum(axis=1) > 0]
    mean_hist = wide[present].sum(axis=1) / len(hist)
    t = Quarter.parse(target)
    year_ago, last4 = str(t - 4), [str(t - k) for k in range(1, 5)]
    prev4 = [str(t - k) for k in range(5, 9)]
    if target in wide.columns:
        projected = wide[target]
    elif all(q in wide.columns for q in (*last4, *prev4)):
        om = wide.groupby(level=["office", "transport_mode"])
        growth = om[last4].transform("sum").sum(axis=1) / om[prev4].transform("sum").sum(axis=1).replace(
            0, np.nan
        )
        projected = (wide[year_ago] * growth.fillna(1.0)).where(wide[year_ago] > 0, mean_hist)
    else:
        projected = mean_hist
    out = pd.DataFrame({"traffic": projected, "traffic_history": mean_hist}).reset_index()
    return out[out["traffic"] > 0].sort_values(list(STRATUM)).reset_index(drop=True)


def _control_rates(strata: pd.DataFrame, decl: pd.DataFrame) -> pd.DataFrame:
    """Today's control rate per stratum: its mean logged propensity, shrunk towards its office and mode's."""
    d = decl.assign(p=decl["propensity"].where(decl["propensity"].notna(), decl["controlled"].astype(float)))
    own = d.groupby(list(STRATUM)).agg(declarations=("p", "size"), p_sum=("p", "sum")).reset_index()
    om = d.groupby(["office", "transport_mode"])["p"].mean().rename("om_rate").reset_index()
    mode = d.groupby("transport_mode")["p"].mean().rename("mode_rate").reset_index()
    out = strata.merge(own, on=list(STRATUM), how="left").merge(
        om, on=["office", "transport_mode"], how="left"
    )
    out = out.merge(mode, on="transport_mode", how="left")
    prior = out["om_rate"].fillna(out["mode_rate"]).fillna(float(d["p"].mean()) if len(d) else 0.0)
    m = out["declarations"].fillna(0.0)
    out["declarations"] = m
    out["control_rate"] = ((out["p_sum"].fillna(0.0) + RATE_PRIOR * prior) / (m + RATE_PRIOR)).clip(1e-9, 1.0)
    return out.drop(columns=["p_sum", "om_rate", "mode_rate"])


def _classes(relative: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(PRIORITY_EDGES), relative, side="right")


def _priority_mix(strata: pd.DataFrame, decl: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Per stratum, atoms of its priority mix: share, relative priority (mean 1) and class; the first
    ``_N_CLASSES`` atoms are its own declarations', the others its mode's pooled mix."""
    d = decl[decl["propensity"].notna()].merge(
        strata[[*STRATUM, "control_rate"]], on=list(STRATUM), how="inner"
    )
    d = d.assign(rel=d["propensity"] / d["control_rate"])
    d["cls"] = _classes(d["rel"].to_numpy())
    n = len(strata)
    idx = strata.reset_index(drop=True).reset_index()[[*STRATUM, "index"]]
    d = d.merge(idx, on=list(STRATUM))
    own_n = np.zeros((n, _N_CLASSES))
    own_r = np.zeros((n, _N_CLASSES))
    np.add.at(own_n, (d["index"].to_numpy(), d["cls"].to_numpy()), 1.0)
    np.add.at(own_r, (d["index"].to_numpy(), d["cls"].to_numpy()), d["rel"].to_numpy())
    modes = strata["transport_mode"].to_numpy()
    pool_n = np.zeros((n, _N_CLASSES))
    pool_r = np.zeros((n, _N_CLASSES))
    for mode, g in d.groupby("transport_mode"):
        cnt = np.bincount(g["cls"], minlength=_N_CLASSES).astype(float)
        tot = np.bincount(g["cls"], g["rel"], minlength=_N_CLASSES)
        pool_n[modes == mode] = cnt
        pool_r[modes == mode] = tot
    everything = (
        np.bincount(d["cls"], minlength=_N_CLASSES).astype(float) if len(d) else np.eye(_N_CLASSES)[1]
    )
    all_r = np.bincount(d["cls"], d["rel"], minlength=_N_CLASSES) if len(d) else np.eye(_N_CLASSES)[1]
    empty = pool_n.sum(axis=1) == 0
    pool_n[empty], pool_r[empty] = everything, all_r
    m = own_n.sum(axis=1)
    w = m / (m + SHAPE_PRIOR)
    with np.errstate(divide="ignore", invalid="ignore"):
        own_mean = np.where(own_n > 0, own_r / own_n, 0.0)
        pool_mean = np.where(pool_n > 0, pool_r / pool_n, 0.0)
        own_share = np.where(m[:, None] > 0, own_n / np.maximum(m[:, None], 1.0), 0.0)
        pool_share = pool_n / pool_n.sum(axis=1, keepdims=True)
    share = np.hstack([w[:, None] * own_share, (1 - w)[:, None] * pool_share])
    rel = np.hstack([own_mean, pool_mean])
    rel = rel / np.maximum((share * rel).sum(axis=1, keepdims=True), 1e-12)  # mean priority 1 = today's rate
    cls = np.tile(np.arange(_N_CLASSES), 2)[None, :].repeat(n, axis=0)
    return share, rel, cls, w


def relative_risks(decl: pd.DataFrame, iterations: int = 100) -> np.ndarray:
    """Relative risk of each priority class (mean 1 over the classes seen): a Poisson model of the hits of
    controlled declarations with a level per stratum and one effect per class, non-decreasing in priority.

    Returns one value per class, ``_N_CLASSES`` of them.
    """
    logged = decl[decl["propensity"].notna()]
    # classes relative to the stratum's mean propensity over all its declarations, as the curves use them
    rate = logged.groupby(list(STRATUM))["propensity"].transform("mean")
    c = logged[logged["controlled"]]
    if c.empty or not c["found"].any():
        return np.ones(_N_CLASSES)
    rate = rate[c.index]
    cls = _classes((c["propensity"] / rate.where(rate > 0, 1.0)).to_numpy())
    stratum = c.groupby(list(STRATUM), sort=False).ngroup().to_numpy()
    table_n = np.zeros((stratum.max() + 1, _N_CLASSES))
    table_h = np.zeros_like(table_n)
    np.add.at(table_n, (stratum, cls), 1.0)
    np.add.at(table_h, (stratum, cls), c["found"].to_numpy(dtype=float))
    beta = np.zeros(_N_CLASSES)
    for _ in range(iterations):
        expected_s = table_n @ np.exp(beta)
        alpha = np.where(expected_s > 0, table_h.sum(axis=1) / np.maximum(expected_s, 1e-300), 0.0)
        exposure_c = alpha @ table_n
        new = np.log((table_h.sum(axis=0) + RISK_PRIOR) / (exposure_c + RISK_PRIOR))
        if np.allclose(new, beta, atol=1e-10):
            break
        beta = new
    seen = table_n.sum(axis=0)
    rho = np.exp(beta)
    fitted = IsotonicRegression(increasing=True).fit(np.arange(_N_CLASSES), rho, sample_weight=seen + 1e-9)
    rho = fitted.predict(np.arange(_N_CLASSES))
    return np.asarray(rho / np.average(rho, weights=seen + 1e-9))


# -- the curves -----------------------------------------------------------------------------------------
def _share_found(share: np.ndarray, p: np.ndarray, risk: np.ndarray, lam: float | np.ndarray) -> np.ndarray:
    """``G``: share of the catchable infringements found when every propensity is scaled by ``lam``."""
    lam_arr = np.asarray(lam, dtype=float).reshape(-1, 1) if np.ndim(lam) else lam
    found = (share * risk * np.minimum(1.0, lam_arr * p)).sum(axis=1)
    return np.asarray(found / np.maximum((share * risk).sum(axis=1), 1e-300))


def _curves(
    traffic: np.ndarray, u0: np.ndarray, share: np.ndarray, rel: np.ndarray, risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints (controls) and ``G`` at them: the scale factors where each atom's propensity reaches 1."""
    p = np.maximum(rel * u0[:, None], 1e-12)
    lam = np.sort(1.0 / p, axis=1)  # increasing: the most prioritised atom saturates first
    lam = np.hstack([np.zeros((len(p), 1)), lam])
    u = np.stack(
        [(share * np.minimum(1.0, lam[:, [j]] * p)).sum(axis=1) for j in range(lam.shape[1])], axis=1
    )
    g = np.stack([_share_found(share, p, risk, lam[:, j]) for j in range(lam.shape[1])], axis=1)
    u[:, -1] = 1.0  # every consignment controlled: all found, whatever rounding left
    g[:, -1] = 1.0
    u = np.maximum.accumulate(u, axis=1)
    g = np.maximum.accumulate(g, axis=1)
    breaks = traffic[:, None] * u
    g = _concave(breaks, g)
    return breaks, g


def _concave(breaks: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The values lowered where rounding made a slope rise (slopes forced non-increasing along each row)."""
    w = np.diff(breaks, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(w > 1e-12, np.diff(values, axis=1) / np.where(w > 1e-12, w, 1.0), np.inf)
    s = np.minimum.accumulate(s, axis=1)
    s = np.where(np.isfinite(s), s, 0.0)
    return np.asarray(np.hstack([np.zeros((len(values), 1)), np.cumsum(s * w, axis=1)]))


def _shrunk_rates(strata: pd.DataFrame, exposure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean rate per stratum and the posterior gamma shape (the curve's uncertainty)."""
    cases = strata["cases"].to_numpy(dtype=float)
    group = (strata["product_category"].astype(str) + "|" + strata["transport_mode"].astype(str)).to_numpy()
    frame = pd.DataFrame({"g": group, "c": cases, "e": exposure})
    sums = frame.groupby("g")[["c", "e"]].transform("sum")
    total_rate = cases.sum() / max(exposure.sum(), 1e-300)
    pooled = np.where(sums["e"] > 0, (sums["c"] + total_rate) / (sums["e"] + 1.0), total_rate)
    expected = exposure * pooled
    excess = float(np.sum((cases - expected) ** 2 - cases))
    inv_a = max(excess / max(float(np.sum(expected**2)), 1e-300), 0.01)
    a = 1.0 / inv_a
    shape = a + cases
    theta = shape / (a / np.maximum(pooled, 1e-300) + exposure)
    return theta, shape


def _case_weight(strata: pd.DataFrame, objective: str) -> np.ndarray:
    if objective == "cases":
        return np.ones(len(strata))
    col = "articles" if objective == "articles" else "value"
    group = strata["product_category"].astype(str) + "|" + strata["transport_mode"].astype(str)
    sums = strata.groupby(group)[["cases", col]].transform("sum")
    overall = strata[col].sum() / max(strata["cases"].sum(), 1.0)
    pooled = np.where(sums["cases"] > 0, sums[col] / sums["cases"].clip(lower=1.0), overall)
    return np.asarray((strata[col] + CASE_PRIOR * pooled) / (strata["cases"] + CASE_PRIOR))


__all__ = [
    "CASE_PRIOR",
    "PRIORITY_EDGES",
    "RATE_PRIOR",
    "RISK_PRIOR",
    "SHAPE_PRIOR",
    "estimate_curves",
    "relative_risks",
]
