"""Consignments in the ``declarations`` format: a sample of each segment's traffic, generated in chunks.

The sample of a quarter x lane is ``traffic x scale x declaration_sample[mode]`` consignments (Poisson).
Work is cut into *blocks* of at most :data:`BLOCK_ROWS` rows of one quarter x lane; each block draws its
random numbers from its own generator seeded by ``(seed, quarter, lane, block)``, and every later step is
row-wise. So the same seed gives the same rows whatever the chunk size or the number of worker threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from iprisk.formats.schema import DECLARATIONS
from iprisk.simulate.detentions import draw_rows
from iprisk.simulate.latent import VALUE_NOISE_SIGMA, World
from iprisk.simulate.parties import NETWORK_LOYALTY, Parties, heavy_tail_rank
from iprisk.simulate.world import CATALOGUE, MASS_MEDIAN, MODES, PRODUCTS

BLOCK_ROWS = 65_536
_COUNT_STREAM = 2
_ROW_STREAM = 3
_N_UNIFORM = 15
_N_NORMAL = 3
_EUR = pa.array(["EUR"], pa.string())

#: Declarations are written in the exchange format's canonical Arrow schema (one definition, in formats).
DECLARATION_SCHEMA = DECLARATIONS.arrow_schema

TRUTH_SCHEMA = pa.schema(
    [
        ("declaration_id", pa.string()),
        ("item_no", pa.int64()),
        ("true_infringement", pa.bool_()),
        ("product_category", pa.string()),
        ("infringing_trader", pa.bool_()),
        ("network", pa.int64()),
        ("undervalued", pa.bool_()),
        ("event", pa.string()),
        ("latent_risk", pa.float64()),
        ("true_probability", pa.float64()),
    ]
)


@dataclass(frozen=True)
class Block:
    qpos: int
    lane: int
    part: int
    start: int  # row number of the block's first row within its quarter x lane
    rows: int


def undervaluation_odds(log_ratio: np.ndarray, share: float, factor: float) -> np.ndarray:
    """Likelihood ratio of a declared log value ratio (to the product norm) under infringing vs genuine.

    Genuine consignments declare ``norm x exp(sigma z)``; infringing ones the same, times ``factor`` with
    probability ``share``. The ratio is ``share x N(r; log factor, sigma) / N(r; 0, sigma) + 1 - share``.
    """
    s2 = 2 * VALUE_NOISE_SIGMA**2
    shift = np.log(factor)
    return share * np.exp((log_ratio**2 - (log_ratio - shift) ** 2) / s2) + (1 - share)


def posterior(prior: np.ndarray, odds_ratio: np.ndarray) -> np.ndarray:
    """``prior`` updated by a likelihood ratio (Bayes' rule on the odds); 0 and 1 stay where they are."""
    num = prior * odds_ratio
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / (num + (1 - prior))
    return np.where(prior >= 1, 1.0, np.where(prior <= 0, 0.0, out))


def geometric(u: np.ndarray, mean: float, cap: int = 30) -> np.ndarray:
    """Geometric counts (0, 1, 2, ...) with the given mean, from uniforms ``u`` (inverse CDF), capped."""
    if mean <= 0:
        return np.zeros(len(u), dtype=np.int64)
    p = mean / (1 + mean)
    return np.minimum(np.floor(np.log1p(-u) / np.log(p)), cap).astype(np.int64)


def plan_blocks(world: World, scale: float, seed: int) -> list[Block]:
    """Every block of the declarations sample, in output order (quarter, lane, part)."""
    s = world.scenario
    nl, npr = world.n_lanes, len(PRODUCTS)
    mode_idx = world.lanes["transport_mode"].map({m: i for i, m in enumerate(MODES)}).to_numpy()
    sample = np.array([s.declaration_sample[m] for m in MODES])[mode_idx]
    traffic = world.segments["traffic"].to_numpy().reshape(len(world.quarters), nl, npr).sum(axis=2)
    blocks: list[Block] = []
    for qpos, q in enumerate(world.quarters):
        rng = np.random.default_rng(np.random.SeedSequence([seed, _COUNT_STREAM, q.index()]))
        counts = rng.poisson(traffic[qpos] * scale * sample)
        for lane in np.flatnonzero(counts):
            n = int(counts[lane])
            for part, start in enumerate(range(0, n, BLOCK_ROWS)):
                blocks.append(Block(qpos, int(lane), part, start, min(BLOCK_ROWS, n - start)))
    return blocks


def chunk_blocks(blocks: list[Block], chunk_rows: int) -> Iterator[list[Block]]:
    """Consecutive blocks grouped into chunks of about ``chunk_rows`` rows."""
    chunk: list[Block] = []
    rows = 0
    for b in blocks:
        chunk.append(b)
        rows += b.rows
        if rows >= chunk_rows:
            yield chunk
            chunk, rows = [], 0
    if chunk:
        yield chunk


class ConsignmentGenerator:
    """Turns blocks into declaration rows (and their ground truth) for one world."""

    def __init__(self, world: World, parties: Parties, scale: float, seed: int):
        self.world, self.parties, self.scale, self.seed = world, parties, scale, seed
        s = world.scenario
        lanes = world.lanes
        nq, nl, npr = len(world.quarters), world.n_lanes, len(PRODUCTS)
        seg = world.segments
        self._traffic = seg["traffic"].to_numpy().reshape(nq * nl, npr)
        extra = seg["extra"].to_numpy().reshape(nq * nl, npr)
        rate = seg["rate"].to_numpy().reshape(nq * nl, npr)
        regular = np.maximum(self._traffic - extra, 1e-12)
        self._rate_regular = np.clip((self._traffic * rate - extra) / regular, 0.0, 1.0)
        self._extra_share = np.where(self._traffic > 0, extra / np.maximum(self._traffic, 1e-12), 0.0)
        self._control = seg["base_control"].to_numpy().reshape(nq * nl, npr)
        self._cap = seg["cap_factor"].to_numpy().reshape(nq * nl, npr)
        codes, uniques = seg["event"].factorize()
        names = [str(x) for x in uniques]
        if "" not in names:
            names.append("")
        order = [names.index("")] + [i for i, x in enumerate(names) if x != ""]
        remap = np.empty(len(names), dtype=np.int64)
        remap[order] = np.arange(len(names))
        self._event_code = remap[codes].reshape(nq * nl, npr)  # 0 = no event
        self._event_names = pa.array([str(names[i]) for i in order], pa.string())
        self._mode = lanes["transport_mode"].map({m: i for i, m in enumerate(MODES)}).to_numpy()
        self._extra_items = np.array([s.extra_items.get(m, 0.0) for m in MODES])
        # Trader groups: a trader trades with one provenance from one reporting country, across modes.
        group_key = lanes["side"] + lanes["reporting_admin"] + lanes["provenance_country"]
        self._group = group_key.factorize()[0].astype(np.int64)
        self._office_code = lanes["office"].factorize()[0].astype(np.int64)
        self._strings = {
            c: pa.array(lanes[c].tolist(), pa.string()) for c in lanes.columns if lanes[c].dtype == object
        }
        prov = lanes["provenance_country"].to_numpy()
        self._hk = prov == "HK"
        self._hs_lists = [CATALOGUE[p].hs_codes for p in PRODUCTS]
        hs_all = [h for hs in self._hs_lists for h in hs]
        self._hs_off = np.cumsum([0] + [len(h) for h in self._hs_lists])
        # New modus operandi: their declared HS code, appended after the catalogue's codes.
        self._override_hs: dict[str, int] = {}
        for ev in s.events:
            if ev.kind == "new_modus_operandi" and ev.hs_code:
                self._override_hs[ev.name] = len(hs_all)
                hs_all.append(ev.hs_code)
        self._hs_all = pa.array(hs_all, pa.string())
        override = np.full(nq * nl * npr, -1, dtype=np.int64)
        event_str = seg["event"].to_numpy()
        for name, idx in self._override_hs.items():
            hit = (seg["extra"].to_numpy() > 0) & np.array([name in e.split(",") for e in event_str])
            override[hit] = idx
        self._override = override.reshape(nq * nl, npr)
        self._value_kg = np.array([CATALOGUE[p].value_per_kg for p in PRODUCTS])
        self._mass = np.array([MASS_MEDIAN[m] for m in MODES])
        self._products = pa.array(list(PRODUCTS), pa.string())
        hi = s.infringing_trader_factor
        share = s.infringing_trader_share
        self._f_hi = hi
        self._f_lo = max(0.0, (1 - share * hi) / (1 - share)) if share < 1 else 0.0

    def _draws(
        self, blocks: list[Block]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Uniforms and normals per consignment, extra item counts, and uniforms and normals per extra item,
        every one from the generator of its block."""
        us, zs, ks, eus, ezs = [], [], [], [], []
        for b in blocks:
            q = self.world.quarters[b.qpos]
            rng = np.random.default_rng(
                np.random.SeedSequence([self.seed, _ROW_STREAM, q.index(), b.lane, b.part])
            )
            u = rng.random((b.rows, _N_UNIFORM))
            k = geometric(u[:, 14], self._extra_items[self._mode[b.lane]])
            us.append(u)
            zs.append(rng.standard_normal((b.rows, _N_NORMAL)))
            ks.append(k)
            eus.append(rng.random((int(k.sum()), 2)))
            ezs.append(rng.standard_normal((int(k.sum()), 2)))
        return (
            np.concatenate(us),
            np.concatenate(zs),
            np.concatenate(ks),
            np.concatenate(eus),
            np.concatenate(ezs),
        )

    def generate(self, blocks: list[Block]) -> tuple[pa.Table, pa.Table]:
        """Declaration rows and truth rows for ``blocks``."""
        s, p = self.world.scenario, self.parties
        nl = self.world.n_lanes
        u, z, k_extra, eu, ez = self._draws(blocks)
        n = len(u)
        rows_per = np.array([b.rows for b in blocks])
        lane = np.repeat([b.lane for b in blocks], rows_per)
        qpos = np.repeat([b.qpos for b in blocks], rows_per)
        rowno = np.concatenate([np.arange(b.start, b.start + b.rows) for b in blocks])
        ql = qpos * nl + lane
        mode = self._mode[lane]

        product = draw_rows(self._traffic, ql, u[:, 0])
        is_extra = u[:, 12] < self._extra_share[ql, product]
        trader = (heavy_tail_rank(u[:, 1], p.n_traders) * 7919 + self._group[lane] * 104_729) % p.n_traders
        bad = p.infringing[trader]
        factor = np.where(bad, self._f_hi, self._f_lo)
        prob = np.minimum(self._rate_regular[ql, product] * factor, 1.0)
        infringing = is_extra | (u[:, 2] < prob)
        latent = np.where(is_extra, 1.0, prob)  # what the flag was drawn from
        net = p.network[trader]
        use_net = (net >= 0) & (u[:, 3] < NETWORK_LOYALTY)
        declarant = (
            heavy_tail_rank(u[:, 4], p.n_declarants, 2.0) * 31 + self._office_code[lane] * 977
        ) % p.n_declarants
        declarant = np.where(use_net, p.network_declarant[np.maximum(net, 0)], declarant)
        carrier = (heavy_tail_rank(u[:, 5], p.n_carriers, 2.0) + mode * 101) % p.n_carriers
        carrier = np.where(use_net, p.network_carrier[np.maximum(net, 0)], carrier)
        seller = heavy_tail_rank(u[:, 11], p.n_traders, 2.5)

        mass = np.round(self._mass[mode] * np.exp(0.8 * z[:, 0]), 3)
        undervalued = infringing & (u[:, 9] < s.undervalued_share)
        ratio = np.exp(VALUE_NOISE_SIGMA * z[:, 1]) * np.where(undervalued, s.undervaluation, 1.0)
        value = np.round(mass * self._value_kg[product] * ratio, 2)
        flagged = ratio < s.anomaly_threshold
        # The Bayes oracle: the latent risk updated by what the declared value says (undervaluation is drawn
        # after the flag, so the value carries information the latent risk alone does not).
        oracle = posterior(latent, undervaluation_odds(np.log(ratio), s.undervalued_share, s.undervaluation))
        propensity = np.minimum(
            self._control[ql, product] + s.anomaly_rate * flagged * self._cap[ql, product], 1.0
        )
        controlled = u[:, 6] < propensity
        found = controlled & infringing & (u[:, 7] < s.detection_probability)
        median = (
            np.array([s.articles_median[m] for m in MODES])[mode]
            * np.array([CATALOGUE[x].articles_factor for x in PRODUCTS])[product]
        )
        articles = np.maximum(1, np.rint(median * np.exp(z[:, 2]))).astype(np.int64)

        hs = self._hs_off[product] + (u[:, 8] * (self._hs_off[product + 1] - self._hs_off[product])).astype(
            np.int64
        )
        override = self._override[ql, product]
        hs = np.where(is_extra & (override >= 0), override, hs)
        event_code = np.where(infringing, self._event_code[ql, product], 0)
        quarters = self.world.quarters
        starts = np.array([np.datetime64(q.start) for q in quarters], dtype="datetime64[D]")
        days = np.array([(q.end - q.start).days + 1 for q in quarters])
        date = starts[qpos] + (u[:, 10] * days[qpos]).astype(np.int64)
        hk_cn = self._hk[lane] & (u[:, 13] < 0.7)

        # Expand consignments into declaration items: item 1 is the consignment's main (and only possibly
        # infringing) line; extra items are other goods of the lane's mix, controlled with the declaration.
        src = np.repeat(np.arange(n), 1 + k_extra)
        first = np.cumsum(1 + k_extra) - (1 + k_extra)
        item_no = np.arange(len(src), dtype=np.int64) - first[src] + 1
        extra = item_no > 1
        lane, qpos, rowno, ql, mode = lane[src], qpos[src], rowno[src], ql[src], mode[src]
        trader, declarant, seller, carrier = trader[src], declarant[src], seller[src], carrier[src]
        bad, net, date, hk_cn = bad[src], net[src], date[src], hk_cn[src]
        controlled, propensity = controlled[src], propensity[src]
        product, hs, mass, value = product[src], hs[src], mass[src], value[src]
        infringing, found = infringing[src] & ~extra, found[src] & ~extra
        articles, undervalued = articles[src], undervalued[src] & ~extra
        latent, oracle = np.where(extra, 0.0, latent[src]), np.where(extra, 0.0, oracle[src])
        event_code = np.where(extra, 0, event_code[src])
        if extra.any():
            xp = draw_rows(self._traffic, ql[extra], eu[:, 0])
            product[extra] = xp
            width = self._hs_off[xp + 1] - self._hs_off[xp]
            hs[extra] = self._hs_off[xp] + (eu[:, 1] * width).astype(np.int64)
            mass[extra] = np.round(0.5 * self._mass[mode[extra]] * np.exp(0.8 * ez[:, 0]), 3)
            value[extra] = np.round(
                mass[extra] * self._value_kg[xp] * np.exp(VALUE_NOISE_SIGMA * ez[:, 1]), 2
            )
        n = len(src)
        prov = self._strings["provenance_country"].take(pa.array(lane))
        origin = pc.if_else(pa.array(hk_cn), pa.scalar("CN"), prov)

        qlabels = pa.array([str(q) for q in quarters], pa.string()).take(pa.array(qpos))
        decl_id = pc.binary_join_element_wise(
            self._strings["reporting_admin"].take(pa.array(lane)),
            qlabels,
            pc.utf8_lpad(pc.cast(pa.array(lane), pa.string()), 4, "0"),
            pc.utf8_lpad(pc.cast(pa.array(rowno), pa.string()), 7, "0"),
            "-",
        )
        lane_a = pa.array(lane)
        st = self._strings
        null_if_not = pa.array(found, mask=~controlled)
        detained = pa.array(np.where(found, articles, 0), pa.int64(), mask=~controlled)
        table = pa.table(
            {
                "declaration_id": decl_id,
                "item_no": pa.array(item_no),
                "date": pa.array(date, pa.date32()),
                "flow": st["flow"].take(lane_a),
                "office": st["office"].take(lane_a),
                "transport_mode": st["transport_mode"].take(lane_a),
                "declarant_id": p.declarant_ids.take(pa.array(declarant)),
                "trader_id": p.trader_ids.take(pa.array(trader)),
                "seller_id": p.seller_ids.take(pa.array(seller)),
                "carrier_id": p.carrier_ids.take(pa.array(carrier)),
                "hs_code": self._hs_all.take(pa.array(hs)),
                "origin_country": origin,
                "departure_country": prov,
                "destination_country": st["destination_country"].take(lane_a),
                "departure_port": st["departure_port"].take(lane_a),
                "arrival_port": st["arrival_port"].take(lane_a),
                "net_mass_kg": pa.array(mass),
                "value": pa.array(value),
                "currency": _EUR.take(pa.array(np.zeros(n, dtype=np.int64))),
                "controlled": pa.array(controlled),
                "infringement": null_if_not,
                "articles_detained": detained,
                "selection_propensity": pa.array(np.round(propensity, 6)),
                "reporting_admin": st["reporting_admin"].take(lane_a),
            },
            schema=DECLARATION_SCHEMA,
        )
        truth = pa.table(
            {
                "declaration_id": decl_id,
                "item_no": table["item_no"],
                "true_infringement": pa.array(infringing),
                "product_category": self._products.take(pa.array(product)),
                "infringing_trader": pa.array(bad),
                "network": pa.array(net),
                "undervalued": pa.array(undervalued),
                "event": self._event_names.take(pa.array(event_code)),
                "latent_risk": pa.array(latent),
                "true_probability": pa.array(oracle),
            },
            schema=TRUTH_SCHEMA,
        )
        return table, truth
