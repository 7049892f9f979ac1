"""Small, fast simulated worlds of seizure lines for the analysis tests, with known planted surges.

A world is a few hundred *cells* (one value for each of the six signal dimensions) whose quarterly case
counts are negative binomial around a level with a shared seasonal pattern, a mild per-cell trend and
office-wide shocks. A *planted surge* multiplies every cell of a segment (one to three dimensions fixed) by a
factor from its start quarter for ``duration`` quarters. ``planted=0`` gives the null world.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from iprisk.formats import TRADE_SCHEMA

#: Trade of offices only: no port columns (lanes get no traffic).
_OFFICE_TRADE_COLUMNS = [n for n in TRADE_SCHEMA.names if n not in ("departure_port", "arrival_port")]

ADMINS = {
    "DE": ["DEHAM", "DEFRA", "DEMUC"],
    "NL": ["NLRTM", "NLAMS"],
    "BE": ["BEANR", "BEBRU"],
    "FR": ["FRLEH"],
}
MODES = ["post", "express", "air", "sea", "road"]
MODE_P = [0.35, 0.3, 0.15, 0.15, 0.05]
PROVENANCES = ["CN", "HK", "TR", "VN", "IN", "AE", "TH"]
PROV_P = [0.5, 0.18, 0.1, 0.08, 0.06, 0.05, 0.03]
CATEGORIES = [
    "clothing",
    "shoes",
    "toys",
    "personal_accessories",
    "mobile_phones",
    "electronics",
    "body_care",
    "medicines",
    "sporting_articles",
    "labels_packaging",
]
CAT_P = [0.2, 0.15, 0.12, 0.12, 0.1, 0.1, 0.07, 0.06, 0.05, 0.03]
IPRS = ["trademark", "design", "copyright", "patent"]
IPR_P = [0.8, 0.1, 0.06, 0.04]
DIMS = ("reporting_admin", "office", "transport_mode", "provenance_country", "product_category", "ipr_type")
SEASON = np.array([0.9, 0.95, 1.0, 1.15])
CN_PORTS = ["CNSHA", "CNSZX", "CNNGB"]


@dataclass
class Planted:
    key: tuple[tuple[str, str], ...]
    start: str
    multiplier: float
    duration: int
    expected: float  # cases per quarter in the segment before the surge (level x season, mean)


@dataclass
class World:
    lines: pd.DataFrame
    quarters: list[str]
    planted: list[Planted] = field(default_factory=list)
    cells: pd.DataFrame | None = None  # one row per cell: a value of each of the six dimensions

    def cell_set(self, key: tuple[tuple[str, str], ...]) -> frozenset[int]:
        """The cells a segment selects: two names select the same cases when they select the same cells."""
        cells = self.cells if self.cells is not None else self.lines[list(DIMS)].drop_duplicates()
        mask = np.ones(len(cells), dtype=bool)
        for d, v in key:
            mask &= (cells[d] == v).to_numpy()
        return frozenset(np.flatnonzero(mask).tolist())


def _quarters(first_year: int, n: int) -> list[str]:
    return [f"{first_year + i // 4}Q{i % 4 + 1}" for i in range(n)]


def make_world(
    seed: int,
    *,
    n_quarters: int = 16,
    n_cells: int = 400,
    planted: int = 3,
    multiplier: tuple[float, float] = (2.5, 4.0),
    min_segment_cases: float = 8.0,
    duration: int = 3,
    history: int = 8,
    dispersion: float = 0.05,
    office_shock: float = 0.01,
) -> World:
    """Draw a world. Surges start after ``history`` quarters, in segments of ``min_segment_cases`` or more."""
    rng = np.random.default_rng(seed)
    quarters = _quarters(2018, n_quarters)
    admins = list(ADMINS)
    admin = rng.choice(admins, n_cells, p=[0.4, 0.3, 0.2, 0.1])
    office = np.array([rng.choice(ADMINS[a]) for a in admin])
    cells = pd.DataFrame(
        {
            "reporting_admin": admin,
            "office": office,
            "transport_mode": rng.choice(MODES, n_cells, p=MODE_P),
            "provenance_country": rng.choice(PROVENANCES, n_cells, p=PROV_P),
            "product_category": rng.choice(CATEGORIES, n_cells, p=CAT_P),
            "ipr_type": rng.choice(IPRS, n_cells, p=IPR_P),
        }
    ).drop_duplicates(ignore_index=True)
    n = len(cells)
    level = np.exp(rng.normal(0.8, 1.1, n))
    slope = rng.normal(0.0, 0.01, n)
    t = np.arange(n_quarters)
    qoy = np.array([int(q[-1]) for q in quarters])
    mean = level[:, None] * SEASON[qoy - 1][None, :] * np.exp(slope[:, None] * (t - n_quarters / 2))
    offices = sorted(set(office))
    shocks = rng.gamma(1 / office_shock, office_shock, (len(offices), n_quarters))
    mean = mean * shocks[[offices.index(o) for o in cells["office"]], :]

    plants: list[Planted] = []
    tries = 0
    while len(plants) < planted and tries < 500:
        tries += 1
        depth = int(rng.choice([1, 2, 3], p=[0.15, 0.45, 0.4]))
        anchor = cells.iloc[int(rng.integers(n))]
        dims = sorted(rng.choice(len(DIMS), depth, replace=False))
        key = tuple((DIMS[d], str(anchor[DIMS[d]])) for d in dims)
        mask = np.ones(n, dtype=bool)
        for d, v in key:
            mask &= (cells[d] == v).to_numpy()
        seg_mean = float(mean[mask, :history].sum(axis=0).mean())
        total_mean = float(mean[:, :history].sum(axis=0).mean())
        if seg_mean < min_segment_cases or seg_mean > 0.25 * total_mean:
            continue
        if any(_overlaps(key, p.key) for p in plants):
            continue
        start = int(rng.integers(history, n_quarters - 1))
        m = float(rng.uniform(*multiplier))
        mean[mask, start : start + duration] *= m
        plants.append(Planted(key, quarters[start], m, duration, seg_mean))

    counts = rng.negative_binomial(1 / dispersion, 1 / (1 + dispersion * mean))
    return World(_lines(rng, cells, counts, quarters), quarters, plants, cells)


def _overlaps(a: tuple[tuple[str, str], ...], b: tuple[tuple[str, str], ...]) -> bool:
    da, db = dict(a), dict(b)
    return all(da[k] == db[k] for k in set(da) & set(db))


def _lines(
    rng: np.random.Generator, cells: pd.DataFrame, counts: np.ndarray, quarters: list[str]
) -> pd.DataFrame:
    cell_idx, q_idx = np.nonzero(counts)
    reps = counts[cell_idx, q_idx]
    case_cell = np.repeat(cell_idx, reps)
    case_q = np.repeat(q_idx, reps)
    n_cases = case_cell.size
    n_lines = 1 + rng.poisson(0.4, n_cases)
    line_case = np.repeat(np.arange(n_cases), n_lines)
    line_no = np.concatenate([np.arange(1, k + 1) for k in n_lines]) if n_cases else np.zeros(0, int)
    df = cells.iloc[case_cell[line_case]].reset_index(drop=True)
    df.insert(0, "quarter", np.asarray(quarters, dtype=object)[case_q[line_case]])
    df["case_id"] = [f"C{i}" for i in line_case]
    df["line_no"] = line_no
    df["flow"] = "import"
    df["destination_country"] = df["reporting_admin"]
    df["departure_port"] = np.asarray(CN_PORTS, dtype=object)[rng.integers(0, len(CN_PORTS), n_cases)][
        line_case
    ]
    df["arrival_port"] = df["office"]
    df["hs_code"] = "9503"
    df["articles"] = np.maximum(1, rng.lognormal(2.0, 1.5, len(df))).astype("int64")
    df["retail_value_eur"] = df["articles"] * rng.lognormal(3.0, 0.8, len(df))
    df["procedure"] = "ex_officio"
    return df


@dataclass
class Quality:
    detected: int
    planted: int
    reported: int
    false: int
    fdp_per_quarter: list[float]

    @property
    def recall(self) -> float:
        return self.detected / self.planted if self.planted else float("nan")


def evaluate(signals: pd.DataFrame, world: World, *, history: int = 8) -> Quality:
    """Score reported signals against the planted truth.

    A surge counts as detected when an ``up`` or ``new`` signal in its first or second quarter selects the
    same cases as the planted segment or as a parent one dimension coarser (segments are compared by the
    cells they select, so ``FR / express`` and ``FRLEH / express`` are the same when FR has one office). A
    signal is false when it shares no cell with a planted segment active (or winding down) in that quarter;
    the false-discovery proportion is computed per tested quarter (0 when nothing is reported) so that its
    mean is the FDR.
    """
    qpos = {q: i for i, q in enumerate(world.quarters)}
    keys = [
        tuple((d, v) for d in DIMS if (v := getattr(r, d)) not in ("", None)) for r in signals.itertuples()
    ]
    sets = [world.cell_set(k) for k in keys]
    detected = 0
    for p in world.planted:
        s = qpos[p.start]
        first_two = {world.quarters[i] for i in (s, s + 1) if i < len(world.quarters)}
        targets = {world.cell_set(p.key)} | {
            world.cell_set(tuple(kv for kv in p.key if kv != drop)) for drop in p.key if len(p.key) > 1
        }
        for cs, r in zip(sets, signals.itertuples(), strict=True):
            if r.quarter in first_two and r.direction in ("up", "new") and cs in targets:
                detected += 1
                break
    false_flags = []
    planted_sets = [world.cell_set(p.key) for p in world.planted]
    for cs, r in zip(sets, signals.itertuples(), strict=True):
        i = qpos[r.quarter]
        related = any(
            bool(cs & ps) and qpos[p.start] <= i <= qpos[p.start] + p.duration + history
            for p, ps in zip(world.planted, planted_sets, strict=True)
        )
        false_flags.append(not related)
    sig = signals.assign(false=false_flags)
    fdp = []
    for q in world.quarters[history:]:
        part = sig[sig["quarter"] == q]
        fdp.append(float(part["false"].mean()) if len(part) else 0.0)
    return Quality(detected, len(world.planted), len(signals), int(sum(false_flags)), fdp)


def measure(seeds: range, *, fdr: float, history: int = 8, **world_kw: object) -> dict[str, float]:
    """Recall of planted surges and false-discovery share, on planted and on null worlds, over ``seeds``."""
    import ibis

    from iprisk.analysis import signals

    detected = planted = 0
    fdp_planted: list[float] = []
    fdp_null: list[float] = []
    null_quarters_with_signal = 0
    for seed in seeds:
        w = make_world(seed, history=history, **world_kw)  # type: ignore[arg-type]
        q = evaluate(signals(ibis.memtable(w.lines), fdr=fdr, history=history), w, history=history)
        detected += q.detected
        planted += q.planted
        fdp_planted += q.fdp_per_quarter
        w0 = make_world(10_000 + seed, planted=0, history=history, **world_kw)  # type: ignore[arg-type]
        q0 = evaluate(signals(ibis.memtable(w0.lines), fdr=fdr, history=history), w0, history=history)
        fdp_null += q0.fdp_per_quarter
        null_quarters_with_signal += sum(1 for f in q0.fdp_per_quarter if f > 0)
    return {
        "worlds": len(seeds),
        "planted": planted,
        "detected": detected,
        "recall": detected / planted if planted else float("nan"),
        "fdr_planted_worlds": float(np.mean(fdp_planted)),
        "fdr_null_worlds": float(np.mean(fdp_null)),
        "null_quarters": len(fdp_null),
        "null_quarters_with_signal": null_quarters_with_signal,
    }


# -- canonical batches, trade and a warehouse, for the end-to-end tests -------------------------------------


def canonical_lines(world: World, seed: int = 0) -> pd.DataFrame:
    """The world's lines with every canonical seizures column (dates inside the quarter, CN export cases)."""
    from iprisk.periods import Quarter

    rng = np.random.default_rng(seed)
    df = world.lines.copy()
    starts = {q: Quarter.parse(q).start for q in world.quarters}
    df["detention_date"] = [
        starts[q] + pd.Timedelta(days=int(d))
        for q, d in zip(df["quarter"], rng.integers(0, 89, len(df)), strict=True)
    ]
    df["origin_country"] = df["provenance_country"]
    df["declared_value_eur"] = df["retail_value_eur"] / 10
    df["outcome"] = "destroyed"
    df["right_holder_ref"] = None
    # A mirror side: China detains some of the same goods at export, on the same lanes.
    exp = df[df["provenance_country"] == "CN"].sample(frac=0.3, random_state=seed).copy()
    exp["reporting_admin"] = "CN"
    exp["office"] = exp["departure_port"]
    exp["flow"] = "export"
    exp["case_id"] = "X" + exp["case_id"]
    return pd.concat([df, exp], ignore_index=True)


