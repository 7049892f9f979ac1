"""Profile proposals mined from labelled history: beam-search subgroup discovery.

A subgroup is a conjunction of readable conditions (``hs4 = 6404 AND origin = KH AND transport = post``).
The search keeps the ``beam_width`` best subgroups at each depth and refines them by one more condition;
quality is ``sqrt(n) * (p - p0)`` by default (the binomial test quality: it prefers purer subgroups than
WRAcc ``n/N * (p - p0)``, which cannot tell a rule from the same rule padded with base-rate rows). Counts
for every refinement of a subgroup come from one sparse matrix-vector product over a one-hot encoding of the
conditions, never from a loop over declarations.

Each subgroup becomes a :class:`Profile` (status ``proposed``) whose :class:`Evidence` holds its support and
hit rate on the mining period and, measured by the rule engine, its coverage and hit rate on the later
period: what a person needs to judge the proposal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse

from iprisk.errors import InvalidInput, Problem
from iprisk.profiles.engine import matches_by_profile
from iprisk.profiles.model import Criteria, Evidence, Profile, Range, Scope

Quality = Literal["binomial", "wracc", "lift"]

#: Attribute -> (group, criteria field). Two conditions of one group never combine (hs2 and hs4, say).
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "hs2": ("hs", "hs_prefixes"),
    "hs4": ("hs", "hs_prefixes"),
    "hs6": ("hs", "hs_prefixes"),
    "origin_country": ("origin_country", "origin_countries"),
    "departure_country": ("departure_country", "departure_countries"),
    "office": ("office", "offices"),
    "transport_mode": ("transport_mode", "transport_modes"),
    "trader_id": ("trader_id", "trader_ids"),
    "declarant_id": ("declarant_id", "declarant_ids"),
    "seller_id": ("seller_id", "seller_ids"),
    "carrier_id": ("carrier_id", "carrier_ids"),
    "value_per_kg": ("value_per_kg", "value_per_kg"),
}
_LABELS = {"hs2": "HS", "hs4": "HS", "hs6": "HS", "value_per_kg": "value/kg"}


@dataclass(frozen=True, slots=True)
class Condition:
    """One readable condition: ``attribute = value`` (or ``value/kg in [lo, hi]``)."""

    attribute: str
    value: Any

    @property
    def group(self) -> str:
        return ATTRIBUTES[self.attribute][0]

    def __str__(self) -> str:
        name = _LABELS.get(self.attribute, self.attribute.replace("_", " "))
        if isinstance(self.value, Range):
            lo = "" if self.value.min is None else f"{self.value.min:g} <= "
            hi = "" if self.value.max is None else f" <= {self.value.max:g}"
            return f"{lo}{name}{hi}"
        return f"{name} {self.value}"


@dataclass(frozen=True, slots=True)
class Subgroup:
    conditions: tuple[Condition, ...]
    support: int  # labelled declarations matched
    positives: int  # of which hits
    quality: float
    rate: float  # hit rate; weighted by 1 / propensity when the search was weighted

    def hit_rate(self) -> float:
        return self.rate


def _label(series: pd.Series) -> pd.Series:
    """0/1 floats, NaN where unlabelled; accepts booleans, 0/1 and true/false strings."""
    if series.dtype == bool or pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    text = series.astype("string").str.strip().str.lower()
    mapped = text.map({"1": 1.0, "true": 1.0, "yes": 1.0, "0": 0.0, "false": 0.0, "no": 0.0})
    return pd.to_numeric(mapped, errors="coerce").astype("float64")


def _columns(frame: pd.DataFrame, attributes: Sequence[str], vpk_edges: np.ndarray | None) -> pd.DataFrame:
    """The attributes as categorical-friendly columns (strings; value/kg as a bin number)."""
    out = pd.DataFrame(index=frame.index)
    hs = frame["hs_code"].astype("string") if "hs_code" in frame else None
    for attr in attributes:
        if attr in ("hs2", "hs4", "hs6"):
            if hs is not None:
                width = int(attr[2:])
                out[attr] = hs.where(hs.str.len() >= width).str.slice(0, width)
        elif attr == "value_per_kg":
            if vpk_edges is not None and {"value", "net_mass_kg"} <= set(frame.columns):
                mass = frame["net_mass_kg"].astype("float64")
                vpk = frame["value"].astype("float64") / mass.where(mass > 0)
                out[attr] = pd.Series(
                    np.searchsorted(vpk_edges, vpk.to_numpy(), side="left"), index=frame.index
                )
                out.loc[vpk.isna(), attr] = np.nan
        elif attr in frame:
            out[attr] = frame[attr].astype("string")
    return out


def _vpk_edges(frame: pd.DataFrame, bins: int) -> np.ndarray | None:
    if bins < 2 or not {"value", "net_mass_kg"} <= set(frame.columns):
        return None
    mass = frame["net_mass_kg"].astype("float64")
    vpk = (frame["value"].astype("float64") / mass.where(mass > 0)).dropna()
    if vpk.empty:
        return None
    edges = np.unique(np.quantile(vpk.to_numpy(), np.linspace(0, 1, bins + 1)[1:-1]))
    # significant digits only, so that the criteria read well (12.5, not 12.4837...)
    return np.unique(np.array([float(f"{e:.3g}") for e in edges]))


def _vpk_range(edges: np.ndarray, k: int) -> Range:
    lo = None if k == 0 else float(edges[k - 1])
    hi = None if k >= len(edges) else float(edges[k])
    return Range(min=lo, max=hi)


def _encode(
    attrs: pd.DataFrame, min_support: int, top_values: int, vpk_edges: np.ndarray | None
) -> tuple[sparse.csc_matrix, list[Condition]]:
    """One-hot conditions of at least ``min_support`` rows (the ``top_values`` commonest per attribute)."""
    n = len(attrs)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    conditions: list[Condition] = []
    for attr in attrs.columns:
        counts = attrs[attr].value_counts(dropna=True)
        counts = counts[counts >= min_support].head(top_values)
        if counts.empty:
            continue
        values = list(counts.index)
        codes = pd.Categorical(attrs[attr], categories=values).codes
        hit = codes >= 0
        rows.append(np.flatnonzero(hit))
        cols.append(codes[hit].astype(np.int64) + len(conditions))
        for v in values:
            if attr == "value_per_kg":
                assert vpk_edges is not None
                conditions.append(Condition(attr, _vpk_range(vpk_edges, int(v))))
            else:
                conditions.append(Condition(attr, str(v)))
    if not conditions:
        return sparse.csc_matrix((n, 0), dtype=np.float64), []
    r, c = np.concatenate(rows), np.concatenate(cols)
    matrix = sparse.csc_matrix((np.ones(len(r)), (r, c)), shape=(n, len(conditions)))
    return matrix, conditions


def _quality(kind: Quality, n: np.ndarray, rate: np.ndarray, total: int, p0: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "wracc":
            return (n / total) * (rate - p0)
        if kind == "lift":
            return rate / p0 if p0 > 0 else rate
        return np.sqrt(n) * (rate - p0)


def beam_search(
    matrix: sparse.csc_matrix,
    conditions: Sequence[Condition],
    y: np.ndarray,
    *,
    min_support: int = 30,
    max_depth: int = 3,
    beam_width: int = 20,
    quality: Quality = "binomial",
    weights: np.ndarray | None = None,
) -> list[Subgroup]:
    """Every subgroup the beam visited that beats the base rate, best first.

    ``weights`` (``1 / propensity`` of each labelled declaration) make hit rates estimate those of all
    declarations rather than of the controlled ones; support stays a plain count.
    """
    total = len(y)
    w = np.ones(total) if weights is None else np.asarray(weights, dtype=np.float64)
    p0 = float(np.sum(w * y) / np.sum(w)) if total else 0.0
    groups = np.array([c.group for c in conditions])
    xt = matrix.T.tocsr()
    beam: list[tuple[tuple[int, ...], np.ndarray]] = [((), np.ones(total, dtype=bool))]
    found: dict[frozenset[int], Subgroup] = {}
    for _ in range(max_depth):
        candidates: list[tuple[float, tuple[int, ...]]] = []
        for chosen, mask in beam:
            m = mask.astype(np.float64)
            n = xt @ m
            p = xt @ (m * y)
            nw = xt @ (m * w)
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(nw > 0, (xt @ (m * w * y)) / nw, 0.0)
            q = _quality(quality, n, rate, total, p0)
            ok = (n >= min_support) & (n < mask.sum()) & (rate > p0)
            if chosen:
                ok &= ~np.isin(groups, groups[list(chosen)])
            for j in np.flatnonzero(ok):
                key = frozenset((*chosen, int(j)))
                if key in found:
                    continue
                conds = tuple(conditions[i] for i in sorted(key))
                found[key] = Subgroup(conds, int(n[j]), round(float(p[j])), float(q[j]), float(rate[j]))
                candidates.append((float(q[j]), tuple(sorted(key))))
        candidates.sort(key=lambda c: -c[0])
        beam = []
        for _q, key_t in candidates[:beam_width]:
            mask = np.asarray(matrix[:, list(key_t)].sum(axis=1)).ravel() == len(key_t)
            beam.append((key_t, mask))
        if not beam:
            break
    # equal quality (often the same rows: "HS 95" and "HS 950300" when only 950300 occurs): fewer conditions
    # first, then the most specific HS prefix, which claims nothing about codes never seen
    return sorted(
        found.values(),
        key=lambda s: (
            -round(s.quality, 12),
            len(s.conditions),
            -_specificity(s),
            [str(c) for c in s.conditions],
        ),
    )


def _specificity(sg: Subgroup) -> int:
    return sum(len(str(c.value)) for c in sg.conditions if c.group == "hs")


def _risk_level(lift: float) -> int:
    return 5 if lift >= 8 else 4 if lift >= 4 else 3 if lift >= 2 else 2 if lift >= 1.5 else 1


def _to_profile(
    sg: Subgroup,
    *,
    pid: str,
    owner: str,
    flow: str,
    train_until: date,
    p0: float,
    n_labelled: int,
    weighted: bool = False,
) -> Profile:
    fields: dict[str, Any] = {}
    offices: list[str] = []
    for c in sg.conditions:
        target = ATTRIBUTES[c.attribute][1]
        if target == "offices":
            offices.append(str(c.value))
        elif target == "value_per_kg":
            fields[target] = c.value
        else:
            fields.setdefault(target, []).append(str(c.value))
    lift = sg.hit_rate() / p0 if p0 > 0 else 0.0
    text = " AND ".join(str(c) for c in sg.conditions)
    return Profile(
        id=pid,
        status="proposed",
        title=f"Mined: {text}"[:200],
        owner=owner,
        scope=Scope(flow=flow, offices=offices),  # type: ignore[arg-type]
        criteria=Criteria(**fields),
        risk_level=_risk_level(lift),
        control="documentary",
        valid_from=train_until + timedelta(days=1),
        rationale=(
            f"Mined from {n_labelled} labelled declarations up to {train_until}: {sg.positives} hits in "
            f"{sg.support} matched, hit rate {sg.hit_rate():.1%} against a base rate of {p0:.1%} "
            f"(lift {lift:.1f})" + (", rates weighted by 1 / selection propensity." if weighted else ".")
        ),
        evidence=Evidence(
            train_until=train_until,
            train_support=sg.support,
            train_hit_rate=sg.hit_rate(),
            train_lift=lift,
            quality=sg.quality,
        ),
    )


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def measure(
    profiles: Sequence[Profile],
    later: pd.DataFrame,
    y_later: pd.Series,
    *,
    test_from: date | None,
    weights: np.ndarray | None = None,
) -> list[Profile]:
    """Add the later period's coverage, hit rate and recall (matches by the rule engine) to each profile.

    ``weights`` (``1 / propensity``, one per later declaration) weight the labelled ones.
    """
    if not profiles:
        return []
    flags = matches_by_profile(later, profiles, check_validity=False) if len(later) else None
    labelled = y_later.notna().to_numpy()
    w = np.ones(len(later)) if weights is None else np.nan_to_num(np.asarray(weights, dtype=np.float64))
    y = y_later.fillna(0).to_numpy() * w
    out = []
    for p in profiles:
        assert p.evidence is not None
        if flags is None:
            out.append(p)
            continue
        hit = flags[p.id].to_numpy(dtype=bool)
        matched = int(hit.sum())
        lab_matched = float(w[hit & labelled].sum())
        hits = float(y[hit & labelled].sum())
        all_hits = float(y[labelled].sum())
        evidence = p.evidence.model_copy(
            update={
                "test_from": test_from,
                "test_declarations": len(later),
                "test_matched": matched,
                "test_coverage": matched / len(later),
                "test_hit_rate": hits / lab_matched if lab_matched else None,
                "test_recall": hits / all_hits if all_hits else None,
            }
        )
        out.append(p.model_copy(update={"evidence": evidence}))
    return out


def _mine_flow(
    train: pd.DataFrame,
    y: np.ndarray,
    *,
    attributes: Sequence[str],
    min_support: int,
    max_depth: int,
    beam_width: int,
    max_profiles: int,
    max_overlap: float,
    quality: Quality,
    top_values: int,
    vpk_bins: int,
    weights: np.ndarray | None = None,
) -> list[tuple[Subgroup, float]]:
    """The best non-overlapping subgroups of one flow's labelled declarations, with the flow's base rate."""
    if len(train) == 0 or y.sum() == 0:
        return []
    edges = _vpk_edges(train, vpk_bins)
    matrix, conditions = _encode(_columns(train, attributes, edges), min_support, top_values, edges)
    found = beam_search(
        matrix,
        conditions,
        y,
        min_support=min_support,
        max_depth=max_depth,
        beam_width=beam_width,
        quality=quality,
        weights=weights,
    )
    p0 = float(np.average(y, weights=weights))
    index = {c: i for i, c in enumerate(conditions)}
    kept: list[tuple[Subgroup, np.ndarray]] = []
    for sg in found:
        if all(c.attribute == "office" for c in sg.conditions):
            continue  # scope alone is not a profile: it needs a criterion
        cols = [index[c] for c in sg.conditions]
        mask = np.asarray(matrix[:, cols].sum(axis=1)).ravel() == len(cols)
        if any(_overlap(mask, m) > max_overlap for _s, m in kept):
            continue
        kept.append((sg, mask))
        if len(kept) >= max_profiles:
            break
    return [(sg, p0) for sg, _m in kept]


def mine_profiles(
    declarations: pd.DataFrame | pa.Table,
    *,
    train_until: date,
    label: str = "infringement",
    attributes: Sequence[str] = tuple(ATTRIBUTES),
    min_support: int = 30,
    max_depth: int = 3,
    beam_width: int = 20,
    max_profiles: int = 10,
    max_overlap: float = 0.5,
    quality: Quality = "binomial",
    top_values: int = 50,
    vpk_bins: int = 5,
    owner: str = "EU",
    id_prefix: str = "MINED",
    propensity: str | None = None,
) -> list[Profile]:
    """Mine up to ``max_profiles`` proposals on labelled declarations dated ``<= train_until``.

    Declarations after ``train_until`` measure each proposal (coverage over all of them, hit rate and recall
    over the labelled ones). Each flow (import, export) is mined on its own declarations, since a profile
    applies to one flow. Proposals covering more than ``max_overlap`` (Jaccard) of a better one are
    dropped. Unlabelled rows (label missing) are ignored for mining.

    ``propensity`` names a column holding each declaration's selection propensity (e.g.
    ``selection_propensity``, as :func:`iprisk.selection.select` records it): labelled declarations are then
    weighted by ``1 / propensity``, so that hit rates estimate those of all declarations of a subgroup rather
    than those of the ones a biased policy chose to control.
    """
    frame = (
        declarations.to_pandas()
        if isinstance(declarations, pa.Table)
        else declarations.reset_index(drop=True)
    )
    if label not in frame:
        raise _missing_column(label, "label", frame)
    days = pd.to_datetime(frame["date"]).dt.date
    y_all = _label(frame[label])
    early = (days <= train_until).to_numpy()
    train = frame[early & y_all.notna().to_numpy()].reset_index(drop=True)
    y = y_all[early & y_all.notna().to_numpy()].to_numpy()
    later = frame[~early].reset_index(drop=True)
    y_later = y_all[~early].reset_index(drop=True)
    if len(train) == 0 or y.sum() == 0:
        return []
    w_train: np.ndarray | None = None
    w_later: np.ndarray | None = None
    if propensity is not None:
        if propensity not in frame:
            raise _missing_column(propensity, "propensity", frame)
        p_all = pd.to_numeric(frame[propensity], errors="coerce").to_numpy(dtype=np.float64)
        labelled = early & y_all.notna().to_numpy()
        p_train = p_all[labelled]
        if not np.all(p_train > 0):
            row = int(np.flatnonzero(labelled)[np.flatnonzero(~(p_train > 0))[0]]) + 1
            raise InvalidInput(
                [
                    Problem(
                        "propensity",
                        "every labelled declaration needs a selection propensity > 0",
                        row=row,
                        column=propensity,
                        value=str(frame[propensity].iloc[row - 1]),
                    )
                ],
                source="declarations",
            )
        w_train = 1.0 / p_train
        with np.errstate(divide="ignore"):
            w_later = np.where(p_all[~early] > 0, 1.0 / p_all[~early], 0.0)
    flows = (
        train["flow"].fillna("import").astype(str)
        if "flow" in train
        else pd.Series("import", index=train.index, dtype=str)
    )
    chosen: list[tuple[Subgroup, str, float, int]] = []
    # a profile applies to one flow: mine each flow on its own declarations, then keep the best overall
    for flow in sorted(flows.unique()):
        in_flow = (flows == flow).to_numpy()
        for sg, p0 in _mine_flow(
            train[in_flow].reset_index(drop=True),
            y[in_flow],
            attributes=attributes,
            min_support=min_support,
            max_depth=max_depth,
            beam_width=beam_width,
            max_profiles=max_profiles,
            max_overlap=max_overlap,
            quality=quality,
            top_values=top_values,
            vpk_bins=vpk_bins,
            weights=None if w_train is None else w_train[in_flow],
        ):
            chosen.append((sg, flow, p0, int(in_flow.sum())))
    chosen.sort(key=lambda t: -t[0].quality)
    chosen = chosen[:max_profiles]
    width = max(2, math.ceil(math.log10(max_profiles + 1)))
    profiles = [
        _to_profile(
            sg,
            pid=f"{id_prefix}-{train_until:%Y%m%d}-{k:0{width}d}",
            owner=owner,
            flow=flow,
            train_until=train_until,
            p0=p0,
            n_labelled=n_labelled,
            weighted=propensity is not None,
        )
        for k, (sg, flow, p0, n_labelled) in enumerate(chosen, start=1)
    ]
    test_from = min(pd.to_datetime(later["date"]).dt.date) if len(later) else None
    return measure(profiles, later, y_later, test_from=test_from, weights=w_later)


def _missing_column(name: str, role: str, frame: pd.DataFrame) -> InvalidInput:
    columns = ", ".join(map(str, frame.columns))
    return InvalidInput(
        [
            Problem(
                "missing_column",
                f"the {role} column is not in the declarations (columns: {columns})",
                column=name,
            )
        ],
        source="declarations",
    )
