"""Displacement: a route whose detentions fall while a neighbouring route for the same goods rises.

A route is an (office, transport mode) pair. Two routes are neighbours when they carry the same flow and the
same goods and differ in exactly one of office and mode (another port, same mode; or the same office, another
mode). The goods are compared at four levels, most specific first: product category x provenance,
provenance (any product), product category (any provenance), and all goods (the route as a whole), so that a
shift too thin to see per product and provenance can still be seen on the whole route.

The recent period is the last ``k`` quarters up to ``end`` for every ``k`` from 1 to ``recent`` (the start
of a shift is unknown), the base period the quarters before it within ``history``. For an ordered pair
"A -> B" and one ``k``, three one-sided Fisher exact tests (conditional binomial tests of a share, recent
against base) must all hold, so the pair's p-value is the largest of the three (an intersection-union test):

- the share of the pair's cases that B took rose (A fell against B);
- A's share against the rest of the neighbourhood (every other route of the group) fell;
- B's share against the rest of the neighbourhood rose.

A share is immune to what moves every route alike (seasonality, a general rise or fall of detentions), so
the whole history can serve as the base. The ``recent`` values of ``k`` are combined with Simes' test, the
pairs of all levels with Benjamini-Hochberg; of the significant pairs of a route pair only the most
specific level is kept. Only the aggregation runs in the engine; the statistics are a small pandas step.
"""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import special, stats

from iprisk.analysis._baseline import benjamini_hochberg
from iprisk.analysis._common import aggregate, check_metric
from iprisk.periods import Quarter

DISPLACEMENT_COLUMNS = (
    "product_category",
    "provenance_country",
    "from_office",
    "from_transport_mode",
    "from_before",
    "from_recent",
    "to_office",
    "to_transport_mode",
    "to_before",
    "to_recent",
    "shifted",
    "z",
    "flow",
    "level",
    "base_start",
    "recent_start",
    "p_value",
    "q_value",
)

#: The goods levels, most specific first: name -> the goods columns a neighbourhood shares.
LEVELS: dict[str, tuple[str, ...]] = {
    "product x provenance": ("product_category", "provenance_country"),
    "provenance": ("provenance_country",),
    "product": ("product_category",),
    "route": (),
}

#: Value of a goods column the level does not split by ("any product", "any provenance").
ANY = "*"

_GOODS = ("product_category", "provenance_country")
_ROUTE = ("office", "transport_mode")


