"""Small, fast simulated worlds of seizure lines for the analysis tests, with known planted surges.

A world is a few hundred *cells* (one value for each of the six signal dimensions) whose quarterly case
counts are negative binomial around a level with a shared seasonal pattern, a mild per-cell trend and
office-wide shocks. A *planted surge* multiplies every cell of a segment by a factor from its start quarter
for ``duration`` quarters: a *broad* one fixes one to three dimensions, a *narrow* one is one office x mode
x provenance x product of about ten cases a quarter, tripled (some of them inside a broad surge of the same
quarters, so that a broader segment moves too). ``planted=0`` (and ``narrow=0``) gives the null world.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from iprisk.analysis._segments import SegmentCounts, count_segments
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


#: The grain of a narrow surge: one office x mode x provenance x product.
NARROW_DIMS = ("office", "transport_mode", "provenance_country", "product_category")


@dataclass
class Planted:
    key: tuple[tuple[str, str], ...]
    start: str
    multiplier: float
    duration: int
    expected: float  # cases per quarter in the segment before the surge (level x season, mean)
    kind: str = "broad"  # or "narrow"


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
    earliest: int | None = None,
    narrow: int = 0,
    narrow_inside: int = 0,
    narrow_multiplier: tuple[float, float] = (2.5, 3.5),
    narrow_cases: tuple[float, float] = (8.0, 14.0),
) -> World:
    """Draw a world. Broad surges start from quarter ``earliest`` (default ``history``: after the history),
    in segments of ``min_segment_cases`` or more. Then ``narrow`` narrow surges (``narrow_cases`` a quarter
    before, times ``narrow_multiplier``), of which ``narrow_inside`` sit inside a broad surge and start with
    it; the others start anywhere from ``earliest``."""
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
        start = int(rng.integers(history if earliest is None else earliest, n_quarters - 1))
        m = float(rng.uniform(*multiplier))
        mean[mask, start : start + duration] *= m
        plants.append(Planted(key, quarters[start], m, duration, seg_mean))
    if narrow:
        plants += _plant_narrow(
            rng,
            cells,
            mean,
            plants,
            quarters,
            count=narrow,
            inside=narrow_inside,
            earliest=history if earliest is None else earliest,
            multiplier=narrow_multiplier,
            cases=narrow_cases,
            duration=duration,
        )

    counts = rng.negative_binomial(1 / dispersion, 1 / (1 + dispersion * mean))
    return World(_lines(rng, cells, counts, quarters), quarters, plants, cells)


def _plant_narrow(
    rng: np.random.Generator,
    cells: pd.DataFrame,
    mean: np.ndarray,
    broad: list[Planted],
    quarters: list[str],
    *,
    count: int,
    inside: int,
    earliest: int,
    multiplier: tuple[float, float],
    cases: tuple[float, float],
    duration: int,
) -> list[Planted]:
    """Narrow surges at the office x mode x provenance x product grain (``mean`` is multiplied in place)."""
    groups = cells.groupby(list(NARROW_DIMS), sort=True).indices
    segments = [(tuple(zip(NARROW_DIMS, k, strict=True)), np.asarray(ix)) for k, ix in groups.items()]
    out: list[Planted] = []
    for i in range(count):
        hosts = [p for p in broad if p.kind == "broad"] if i < inside else []
        host = hosts[int(rng.integers(len(hosts)))] if hosts else None
        start = quarters.index(host.start) if host else int(rng.integers(earliest, len(quarters) - 1))
        within = _selects(cells, host.key) if host else np.ones(len(cells), dtype=bool)
        fits = []
        for key, ix in segments:
            if not within[ix].all():
                continue
            if any(_overlaps(key, p.key) for p in out):
                continue
            level = float(mean[ix, :start].sum(axis=0).mean())
            if cases[0] <= level <= cases[1]:
                fits.append((key, ix, level))
        if not fits:
            continue
        key, ix, level = fits[int(rng.integers(len(fits)))]
        m = float(rng.uniform(*multiplier))
        mean[ix, start : start + duration] *= m
        out.append(Planted(key, quarters[start], m, duration, level, kind="narrow"))
    return out


def _selects(cells: pd.DataFrame, key: tuple[tuple[str, str], ...]) -> np.ndarray:
    mask = np.ones(len(cells), dtype=bool)
    for d, v in key:
        mask &= (cells[d] == v).to_numpy()
    return mask


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
class Found:
    """One planted surge and how it was found."""

    planted: Planted
    found: bool  # in its first or second quarter, at the right segment
    delay: int | None  # quarters from its start to the first right signal while it lasts (None: never)
    early: bool  # it started before the ``history`` quarters a full baseline needs


@dataclass
class Quality:
    detected: int
    planted: int
    reported: int
    false: int
    fdp_per_quarter: list[float]
    surges: list[Found] = field(default_factory=list)
    false_events_per_quarter: list[int] = field(default_factory=list)
    quarters: list[str] = field(default_factory=list)  # the evaluated quarters (fdp and false events)

    @property
    def recall(self) -> float:
        return self.detected / self.planted if self.planted else float("nan")


def _keys(signals: pd.DataFrame) -> list[tuple[tuple[str, str], ...]]:
    return [
        tuple((d, v) for d in DIMS if (v := getattr(r, d)) not in ("", None)) for r in signals.itertuples()
    ]


def targets(world: World, p: Planted) -> set[frozenset[int]]:
    """The cell sets a right signal may select: a narrow surge at its own segment; a broad one at its own or
    one dimension coarser (never only a broader parent, never a finer child)."""
    out = {world.cell_set(p.key)}
    if p.kind == "broad" and len(p.key) > 1:
        out |= {world.cell_set(tuple(kv for kv in p.key if kv != drop)) for drop in p.key}
    return out


def evaluate(signals: pd.DataFrame, world: World, *, history: int = 8, first: int | None = None) -> Quality:
    """Score reported signals against the planted truth.

    A surge counts as detected when an ``up`` or ``new`` signal in its first or second quarter selects the
    cells of one of its :func:`targets` (segments are compared by the cells they select, so ``FR / express``
    and ``FRLEH / express`` are the same when FR has one office). A signal is false when it shares no cell
    with a planted segment active (or winding down: ``history`` quarters after its end) in that quarter;
    the false-discovery proportion is computed per evaluated quarter (from ``first``, default ``history``;
    0 when nothing is reported) so that its mean is the FDR. False *events* count the groups of false
    signals of a quarter that share cells (one chance burst seen at several levels is one false event), the
    same yardstick for every detector. With a ``role`` column only the events' headlines count: the story
    told, not every level it shows at.
    """
    first = history if first is None else first
    if "role" in signals:  # the stories told: one headline per event
        signals = signals[signals["role"] == "headline"]
    qpos = {q: i for i, q in enumerate(world.quarters)}
    sets = [world.cell_set(k) for k in _keys(signals)]
    surges = []
    for p in world.planted:
        s = qpos[p.start]
        right = targets(world, p)
        hits = sorted(
            qpos[r.quarter] - s
            for cs, r in zip(sets, signals.itertuples(), strict=True)
            if r.direction in ("up", "new") and cs in right and 0 <= qpos[r.quarter] - s < p.duration
        )
        delay = hits[0] if hits else None
        surges.append(Found(p, delay is not None and delay <= 1, delay, s < history))
    false_flags = []
    planted_sets = [world.cell_set(p.key) for p in world.planted]
    for cs, r in zip(sets, signals.itertuples(), strict=True):
        i = qpos[r.quarter]
        related = any(
            bool(cs & ps) and qpos[p.start] <= i <= qpos[p.start] + p.duration + history
            for p, ps in zip(world.planted, planted_sets, strict=True)
        )
        false_flags.append(not related)
    sig = signals.reset_index(drop=True).assign(false=false_flags)
    fdp, false_events = [], []
    quarters = world.quarters[first:]
    for q in quarters:
        part = sig[sig["quarter"] == q]
        fdp.append(float(part["false"].mean()) if len(part) else 0.0)
        false_events.append(_overlap_groups([sets[i] for i in part.index[part["false"]]]))
    return Quality(
        detected=sum(f.found for f in surges),
        planted=len(world.planted),
        reported=len(signals),
        false=int(sum(false_flags)),
        fdp_per_quarter=fdp,
        surges=surges,
        false_events_per_quarter=false_events,
        quarters=list(quarters),
    )


def _overlap_groups(sets: list[frozenset[int]]) -> int:
    """How many groups the cell sets make when sets sharing a cell are joined (connected components)."""
    parent = list(range(len(sets)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(sets)):
        for j in range(i):
            if sets[i] & sets[j]:
                parent[root(i)] = root(j)
    return len({root(i) for i in range(len(sets))})


#: A detector: (segment counts of a world, history) -> reported signals (the columns of ``signals``).
Detector = Callable[[SegmentCounts, int], pd.DataFrame]


def iprisk_detector(fdr: float = 0.05, **options: Any) -> Detector:
    from iprisk.analysis.signals import signals_from_counts

    return lambda counts, history: signals_from_counts(counts, fdr=fdr, history=history, **options)


def world_counts(world: World) -> SegmentCounts:
    """The segment counts the detectors read (one engine query per world, shared by every detector)."""
    return count_segments(ibis.memtable(world.lines), "cases", DIMS)


def measure(
    seeds: Iterable[int],
    *,
    fdr: float = 0.05,
    history: int = 8,
    first: int | None = None,
    detector: Detector | None = None,
    null: bool = True,
    **world_kw: Any,
) -> dict[str, float]:
    """:func:`measure_many` with one detector (iprisk's signals at ``fdr`` by default)."""
    detectors = {"iprisk": detector or iprisk_detector(fdr)}
    return measure_many(seeds, detectors, history=history, first=first, null=null, **world_kw)["iprisk"]


def measure_many(
    seeds: Iterable[int],
    detectors: dict[str, Detector],
    *,
    history: int = 8,
    first: int | None = None,
    null: bool = True,
    progress: Callable[[int], None] | None = None,
    **world_kw: Any,
) -> dict[str, dict[str, float]]:
    """For each detector, on the same worlds: recall of planted surges (all, broad, narrow, early: started
    before ``history`` quarters) and their detection delay; the false-discovery share on planted worlds; on
    null worlds (seed + 10,000, nothing planted) the share of quarters with any signal and the false events
    per quarter, from quarter ``first`` (default ``history``) and for the quarters before ``history``."""
    first = history if first is None else first
    found: dict[str, list[Found]] = {name: [] for name in detectors}
    fdp_planted: dict[str, list[float]] = {name: [] for name in detectors}
    null_quality: dict[str, list[Quality]] = {name: [] for name in detectors}
    n = 0
    for seed in seeds:
        n += 1
        w = make_world(seed, history=history, **world_kw)
        counts = world_counts(w)
        w0 = (
            make_world(10_000 + seed, history=history, **{**world_kw, "planted": 0, "narrow": 0})
            if null
            else None
        )
        counts0 = world_counts(w0) if w0 is not None else None
        for name, detect in detectors.items():
            q = evaluate(detect(counts, history), w, history=history, first=first)
            found[name] += q.surges
            fdp_planted[name] += q.fdp_per_quarter
            if w0 is not None and counts0 is not None:
                null_quality[name].append(
                    evaluate(detect(counts0, history), w0, history=history, first=first)
                )
        if progress:
            progress(n)
    return {
        name: _summary(n, found[name], fdp_planted[name], null_quality[name], history - first)
        for name in detectors
    }


def _summary(
    n: int, found: list[Found], fdp_planted: list[float], null_quality: list[Quality], early_quarters: int
) -> dict[str, float]:
    out: dict[str, float] = {"worlds": n, **_recall(found, "")}
    for label, part in (
        ("broad", [f for f in found if f.planted.kind == "broad"]),
        ("narrow", [f for f in found if f.planted.kind == "narrow"]),
        ("early", [f for f in found if f.early]),
    ):
        out.update(_recall(part, label + "_"))
    out["fdr_planted_worlds"] = float(np.mean(fdp_planted)) if fdp_planted else float("nan")
    if null_quality:
        fdp = [f for q in null_quality for f in q.fdp_per_quarter]
        events = [e for q in null_quality for e in q.false_events_per_quarter]
        # the quarters before ``history``: tested with a short history only
        early = [e for q in null_quality for e in q.false_events_per_quarter[: max(early_quarters, 0)]]
        out.update(
            fdr_null_worlds=float(np.mean(fdp)),
            null_quarters=len(fdp),
            null_quarters_with_signal=sum(1 for f in fdp if f > 0),
            false_events_per_null_quarter=float(np.mean(events)),
            null_early_quarters=len(early),
            null_early_quarters_with_signal=sum(1 for e in early if e > 0),
        )
    return out


def _recall(found: list[Found], prefix: str) -> dict[str, float]:
    delays = [f.delay for f in found if f.delay is not None]
    return {
        f"{prefix}planted": len(found),
        f"{prefix}detected": sum(f.found for f in found),
        f"{prefix}recall": sum(f.found for f in found) / len(found) if found else float("nan"),
        f"{prefix}mean_delay": float(np.mean(delays)) if delays else float("nan"),
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
