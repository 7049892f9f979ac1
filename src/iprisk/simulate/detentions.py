"""Detentions -> seizure-statistics lines, drawn per quarter from the latent segment table at full ``scale``.

Counts are aggregate draws (Poisson around the segment's expected detentions with gamma noise, i.e. a
negative binomial), so a world at scale 1.0 (hundreds of millions of consignments) costs a few seconds. Each
quarter has its own random generator derived from ``(seed, quarter)``, so a quarter's seizures do not depend
on the period simulated around it, nor on chunking.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from iprisk.periods import Quarter
from iprisk.simulate.latent import World
from iprisk.simulate.world import CATALOGUE, MODES, PRODUCTS, product_mix

_STREAM = 1
_NOISE_SHAPE = 8.0  # gamma shape of the quarter-to-quarter noise on expected detentions
_OTHER_IPR = ("design", "patent", "copyright", "geographical_indication", "utility_model")
_OTHER_IPR_P = np.array([0.45, 0.2, 0.2, 0.1, 0.05])
_OUTCOMES = (
    "destroyed",
    "destroyed_small_consignment",
    "court_case",
    "released_original",
    "released_no_action",
    "ongoing",
)
# Outcome probabilities per case: EU small consignments, EU other, China.
_OUTCOME_P = {
    "small": np.array([0.38, 0.42, 0.06, 0.07, 0.05, 0.02]),
    "large": np.array([0.74, 0.0, 0.10, 0.08, 0.06, 0.02]),
    "cn": np.array([0.90, 0.0, 0.03, 0.04, 0.0, 0.03]),
}
_RIGHT_HOLDERS = 300  # per product category

SEIZURE_COLUMNS = (
    "case_id",
    "line_no",
    "reporting_admin",
    "office",
    "detention_date",
    "flow",
    "transport_mode",
    "provenance_country",
    "origin_country",
    "destination_country",
    "departure_port",
    "arrival_port",
    "product_category",
    "hs_code",
    "ipr_type",
    "procedure",
    "articles",
    "retail_value_eur",
    "declared_value_eur",
    "outcome",
    "right_holder_ref",
)


def _choice(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.cumsum(p) / p.sum(), rng.random(n), side="right").clip(0, len(p) - 1)


def draw_rows(probs: np.ndarray, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Vectorised categorical draws: for each i, a column of ``probs[rows[i]]`` picked by uniform ``u[i]``."""
    k = probs.shape[1]
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    flat = (cum + np.arange(len(probs))[:, None]).ravel()
    idx = np.searchsorted(flat, rows + u, side="right")
    return np.clip(idx - rows * k, 0, k - 1)


def _take(values: list[str] | tuple[str, ...], idx: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(idx))