def displacement(
    seizures: ir.Table,
    *,
    end: str | Quarter | None = None,
    recent: int = 8,
    history: int = 16,
    metric: str = "cases",
    fdr: float = 0.05,
    min_count: int = 10,
    min_base: int = 4,
) -> pd.DataFrame:
    """Pairs of neighbouring routes where one fell while the other rose, recent quarters against before.

    Parameters
    ----------
    seizures : ibis.Table
        Seizure lines (plus ``quarter``). ``flow`` is used when present (routes of different flows are never
        neighbours).
    end : str or Quarter, optional
        Last recent quarter (default: the last quarter in the data).
    recent : int
        Longest recent period tried, in quarters: every ``k = 1..recent`` quarters up to ``end`` is tested.
    history : int
        Quarters read up to ``end`` (base plus recent period).
    metric : {"cases", "lines"}
        A count: the tests are exact tests of counts.
    fdr : float
        False-discovery rate (Benjamini-Hochberg over every pair of every level).
    min_count : int
        A pair is tested only if its two routes together have at least ``2 * min_count`` over ``history``
        (this filter ignores the direction of change, so it does not bias the tests).
    min_base : int
        The base period has at least this many quarters (so ``k <= history - min_base``).

    Returns
    -------
    pandas.DataFrame
        :data:`DISPLACEMENT_COLUMNS`, one row per significant pair (``q_value <= fdr``) at its most specific
        level. ``product_category`` / ``provenance_country`` are :data:`ANY` when the level does not split by
        them; ``level`` names it. ``*_before`` / ``*_recent`` are cases per quarter in the base period (from
        ``base_start``) and the recent period (from ``recent_start``, the ``k`` with the smallest p-value);
        ``shifted`` the cases of the recent period moved, ``min(fall of A, rise of B)`` against their
        base rates; ``z`` the p-value as a one-sided normal score. Most significant first.

    Examples
    --------
    >>> import ibis
    >>> rows = {"quarter": [], "reporting_admin": [], "case_id": [], "office": [], "transport_mode": [],
    ...     "provenance_country": [], "product_category": []}
    >>> for q in ("2020Q1", "2020Q2", "2020Q3", "2020Q4", "2021Q1", "2021Q2"):
    ...     moved = q >= "2021Q1"
    ...     for office, n in (("NLRTM", 5 if moved else 40), ("BEANR", 40 if moved else 5), ("DEHAM", 20)):
    ...         for i in range(n):
    ...             for k, v in zip(rows, (q, office[:2], f"{q}{office}{i}", office, "sea", "CN", "toys")):
    ...                 rows[k].append(v)
    >>> d = displacement(ibis.memtable(rows))
    >>> d[["from_office", "to_office", "level", "recent_start", "shifted"]].values.tolist()
    [['NLRTM', 'BEANR', 'product x provenance', '2021Q1', 70.0]]
    """
    check_metric(metric, ("cases", "lines"))
    if not 0 < fdr < 1:
        raise ValueError(f"fdr must be in (0, 1), not {fdr}")
    if recent < 1 or min_base < 1 or history < recent + min_base:
        raise ValueError(f"need recent >= 1, min_base >= 1 and history >= recent + min_base ({history})")
    empty = pd.DataFrame(columns=list(DISPLACEMENT_COLUMNS))
    if end is None:
        last = seizures.aggregate(q=seizures.quarter.max()).to_pandas()["q"].iloc[0]
        if last is None or (isinstance(last, float) and np.isnan(last)):
            return empty
        end = str(last)
    last_q = Quarter.parse(str(end))
    first_q = last_q - (history - 1)
    t = seizures.filter((seizures.quarter >= str(first_q)) & (seizures.quarter <= str(last_q)))
    flow = ["flow"] if "flow" in seizures.columns else []
    keys = [*flow, *_GOODS, *_ROUTE]
    agg = aggregate(t, [*keys, "quarter"], [metric])
    if agg.empty:
        return empty
    for k in keys:
        agg[k] = agg[k].astype(object).where(agg[k].notna(), "?").astype(str)
    # Quarters before the first one in the data are not known zeros: the base starts at the data.
    first_q = max(first_q, Quarter.parse(str(agg["quarter"].min())))
    quarters = [str(first_q + i) for i in range(last_q.index() - first_q.index() + 1)]
    ks = [k for k in range(1, recent + 1) if len(quarters) - k >= min_base]
    if not ks:
        return empty
    found = [
        _tests(agg, metric, [*flow, *goods], quarters, ks, min_count, fdr).assign(level=name)
        for name, goods in LEVELS.items()
    ]
    tests = pd.concat([f for f in found if not f.empty] or [_tests_empty()], ignore_index=True)
    if tests.empty:
        return empty
    tests["q_value"] = benjamini_hochberg(tests["p_value"].to_numpy())
    sig = tests[tests["q_value"] <= fdr].copy()
    if sig.empty:
        return empty
    # Most specific level per route pair (levels are ordered most specific first).
    depth = {name: len(goods) for name, goods in LEVELS.items()}
    sig["depth"] = sig["level"].map(depth)
    pair = [*flow, "from_office", "from_transport_mode", "to_office", "to_transport_mode"]
    sig = sig[sig["depth"] == sig.groupby(pair)["depth"].transform("max")]
    for g in _GOODS:
        sig[g] = sig[g].fillna(ANY) if g in sig else ANY
    if not flow:
        sig["flow"] = ""
    sig["z"] = stats.norm.isf(sig["p_value"].clip(lower=1e-300))
    # Ties broken by the keys, so that every engine gives the same order.
    order = ["q_value", "p_value", "shifted", "depth", "flow", *_GOODS, *pair[len(flow) :]]
    out = sig.sort_values(order, ascending=[True, True, False, False, *[True] * (len(order) - 4)])
    return out[list(DISPLACEMENT_COLUMNS)].reset_index(drop=True)


def _tests_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["p_value"])


