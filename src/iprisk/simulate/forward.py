"""Run one quarter of a world forward under a given allocation of controls (for proving a plan's gain).

The world's segments (lane x product) carry traffic, an infringement rate and the control policy's two
propensities: every consignment gets the base rate ``b`` (random checks and rule profiles, after capacity),
and those the value-anomaly rule flags get ``min(1, b + anomaly_rate x capacity factor)``. An allocation
gives each segment a number of controls ``n``; the office keeps its own priorities, so each consignment is
controlled with its propensity scaled by one factor ``lambda`` (capped at 1) such that the expected controls
are ``n`` (``lambda = 1`` is the status quo).

Draws use common random numbers: for a seed, the infringing consignments of every segment (flagged or not)
and their uniforms for control, detection and moving are fixed, so two allocations run on the same seed meet
the same fraudsters and their difference is the allocation's alone.

With ``adversary_share``, that share of each segment's infringing consignments moves to the least-covered
*neighbouring* segment (same product, mode and flow, same far-end port, another office), or
stays when its own is the least covered, after seeing the allocation; only segments with a tenth of the
largest traffic of the neighbourhood take moved goods. Moved consignments are found at their
new segment's propensities; the controls there do not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from iprisk.lanes import lane_keys
from iprisk.periods import Quarter
from iprisk.simulate.latent import anomaly_probabilities, build_world
from iprisk.simulate.scenario import Scenario, default_scenario
from iprisk.simulate.world import PRODUCTS

_STREAM = 5
#: Goods move only to a segment with at least this share of the largest traffic among its neighbours.
MIN_DESTINATION_SHARE = 0.1


@dataclass(frozen=True)
class ForwardQuarter:
    """One quarter of a world, segment by segment (only segments with traffic), ready to run forward.

    ``segments`` columns: ``lane``, ``product``, ``office``, ``side``, ``flow``, ``route`` (mode and ports,
    as in :mod:`iprisk.allocation.strata`), ``far_port`` (the end of the lane that is not the office),
    ``product_category``, ``transport_mode``, ``traffic`` (consignments at
    the world's scale), ``flagged`` (expected flagged consignments), ``infringing_flagged``,
    ``infringing_other`` (expected infringing consignments), ``w_flagged``, ``w_other`` (propensities of
    the status quo), ``detection``.
    """

    scenario: Scenario
    quarter: Quarter
    scale: float
    seed: int
    segments: pd.DataFrame

    def status_quo(self) -> np.ndarray:
        """Controls per segment under the world's own policy (expected)."""
        s = self.segments
        return np.asarray(s["flagged"] * s["w_flagged"] + (s["traffic"] - s["flagged"]) * s["w_other"])

    def propensities(self, controls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Propensity of a flagged and of another consignment per segment when it gets ``controls``."""
        s = self.segments
        n = np.clip(np.asarray(controls, dtype=float), 0.0, s["traffic"].to_numpy())
        f, u = s["flagged"].to_numpy(), (s["traffic"] - s["flagged"]).to_numpy()
        wf, wo = s["w_flagged"].to_numpy(), np.maximum(s["w_other"].to_numpy(), 1e-12)
        wf = np.maximum(wf, wo)
        full_flagged = f + u * wo / wf  # controls when the flagged reach propensity 1
        lam = np.where(
            n <= full_flagged,
            n / np.maximum(f * wf + u * wo, 1e-300),
            (n - f) / np.maximum(u * wo, 1e-300),
        )
        return np.minimum(1.0, lam * wf), np.minimum(1.0, lam * wo)

    def expected(self, controls: np.ndarray, *, adversary_share: float = 0.0) -> np.ndarray:
        """Expected detections per segment (where the goods are found): the true yield at ``controls``."""
        s = self.segments
        pf, po = self.propensities(controls)
        det = s["detection"].to_numpy()
        flagged, other = s["infringing_flagged"].to_numpy(), s["infringing_other"].to_numpy()
        stay = 1.0 - adversary_share
        out = det * stay * (flagged * pf + other * po)
        if adversary_share > 0:
            target = self.least_covered(pf, po)
            moved = det[target] * adversary_share * (flagged * pf[target] + other * po[target])
            out = out + np.bincount(target, moved, minlength=len(s))
        return np.asarray(out)

    def run(self, controls: np.ndarray, draw: int = 0, *, adversary_share: float = 0.0) -> np.ndarray:
        """Detections per segment in one draw (``draw`` picks the fraudsters: same draw, same fraudsters)."""
        s = self.segments
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, _STREAM, self.quarter.index(), draw]))
        n_seg = len(s)
        k_f = rng.poisson(s["infringing_flagged"].to_numpy())
        k_o = rng.poisson(s["infringing_other"].to_numpy())
        seg = np.concatenate([np.repeat(np.arange(n_seg), k_f), np.repeat(np.arange(n_seg), k_o)])
        flagged = np.concatenate([np.ones(k_f.sum(), bool), np.zeros(k_o.sum(), bool)])
        u_control, u_detect, u_move = rng.random(len(seg)), rng.random(len(seg)), rng.random(len(seg))
        pf, po = self.propensities(controls)
        where = seg
        if adversary_share > 0:
            target = self.least_covered(pf, po)
            moves = u_move < adversary_share
            where = np.where(moves, target[seg], seg)
        p = np.where(flagged, pf[where], po[where])
        found = (u_control < p) & (u_detect < s["detection"].to_numpy()[where])
        return np.bincount(where[found], minlength=n_seg).astype(float)

    def least_covered(self, pf: np.ndarray, po: np.ndarray) -> np.ndarray:
        """For each segment, the neighbour (or itself) where its infringing goods are least likely found."""
        s = self.segments
        total = (s["infringing_flagged"] + s["infringing_other"]).to_numpy()
        share = np.divide(s["infringing_flagged"].to_numpy(), total, out=np.zeros(len(s)), where=total > 0)
        detect = s["detection"].to_numpy()
        best = np.arange(len(s))
        own = detect * (share * pf + (1 - share) * po)
        src, dst = neighbour_pairs(s)
        # a lane of a few consignments cannot take a main port's flow: only those with a tenth of the largest
        key = s[["flow", "transport_mode", "far_port", "product_category"]].astype(str).agg("|".join, axis=1)
        largest = s["traffic"].groupby(key.to_numpy()).transform("max").to_numpy()
        can_take = s["traffic"].to_numpy() >= MIN_DESTINATION_SHARE * largest
        src, dst = src[can_take[dst]], dst[can_take[dst]]
        # goods of src, found at dst at dst's propensities for their own flag mix
        cover = detect[dst] * (share[src] * pf[dst] + (1 - share[src]) * po[dst])
        order = np.lexsort((dst, cover, src))
        first = order[np.r_[True, np.diff(src[order]) != 0]] if len(order) else order
        lower = cover[first] < own[src[first]]
        best[src[first][lower]] = dst[first][lower]
        return best


def neighbour_pairs(segments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Source and destination indices of every pair of neighbouring segments: the same flow, mode,
    product and far-end port (departure port at an office of import, arrival port at one of export), another
    office (as :func:`iprisk.allocation.adversary.neighbours` pairs strata)."""
    cols = ["flow", "transport_mode", "far_port", "product_category"]
    key = segments[cols].astype(str).agg("|".join, axis=1)
    frame = pd.DataFrame({"key": key.to_numpy(), "i": np.arange(len(segments)), "office": segments["office"]})
    pairs = frame.merge(frame, on="key", suffixes=("_s", "_d"))
    pairs = pairs[pairs["office_s"] != pairs["office_d"]]
    return pairs["i_s"].to_numpy(), pairs["i_d"].to_numpy()


def forward_quarter(
    scenario: Scenario | None, quarter: str | Quarter, scale: float, seed: int
) -> ForwardQuarter:
    """The segments of ``quarter`` in the world of ``scenario`` and ``seed`` (as :func:`simulate` builds
    it)."""
    s = scenario or default_scenario()
    q = Quarter.parse(str(quarter))
    world = build_world(s, [q], seed)
    seg = world.segments
    lanes = world.lanes
    keep = seg["traffic"].to_numpy() > 0
    seg = seg[keep].reset_index(drop=True)
    lane = lanes.set_index("lane").loc[seg["lane"].to_numpy()].reset_index()
    p_inf, p_gen = anomaly_probabilities(s)
    traffic = seg["traffic"].to_numpy() * scale
    rate = seg["rate"].to_numpy()
    base = seg["base_control"].to_numpy()
    flagged_w = np.minimum(base + s.anomaly_rate * seg["cap_factor"].to_numpy(), 1.0)
    is_import = (lane["office"] == lane["arrival_port"]).to_numpy()
    segments = pd.DataFrame(
        {
            "lane": seg["lane"].to_numpy(),
            "product": seg["product"].to_numpy(),
            "office": lane["office"].to_numpy(),
            "side": lane["side"].to_numpy(),
            "flow": np.where(is_import, "import", "export"),
            "transport_mode": lane["transport_mode"].to_numpy(),
            "route": (
                lane["transport_mode"] + " " + lane_keys(lane["departure_port"], lane["arrival_port"])
            ).to_numpy(),
            "far_port": np.where(is_import, lane["departure_port"], lane["arrival_port"]),
            "product_category": np.asarray(PRODUCTS, dtype=object)[seg["product"].to_numpy()],
            "traffic": traffic,
            "flagged": traffic * (rate * p_inf + (1 - rate) * p_gen),
            "infringing_flagged": traffic * rate * p_inf,
            "infringing_other": traffic * rate * (1 - p_inf),
            "w_flagged": flagged_w,
            "w_other": base,
            "detection": np.full(len(seg), s.detection_probability),
        }
    )
    return ForwardQuarter(s, q, scale, seed, segments)


__all__ = ["ForwardQuarter", "forward_quarter", "neighbour_pairs"]