def detentions_for_quarter(world: World, qpos: int, scale: float, seed: int) -> pa.Table:
    """Every seizure line of quarter ``world.quarters[qpos]``, all administrations, by admin and case."""
    quarter = world.quarters[qpos]
    s = world.scenario
    rng = np.random.default_rng(np.random.SeedSequence([seed, _STREAM, quarter.index()]))
    seg = world.segments
    n_seg = len(world.lanes) * len(PRODUCTS)
    sl = slice(qpos * n_seg, (qpos + 1) * n_seg)
    lam = seg["expected_cases"].to_numpy()[sl] * scale
    lam = lam * rng.gamma(_NOISE_SHAPE, 1.0 / _NOISE_SHAPE, len(lam))
    counts = rng.poisson(lam)
    case_seg = np.repeat(np.arange(n_seg), counts)  # segment position within the quarter, per case
    n_cases = len(case_seg)
    lanes = world.lanes
    lane_of = case_seg // len(PRODUCTS)
    prod_of = case_seg % len(PRODUCTS)
    mode_idx = lanes["transport_mode"].map({m: i for i, m in enumerate(MODES)}).to_numpy()[lane_of]
    is_cn = (lanes["side"].to_numpy() == "CN")[lane_of]

    # Admin ordering first so case numbers run per administration in detention order.
    admin = lanes["reporting_admin"].to_numpy()[lane_of]
    days = (quarter.end - quarter.start).days + 1
    day = rng.integers(0, days, n_cases)
    order = np.lexsort((day, admin))
    case_seg, lane_of, prod_of = case_seg[order], lane_of[order], prod_of[order]
    mode_idx, is_cn, admin, day = mode_idx[order], is_cn[order], admin[order], day[order]
    _, first = np.unique(admin, return_index=True)
    case_no = np.arange(n_cases) - np.repeat(first, np.diff(np.append(first, n_cases)))

    # Case-level attributes.
    median = np.array([s.articles_median[m] for m in MODES])[mode_idx]
    factor = np.array([CATALOGUE[p].articles_factor for p in PRODUCTS])[prod_of]
    median = median * factor * np.where(is_cn, s.cn_articles_factor, 1.0)
    sigma = np.array([s.articles_sigma[m] for m in MODES])[mode_idx]
    articles = np.maximum(1, np.rint(median * np.exp(sigma * rng.standard_normal(n_cases)))).astype(np.int64)
    extra_lines = rng.poisson(np.array([s.lines_per_case[m] for m in MODES])[mode_idx])
    n_lines = 1 + extra_lines
    ex_officio = rng.random(n_cases) < np.where(is_cn, s.ex_officio_share["CN"], s.ex_officio_share["EU"])
    small = np.isin(mode_idx, [MODES.index("post"), MODES.index("express")])
    outcome = np.empty(n_cases, dtype=np.int64)
    for key, mask in (("cn", is_cn), ("small", ~is_cn & small), ("large", ~is_cn & ~small)):
        outcome[mask] = _choice(rng, int(mask.sum()), _OUTCOME_P[key])

    # Expand to lines.
    line_case = np.repeat(np.arange(n_cases), n_lines)
    n_total = len(line_case)
    starts = np.cumsum(n_lines) - n_lines
    line_no = np.arange(n_total) - starts[line_case] + 1
    mix = product_mix()
    line_prod = prod_of[line_case].copy()
    others = line_no > 1
    u = rng.random(n_total)
    line_prod[others] = draw_rows(mix, mode_idx[line_case], u)[others]
    weights = rng.gamma(1.0, 1.0, n_total)
    wsum = np.bincount(line_case, weights, n_cases)
    line_articles = np.maximum(1, np.rint(articles[line_case] * weights / wsum[line_case])).astype(np.int64)
    retail_unit = np.array([CATALOGUE[p].retail_per_article for p in PRODUCTS])[line_prod]
    retail = np.round(line_articles * retail_unit * np.exp(0.3 * rng.standard_normal(n_total)), 2)
    declared = np.round(retail * 0.15 * np.exp(0.5 * rng.standard_normal(n_total)), 2)
    hs_lists = [CATALOGUE[p].hs_codes for p in PRODUCTS]
    hs_all = [h for hs in hs_lists for h in hs]
    hs_off = np.cumsum([0] + [len(h) for h in hs_lists])
    hs_pick = hs_off[line_prod] + (rng.random(n_total) * (hs_off[line_prod + 1] - hs_off[line_prod])).astype(
        int
    )
    trademark = rng.random(n_total) < np.where(
        is_cn[line_case], s.trademark_share["CN"], s.trademark_share["EU"]
    )
    ipr_other = _choice(rng, n_total, _OTHER_IPR_P)
    ipr = np.where(trademark, 0, 1 + ipr_other)
    rh = (rng.pareto(1.2, n_total) * 10).astype(np.int64) % _RIGHT_HOLDERS
    hk_origin_cn = rng.random(n_cases) < 0.7

    # Assemble the Arrow table.
    lane_l = lane_of[line_case]
    col = {c: lanes[c].tolist() for c in lanes.columns if lanes[c].dtype == object}
    case_ids = pc.binary_join_element_wise(
        pa.array(admin[line_case].tolist(), pa.string()),
        pa.scalar(f"-{quarter}-"),
        pc.utf8_lpad(pc.cast(pa.array(case_no[line_case]), pa.string()), 6, "0"),
        "",
    )
    provenance = np.array(col["provenance_country"], dtype=object)[lane_l]
    origin = np.where((provenance == "HK") & hk_origin_cn[line_case], "CN", provenance)
    dates = pa.array((np.datetime64(quarter.start) + day[line_case]).astype("datetime64[D]"), pa.date32())
    rh_ref = pc.binary_join_element_wise(
        pa.scalar("RH"),
        pc.utf8_lpad(pc.cast(pa.array(line_prod * 1000 + rh), pa.string()), 5, "0"),
        "",
    )
    ipr_codes = ("trademark", *_OTHER_IPR)
    table = pa.table(
        {
            "case_id": case_ids,
            "line_no": pa.array(line_no, pa.int64()),
            "reporting_admin": _take(col["reporting_admin"], lane_l),
            "office": _take(col["office"], lane_l),
            "detention_date": dates,
            "flow": _take(col["flow"], lane_l),
            "transport_mode": _take(col["transport_mode"], lane_l),
            "provenance_country": _take(col["provenance_country"], lane_l),
            "origin_country": pa.array(origin.tolist(), pa.string()),
            "destination_country": _take(col["destination_country"], lane_l),
            "departure_port": _take(col["departure_port"], lane_l),
            "arrival_port": _take(col["arrival_port"], lane_l),
            "product_category": _take(PRODUCTS, line_prod),
            "hs_code": _take(hs_all, hs_pick),
            "ipr_type": _take(ipr_codes, ipr),
            "procedure": _take(("application", "ex_officio"), ex_officio[line_case].astype(np.int64)),
            "articles": pa.array(line_articles, pa.int64()),
            "retail_value_eur": pa.array(retail, pa.float64()),
            "declared_value_eur": pa.array(declared, pa.float64()),
            "outcome": _take(_OUTCOMES, outcome[line_case]),
            "right_holder_ref": rh_ref,
        }
    )
    return table.append_column("_segment", pa.array(qpos * n_seg + case_seg[line_case], pa.int64()))


__all__ = ["SEIZURE_COLUMNS", "Quarter", "detentions_for_quarter"]