def _tests(
    agg: pd.DataFrame,
    metric: str,
    group: list[str],
    quarters: list[str],
    ks: list[int],
    min_count: int,
    cutoff: float,
) -> pd.DataFrame:
    """Every ordered neighbour pair of one level, with its p-value and the figures of its best ``k``.

    P-values above ``cutoff`` (the FDR level) are reported as 1: they cannot be significant."""
    wide = agg.pivot_table(
        index=[*group, *_ROUTE], columns="quarter", values=metric, aggfunc="sum", fill_value=0
    ).reindex(columns=quarters, fill_value=0)
    counts = wide.to_numpy(dtype=float)
    routes = wide.index.to_frame(index=False)
    rec = np.stack([counts[:, -k:].sum(axis=1) for k in ks], axis=1)  # routes x ks
    base = counts.sum(axis=1, keepdims=True) - rec
    codes = (
        routes.groupby(group, sort=False).ngroup().to_numpy()
        if group
        else np.zeros(len(routes), dtype=np.int64)
    )
    g_rec = np.zeros((codes.max() + 1, len(ks)))
    g_base = np.zeros_like(g_rec)
    np.add.at(g_rec, codes, rec)
    np.add.at(g_base, codes, base)

    left = routes.assign(_i=np.arange(len(routes)))
    pairs = (
        left.merge(left, on=group, suffixes=("_f", "_t"))
        if group
        else left.merge(left, how="cross", suffixes=("_f", "_t"))
    )
    same_office = pairs["office_f"] == pairs["office_t"]
    same_mode = pairs["transport_mode_f"] == pairs["transport_mode_t"]
    i, j = pairs["_i_f"].to_numpy(), pairs["_i_t"].to_numpy()
    total = counts.sum(axis=1)
    keep = (same_office ^ same_mode).to_numpy() & (total[i] + total[j] >= 2 * min_count)
    pairs, i, j = pairs[keep].reset_index(drop=True), i[keep], j[keep]
    if pairs.empty:
        return pd.DataFrame()

    a_b, a_r, b_b, b_r = base[i], rec[i], base[j], rec[j]
    rest_b = g_base[codes[i]] - a_b - b_b
    rest_r = g_rec[codes[i]] - a_r - b_r
    has_rest = (rest_b + rest_r) > 0
    # Per quarter, for the dispersion of each share in its base period.
    g_q = np.zeros((codes.max() + 1, counts.shape[1]))
    np.add.at(g_q, codes, counts)
    a_q, b_q = counts[i], counts[j]
    rest_q = g_q[codes[i]] - a_q - b_q
    # Every part must hold (intersection-union): the p-value of a k is the largest of the three. A part
    # above `cutoff` already decides that this k cannot count (see _share_fell), so the next parts are only
    # computed where the previous ones are below it. With no other route, the pair's own share is the test.
    p_k = np.ones_like(a_b)
    for c, k in enumerate(ks):
        nb = len(quarters) - k
        parts = (
            (a_q, b_q, (a_b, a_r, b_b, b_r), np.ones(len(pairs), dtype=bool)),
            (a_q, rest_q, (a_b, a_r, rest_b, rest_r), has_rest[:, c]),
            (rest_q, b_q, (rest_b, rest_r, b_b, b_r), has_rest[:, c]),
        )
        p = np.zeros(len(pairs))
        for x_q, y_q, figures, applies in parts:
            todo = np.flatnonzero(applies & (p <= cutoff))
            phi = _dispersion(x_q[todo, :nb], y_q[todo, :nb])
            part = _share_fell(*(v[todo, c] / phi for v in figures), cutoff=cutoff)
            p[todo] = np.maximum(p[todo], part)
        p_k[:, c] = np.where(p <= cutoff, p, 1.0)
    p = _simes(p_k)
    best = np.argmin(p_k, axis=1)
    row = np.arange(len(pairs))
    k = np.array(ks)[best]
    n_base = len(quarters) - k
    fb, fr = a_b[row, best] / n_base, a_r[row, best] / k
    tb, tr = b_b[row, best] / n_base, b_r[row, best] / k
    out = pairs[group].copy()
    out["from_office"], out["from_transport_mode"] = pairs["office_f"], pairs["transport_mode_f"]
    out["to_office"], out["to_transport_mode"] = pairs["office_t"], pairs["transport_mode_t"]
    out["from_before"], out["from_recent"], out["to_before"], out["to_recent"] = fb, fr, tb, tr
    out["shifted"] = np.clip(np.minimum(fb - fr, tr - tb) * k, 0.0, None)
    out["base_start"] = quarters[0]
    out["recent_start"] = [quarters[-int(x)] for x in k]
    out["p_value"] = p
    return out


def _share_fell(
    a_b: np.ndarray, a_r: np.ndarray, b_b: np.ndarray, b_r: np.ndarray, *, cutoff: float = 1.0
) -> np.ndarray:
    """One-sided Fisher exact p-value that A's share of A + B is lower in the recent period than before.

    Given the totals of A and of the recent period, A's recent count is hypergeometric under "same share".
    Counts divided by a dispersion factor are rounded to whole cases first. Where A's share did not fall the
    p-value is at least 1/2; when ``cutoff`` is below that, 1 is returned there without computing it (a
    p-value above the FDR level can neither be significant after Benjamini-Hochberg nor make another one so,
    nor bring a Simes combination below it).
    """
    a_b, a_r, b_b, b_r = (np.rint(v) for v in (a_b, a_r, b_b, b_r))
    n = a_b + a_r + b_b + b_r
    p = np.ones(n.shape)
    fell = (n > 0) & ((a_r * (a_b + b_b) < a_b * (a_r + b_r)) if cutoff < 0.5 else True)
    p[fell] = _hypergeom_cdf(a_r[fell], n[fell], (a_b + a_r)[fell], (a_r + b_r)[fell])
    return np.clip(p, 0.0, 1.0)