def trade_table(world: World, seed: int = 0) -> pd.DataFrame:
    """Trade statistics for the world's offices: consignments and value per quarter, office, mode, origin."""
    rng = np.random.default_rng(seed)
    rows = []
    for q in world.quarters:
        for admin, offices in ADMINS.items():
            for office in offices:
                for mode in MODES:
                    for prov in PROVENANCES[:4]:
                        for chapter, cat in (
                            ("95", "toys"),
                            ("64", "shoes"),
                            ("61", "clothing"),
                            ("85", "electronics"),
                        ):
                            rows.append(
                                (
                                    q,
                                    admin,
                                    "import",
                                    office,
                                    mode,
                                    prov,
                                    admin,
                                    chapter,
                                    cat,
                                    int(rng.integers(100, 5000)),
                                    float(rng.uniform(1e5, 1e7)),
                                )
                            )
    return pd.DataFrame(rows, columns=_OFFICE_TRADE_COLUMNS)


def fill_warehouse(wh: object, world: World, *, with_trade: bool = True) -> None:
    """Submit the world (one batch per administration and quarter) and its trade table."""
    import hashlib

    import pyarrow as pa

    from iprisk.formats import SEIZURES, SeizureBatch
    from iprisk.periods import Quarter

    schema = SEIZURES.arrow_schema
    lines = canonical_lines(world)
    for (admin, q), part in lines.groupby(["reporting_admin", "quarter"]):
        table = pa.Table.from_pandas(part[schema.names], schema=schema, preserve_index=False)
        digest = hashlib.sha256(f"{admin}{q}{len(part)}{part['case_id'].iloc[0]}".encode()).hexdigest()
        wh.submit(SeizureBatch(table, str(admin), Quarter.parse(str(q)), digest, f"{admin}_{q}"))  # type: ignore[attr-defined]
    if with_trade:
        wh.load_trade(trade_table(world))  # type: ignore[attr-defined]
