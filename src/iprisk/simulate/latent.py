"""The latent process: traffic, infringement and control rates of every segment (quarter x lane x product).

Both outputs derive from this one table, so they agree by construction:

- seizure statistics draw detention counts per segment (Poisson with gamma noise around
  ``traffic x scale x infringement_rate x detection_rate``);
- declarations draw a sample of the segment's consignments whose infringement flags, parties, values and
  controls follow the same rates (see :mod:`iprisk.simulate.consignments`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from iprisk.periods import Quarter
from iprisk.simulate.scenario import PlantedEvent, Scenario
from iprisk.simulate.world import MODES, PRODUCTS, build_lanes, product_mix

_STATIC_NOISE_SIGMA = 0.5  # lane x product heterogeneity of the infringement rate (mean-one lognormal)
_MAX_RATE = 0.6
DEST_SUFFIX = ">dest"  # event label of the segments a displacement moves consignments to


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


VALUE_NOISE_SIGMA = 0.5  # declared value per kg around the product norm (lognormal)


def anomaly_probabilities(s: Scenario) -> tuple[float, float]:
    """P(value-anomaly rule fires | infringing), P(... | genuine) under the declared-value model."""
    thr = math.log(s.anomaly_threshold)
    genuine = _phi(thr / VALUE_NOISE_SIGMA)
    under = _phi((thr - math.log(s.undervaluation)) / VALUE_NOISE_SIGMA)
    infringing = s.undervalued_share * under + (1 - s.undervalued_share) * genuine
    return infringing, genuine


@dataclass(frozen=True)
class World:
    """The latent world: lanes, quarters and the segment table (flattened quarter x lane x product)."""

    scenario: Scenario
    quarters: list[Quarter]
    lanes: pd.DataFrame
    segments: pd.DataFrame  # see build_world for the columns

    @property
    def n_lanes(self) -> int:
        return len(self.lanes)


def _lane_mask(lanes: pd.DataFrame, ev: PlantedEvent, offices: tuple[str, ...] | None = None) -> np.ndarray:
    m = np.ones(len(lanes), dtype=bool)
    if ev.modes:
        m &= lanes["transport_mode"].isin(ev.modes).to_numpy()
    if ev.provenances:
        m &= lanes["provenance_country"].isin(ev.provenances).to_numpy()
    if ev.reporters:
        m &= lanes["reporting_admin"].isin(ev.reporters).to_numpy()
    offs = ev.offices if offices is None else offices
    if offs:
        m &= lanes["office"].isin(offs).to_numpy()
    return m


def _product_mask(ev: PlantedEvent) -> np.ndarray:
    if not ev.products:
        return np.ones(len(PRODUCTS), dtype=bool)
    return np.array([p in ev.products for p in PRODUCTS])


def build_world(scenario: Scenario, quarters: list[Quarter], seed: int) -> World:
    """Compute the segment table for ``quarters``; deterministic in ``seed`` (static noise only).

    Segment columns: ``q`` (index into quarters), ``lane``, ``product`` (index into PRODUCTS), ``traffic``
    (consignments at scale 1), ``rate`` (infringement probability per consignment), ``base_control``
    (propensity from random share and rule profiles, after capacity), ``cap_factor``, ``detect``
    (probability an infringing consignment is detained), ``expected_cases`` (at scale 1), ``extra``
    (consignments added by a new modus operandi), ``event`` (name of the event touching the segment, or "").
    """
    s = scenario
    lanes = build_lanes(s.cn_import_share)
    nq, nl, npr = len(quarters), len(lanes), len(PRODUCTS)
    mode_idx = lanes["transport_mode"].map({m: i for i, m in enumerate(MODES)}).to_numpy()
    side = lanes["side"].to_numpy()
    mix = product_mix()  # mode x product

    # Traffic per lane at scale 1 in the reference year.
    eu_t = np.array([s.eu_import_traffic[m] for m in MODES])
    cn_t = np.array([s.cn_export_traffic[m] for m in MODES])
    lane_traffic = np.where(side == "EU", eu_t[mode_idx], cn_t[mode_idx]) * lanes["weight"].to_numpy()

    # Dynamics by quarter and mode: Q4 seasonality and the drift from containers to small parcels.
    years = np.array([q.year + (q.q - 1) / 4 - s.reference_year for q in quarters])
    is_q4 = np.array([q.q == 4 for q in quarters])
    small = np.array([m in ("post", "express") for m in MODES])
    season = np.where(is_q4[:, None], np.where(small, s.q4_seasonality, 1 + (s.q4_seasonality - 1) / 3), 1.0)
    growth = np.ones((nq, len(MODES)))
    growth[:, small] = (1 + s.ecommerce_growth) ** years[:, None]
    growth[:, MODES.index("sea")] = (1 + s.container_trend) ** years
    dyn = season * growth  # q x mode
    traffic = dyn[:, mode_idx][:, :, None] * lane_traffic[None, :, None] * mix[mode_idx][None, :, :]

    # Infringement rate.
    base = np.array([s.infringement_rate[m] for m in MODES])[mode_idx]
    prov = lanes["provenance_country"].map(lambda c: s.provenance_risk.get(c, 0.3)).to_numpy(dtype=float)
    side_f = np.where(side == "CN", s.cn_infringement_factor, 1.0)
    prod_r = np.array([s.product_risk.get(p, 1.0) for p in PRODUCTS])
    pair = np.ones((nl, npr))
    for key, val in s.pair_risk.items():
        c, _, p = key.partition(":")
        if p in PRODUCTS:
            pair[(lanes["provenance_country"] == c).to_numpy(), PRODUCTS.index(p)] *= val
    noise_rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    noise = np.exp(noise_rng.normal(-(_STATIC_NOISE_SIGMA**2) / 2, _STATIC_NOISE_SIGMA, (nl, npr)))
    rate_lp = (base * prov * side_f)[:, None] * prod_r[None, :] * pair * noise
    trend = np.ones((nq, len(MODES)))
    trend[:, small] = (1 + s.postal_risk_trend) ** years[:, None]
    rate = np.minimum(rate_lp[None, :, :] * trend[:, mode_idx][:, :, None], _MAX_RATE)

    # Control policy: random share + rule profiles, by lane x product.
    control = np.broadcast_to(
        np.array([s.random_control_rate[m] for m in MODES])[mode_idx][:, None], (nl, npr)
    )
    control = control.copy()
    for rule in s.rule_profiles:
        lm = np.ones(nl, dtype=bool)
        if rule.modes:
            lm &= lanes["transport_mode"].isin(rule.modes).to_numpy()
        if rule.provenances:
            lm &= lanes["provenance_country"].isin(rule.provenances).to_numpy()
        pm = np.array([not rule.products or p in rule.products for p in PRODUCTS])
        control[np.ix_(lm, pm)] += rule.rate
    control *= np.where(side == "CN", s.cn_control_factor, 1.0)[:, None]  # China's own selection policy
    control = np.broadcast_to(control, (nq, nl, npr)).copy()

    # Planted events.
    extra = np.zeros((nq, nl, npr))
    event = np.full((nq, nl, npr), "", dtype=object)
    for ev in s.events:
        qm = np.array([ev.active(q) for q in quarters])
        if not qm.any():
            continue
        lm, pm = _lane_mask(lanes, ev), _product_mask(ev)
        sel = qm[:, None, None] & lm[None, :, None] & pm[None, None, :]
        if ev.kind == "surge":
            rate = np.where(sel, np.minimum(rate * ev.multiplier, _MAX_RATE), rate)
        elif ev.kind == "new_modus_operandi":
            lane_total = traffic.sum(axis=2, keepdims=True)
            add = np.where(sel, ev.rate * lane_total, 0.0)
            new_traffic = traffic + add
            rate = np.where(sel, (traffic * rate + add) / np.maximum(new_traffic, 1e-12), rate)
            traffic, extra = new_traffic, extra + add
        elif ev.kind == "displacement":
            dest = _displace(ev, lanes, sel, qm, traffic, rate, control)
            dsel = qm[:, None, None] & dest[None, :, None] & pm[None, None, :]
            _mark(event, dsel, ev.name + DEST_SUFFIX)
        _mark(event, sel, ev.name)

    # Expected propensity (with the value-anomaly rule) and capacity per office x mode x quarter.
    p_inf, p_gen = anomaly_probabilities(s)
    mean_prop = np.minimum(control + s.anomaly_rate * (rate * p_inf + (1 - rate) * p_gen), 1.0)
    cap_factor = np.ones((nq, nl))
    keys = lanes["office"] + "|" + lanes["transport_mode"]
    codes, uniq = pd.factorize(keys)
    caps = np.array(
        [
            s.office_capacity.get(k.split("|")[0], s.capacity[k.split("|")[1]])
            * (s.cn_control_factor if k.startswith("CN") else 1.0)
            for k in uniq
        ]
    )
    for k in range(nq):
        load = np.bincount(codes, (traffic[k] * mean_prop[k]).sum(axis=1), len(uniq))
        vol = np.bincount(codes, traffic[k].sum(axis=1), len(uniq))
        share = load / np.maximum(vol, 1e-12)
        f = np.minimum(1.0, caps / np.maximum(share, 1e-12))
        cap_factor[k] = f[codes]
    base_control = np.minimum(control, 1.0) * cap_factor[:, :, None]
    detect = (
        np.minimum(control + s.anomaly_rate * p_inf, 1.0) * cap_factor[:, :, None] * s.detection_probability
    )
    expected = traffic * rate * detect

    qi, li, pi = np.meshgrid(np.arange(nq), np.arange(nl), np.arange(npr), indexing="ij")
    segments = pd.DataFrame(
        {
            "q": qi.ravel().astype(np.int32),
            "lane": li.ravel().astype(np.int32),
            "product": pi.ravel().astype(np.int32),
            "traffic": traffic.ravel(),
            "rate": rate.ravel(),
            "base_control": base_control.ravel(),
            "cap_factor": np.broadcast_to(cap_factor[:, :, None], (nq, nl, npr)).ravel(),
            "detect": detect.ravel(),
            "expected_cases": expected.ravel(),
            "extra": extra.ravel(),
            "event": event.ravel(),
        }
    )
    return World(scenario=s, quarters=list(quarters), lanes=lanes, segments=segments)


def _mark(event: np.ndarray, sel: np.ndarray, name: str) -> None:
    event[sel] = np.where(event[sel] == "", name, event[sel] + "," + name)


def _displace(
    ev: PlantedEvent,
    lanes: pd.DataFrame,
    sel: np.ndarray,
    qm: np.ndarray,
    traffic: np.ndarray,
    rate: np.ndarray,
    control: np.ndarray,
) -> np.ndarray:
    """Move ``share`` of the infringing consignments of the source lanes to the matching ``to_office`` lanes.

    Returns the mask of destination lanes that received consignments.
    """
    key_cols = ["transport_mode", "provenance_country", "departure_port", "flow"]
    src_lanes = np.flatnonzero(sel.any(axis=(0, 2)))
    dst = lanes[lanes["office"] == ev.to_office]
    dst_by_key = {tuple(r[c] for c in key_cols): int(r["lane"]) for _, r in dst.iterrows()}
    pm = _product_mask(ev)
    dest = np.zeros(len(lanes), dtype=bool)
    for li in src_lanes:
        key = tuple(lanes.iloc[li][c] for c in key_cols)
        d = dst_by_key.get(key)
        moved = traffic[:, li, :] * rate[:, li, :] * ev.share
        moved = np.where(qm[:, None] & pm[None, :], moved, 0.0)
        rate[:, li, :] = np.where(qm[:, None] & pm[None, :], rate[:, li, :] * (1 - ev.share), rate[:, li, :])
        control[:, li, :] = np.where(
            qm[:, None] & pm[None, :], control[:, li, :] * ev.control_multiplier, control[:, li, :]
        )
        if d is not None:
            rate[:, d, :] = np.minimum(rate[:, d, :] + moved / np.maximum(traffic[:, d, :], 1e-12), _MAX_RATE)
            dest[d] = True
    return dest