#: Tail terms summed per step of :func:`_hypergeom_cdf` (vectorised blocks instead of one Python loop turn per
#: term: tails of thousands of cases run to hundreds of terms).
_BLOCK = 32


def _hypergeom_cdf(x: np.ndarray, n: np.ndarray, good: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """``P(X <= x)`` for ``X ~ Hypergeometric(n, good, draws)``, vectorised.

    ``scipy.stats.hypergeom.cdf`` sums the probability mass from 0 to ``x`` for every value: with thousands of
    cases per route that takes minutes (130 s for one analysis of a 2-million-line world). Here the shorter
    tail is summed: below the mean ``P(X <= x)``, above it ``1 - P(X >= x + 1)``. The first term comes from
    log-gamma, the next ones from the ratio of successive probabilities (0 past the end of the support),
    until they no longer change the sum (a few standard deviations).
    """
    shape = np.shape(x)
    x, n, good, draws = (np.asarray(v, dtype=float).ravel() for v in (x, n, good, draws))
    bad = n - good
    upper = x > good * draws / np.where(n > 0, n, 1.0)
    k = np.where(upper, x + 1, x)
    lg = special.gammaln
    with np.errstate(invalid="ignore"):
        log_pmf = (
            lg(good + 1) - lg(k + 1) - lg(good - k + 1)
            + lg(bad + 1) - lg(draws - k + 1) - lg(bad - draws + k + 1)
            - (lg(n + 1) - lg(draws + 1) - lg(n - draws + 1))
        )  # fmt: skip
    inside = (k >= 0) & (k <= good) & (k <= draws) & (draws - k <= bad)
    term = np.where(inside, np.exp(np.where(inside, log_pmf, 0.0)), 0.0)
    total = term.copy()
    active = term > 0
    steps = np.arange(1, _BLOCK + 1, dtype=float)
    while active.any():
        # _BLOCK terms at a time: the ratios of successive probabilities along the tail, multiplied up.
        i = np.flatnonzero(active)
        up = upper[i, None]
        kk = k[i, None] + np.where(up, steps - 1, 1 - steps)  # the value each ratio starts from
        g, b, d = good[i, None], bad[i, None], draws[i, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            down_ratio = kk * (b - d + kk) / ((g - kk + 1) * (d - kk + 1))
            up_ratio = (g - kk) * (d - kk) / ((kk + 1) * (b - d + kk + 1))
        ratio = np.clip(np.nan_to_num(np.where(up, up_ratio, down_ratio), nan=0.0, posinf=0.0), 0.0, None)
        terms = term[i, None] * np.cumprod(ratio, axis=1)
        total[i] += terms.sum(axis=1)
        term[i] = terms[:, -1]
        k[i] = np.where(upper[i], k[i] + _BLOCK, k[i] - _BLOCK)
        active[i] = term[i] > 1e-15 * total[i]
    return np.clip(np.where(upper, 1.0 - total, total), 0.0, 1.0).reshape(shape)


def _dispersion(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Quasi-binomial dispersion of the share ``x / (x + y)`` across the base quarters (columns), at least 1.

    Counts vary more from quarter to quarter than a binomial share allows (seasonal campaigns, one big
    case, shocks common to a route); dividing the counts by this factor before the exact test keeps the
    tests honest on large worlds. It is Pearson's chi-square of the quarters against their common share
    over its degrees of freedom.
    """
    n = x + y
    with np.errstate(divide="ignore", invalid="ignore"):
        share = x.sum(axis=1, keepdims=True) / n.sum(axis=1, keepdims=True)
        var = n * share * (1 - share)
        chi2 = np.where(var > 0, (x - n * share) ** 2 / var, 0.0).sum(axis=1)
        df = (var > 0).sum(axis=1) - 1
        phi = np.where(df > 0, chi2 / np.maximum(df, 1), 1.0)
    return np.maximum(np.nan_to_num(phi, nan=1.0), 1.0)


def _simes(p: np.ndarray) -> np.ndarray:
    """Simes' combination of the p-values of each row (valid for the positively dependent nested periods)."""
    s = np.sort(p, axis=1)
    m = s.shape[1]
    return np.asarray(np.min(s * m / np.arange(1, m + 1), axis=1))
