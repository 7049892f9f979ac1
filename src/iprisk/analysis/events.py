"""Events: the signals of one surge told as one story.

One surge shows at several levels: extra cases of toys by express from China also raise toys, express and
cases from China. Of the significant segments of a quarter (one sense: rises and new segments together,
drops apart), the detector keeps the fewest that explain all the others, each the **headline** of an event,
and every other significant segment joins the event whose headline carries the largest share of its extra
cases: as a *broader* segment (it contains the headline: ``toys`` under ``toys by express``), a *narrower*
one (a share of a surge spread over the headline: ``toys by express infringing trademarks``), or an
*overlapping* one (``cases from China``).

**Explaining away.** Each headline ``h`` gets a rate ``x_h`` of extra cases (``x_h = 2``: three times its
expectation). A segment ``s`` then expects ``M_s = E_s + sum_h x_h E(s & h)``, where ``E(s & h)`` is the
expectation of the cases ``s`` and ``h`` share (the shared cells' share of the history, applied to the
expectation of ``s`` or of ``h``, whichever is smaller), and its *conditional* p-value is the test's
negative-binomial tail at ``M_s`` instead of ``E_s``. The rates are fitted to the headlines' own counts
(least squares weighted by their variances, rates of the sense's sign). Then:

1. *forward*: the segment with the smallest conditional p-value becomes a headline, while that p-value is
   within the quarter's false-discovery cutoff (the largest p-value Benjamini-Hochberg rejected);
2. *backward*: a headline the others explain (conditional p-value above the cutoff) is dropped;
3. *names*: a segment around several headlines replaces them when that takes no more headlines (those
   still significant given it stay: a narrow rise inside a broad one); a headline moves up to the smallest
   segment around it that tells its rise better, or down to the smallest segment inside it that does.
   "Better" compares two stories of the smaller segment and of the rest of the larger one, each with one
   rate of extra cases: the rise in the smaller segment alone, or spread evenly over the larger one
   (negative-binomial likelihoods; a tie goes to the smaller). So pieces of a broad rise, or a dominant
   value (trademarks, four cases in five) whose rest rose as well, are told under their parent, and a part
   that rose alone keeps its own name. The new name must be significant given the other headlines, and
   every segment must stay explained; then the backward step again.

4. *split*: a significant segment inside a headline is judged against the rate of the *rest* of that
   headline (fitted without the segment's own cases, which would otherwise inflate it) and becomes a
   headline of its own when it still stands out; a headline around it that it now explains gives way.

So a surge planted in one segment is told once, under that segment; a narrow surge inside a broad one is two
events (the narrow segment's rise is not explained by the broad rate); and a parent that only carries its
child's cases (``road clothing`` when the rise is all at one office) joins the child's event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from iprisk.analysis._baseline import nb_lower, nb_upper
from iprisk.analysis._common import SIGNAL_DIMENSIONS
from iprisk.analysis._segments import SegmentCounts, SegmentKey

#: Headline moves (down to a concentrated child, up to a parent of a dominant value) at most per quarter.
_MAX_MOVES = 50

#: Roles of a signal in its event.
ROLES = ("headline", "broader", "narrower", "overlapping")

#: Columns of :func:`event_table` (``events.csv`` adds the headline's explanation).
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "quarter",
    "direction",
    *SIGNAL_DIMENSIONS,
    "metric",
    "observed",
    "expected",
    "extra",
    "p_value",
    "q_value",
    "score",
    "rank",
    "previous",
    "span",
    "broader",
    "narrower",
    "overlapping",
)


@dataclass(frozen=True)
class CellCounts:
    """Counts of the coarse cells (one value of every dimension) per quarter, for shares of shared cases."""

    values: pd.DataFrame  # one row per cell, one column per dimension
    counts: np.ndarray  # cells x quarters
    quarters: list[str]

    @classmethod
    def of(cls, counts: SegmentCounts) -> CellCounts:
        coarse = counts.coarse
        if coarse is None or not coarse.keys:
            return cls(pd.DataFrame(), np.zeros((0, len(counts.quarters))), counts.quarters)
        values = pd.DataFrame([dict(k) for k in coarse.keys])
        return cls(values, coarse.counts, counts.quarters)

    def members(self, keys: Sequence[SegmentKey]) -> np.ndarray:
        """cells x keys: whether each cell belongs to each segment."""
        out = np.ones((len(self.values), len(keys)), dtype=bool)
        for j, key in enumerate(keys):
            for d, v in key:
                out[:, j] &= (self.values[d] == v).to_numpy() if d in self.values else False
        return out


def assign_events(
    sig: pd.DataFrame, cells: CellCounts, *, p_cutoff: dict[str, float], history: int
) -> pd.DataFrame:
    """Add ``head`` (the row label of the event's headline), ``role`` and ``share`` to significant tests.

    ``sig`` holds the significant tests (``segment_tests`` rows: quarter, direction, key, depth, observed,
    expected, alpha_eff, p_value); ``p_cutoff`` the largest p-value Benjamini-Hochberg rejected, per quarter;
    ``history`` the quarters of history of the shares. ``share`` is the fraction of the segment's extra
    cases (or missing cases, for a drop) that its event's headline accounts for (1 for the headline).
    """
    out = sig.copy()
    out["head"] = out.index
    out["role"] = "headline"
    out["share"] = 1.0
    if out.empty:
        return out
    qpos = {q: i for i, q in enumerate(cells.quarters)}
    sense = np.where(out["direction"].to_numpy() == "down", "down", "up")
    for (quarter, s), grp in out.groupby([out["quarter"], sense], sort=True):
        j = qpos[str(quarter)]
        window = slice(max(0, j - min(j, history)), j)
        members = cells.members(list(grp["key"]))
        story = _Quarter(
            observed=grp["observed"].to_numpy(dtype=float),
            expected=grp["expected"].to_numpy(dtype=float),
            alpha=grp["alpha_eff"].to_numpy(dtype=float),
            p0=grp["p_value"].to_numpy(dtype=float),
            order=np.lexsort((grp["expected"].to_numpy(dtype=float), -grp["depth"].to_numpy())),
            members=members,
            shared=_shared_expectation(
                grp["expected"].to_numpy(dtype=float), members, cells.counts[:, window].sum(axis=1)
            ),
            down=s == "down",
            cutoff=p_cutoff[str(quarter)],
        )
        heads = story.select()
        head, role, share = story.attach(heads)
        labels = grp.index.to_numpy()
        out.loc[labels, "head"] = labels[head]
        out.loc[labels, "role"] = role
        out.loc[labels, "share"] = share
    return out


def _shared_expectation(expected: np.ndarray, members: np.ndarray, history: np.ndarray) -> np.ndarray:
    """``E(s & h)`` for every pair: the shared cells' share of each segment's history times that segment's
    expectation, the smaller of the two (so ``E(s & s) = E_s``, and a segment inside another gets its own)."""
    weighted = members * history[:, None]
    shared = weighted.T @ members.astype(float)
    own = np.diag(shared)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_s = np.where(own[:, None] > 0, expected[:, None] * shared / own[:, None], np.inf)
        by_h = np.where(own[None, :] > 0, expected[None, :] * shared / own[None, :], np.inf)
    out = np.minimum(by_s, by_h)
    out = np.where(np.isfinite(out), out, 0.0)
    np.fill_diagonal(out, expected)
    return out


@dataclass
class _Quarter:
    """The significant segments of one quarter and sense, and the explaining-away selection over them."""

    observed: np.ndarray
    expected: np.ndarray
    alpha: np.ndarray
    p0: np.ndarray
    order: np.ndarray  # most specific first: depth descending, then expectation ascending
    members: np.ndarray  # cells x segments
    shared: np.ndarray  # segments x segments: E(s & h)
    down: bool
    cutoff: float

    def rates(self, heads: list[int]) -> np.ndarray:
        """Rates of extra cases of the headlines, fitted to their own counts."""
        if not heads:
            return np.zeros(0)
        h = np.asarray(heads)
        a = self.shared[np.ix_(h, h)]
        b = self.observed[h] - self.expected[h]
        sd = np.sqrt(self.expected[h] * (1 + self.alpha[h] * self.expected[h]) + 1.0)
        bounds = (-1.0, 0.0) if self.down else (0.0, np.inf)
        return optimize.lsq_linear(a / sd[:, None], b / sd, bounds=bounds).x

    def conditional_p(self, heads: list[int]) -> np.ndarray:
        """Every segment's p-value given the headlines' rates (its own test's where none overlaps it)."""
        if not heads:
            return self.p0.copy()
        extra = self.shared[:, heads] @ self.rates(heads)
        mean = np.maximum(self.expected + extra, 1e-9)
        tail = nb_lower if self.down else nb_upper
        return np.where(extra == 0, self.p0, tail(self.observed, mean, self.alpha))

    def p_given_others(self, heads: list[int], i: int) -> float:
        return float(self.conditional_p([h for h in heads if h != i])[i])

    def select(self) -> list[int]:
        """The headlines: forward selection until every other segment is explained, backward elimination,
        then each headline moved to its most specific name; no step leaves a segment unexplained."""
        heads = self._backward(self._forward([]))
        for _ in range(_MAX_MOVES):
            moved = self._move(heads)
            if moved is None:
                break
            heads = self._backward(moved)
        return self._split(heads)

    def leave_out_p(self, heads: list[int], i: int) -> float:
        """``i``'s p-value given the headlines, their rates fitted without ``i``'s own cases: a narrow rise
        inside a broad headline is judged against the rise of the rest of that headline, not against a rate
        its own extra cases inflated."""
        h = np.asarray([k for k in heads if k != i])
        if h.size == 0:
            return float(self.p0[i])
        holds = np.array([self._within(i, k) for k in h])
        a = self.shared[np.ix_(h, h)] - np.where(holds[:, None], self.shared[i, h][None, :], 0.0)
        observed = self.observed[h] - np.where(holds, self.observed[i], 0.0)
        expected = self.expected[h] - np.where(holds, self.expected[i], 0.0)
        keep = expected > 0
        if not keep.any():
            return float(self.p0[i])
        sd = np.sqrt(np.maximum(expected, 0.0) * (1 + self.alpha[h] * np.maximum(expected, 0.0)) + 1.0)
        bounds = (-1.0, 0.0) if self.down else (0.0, np.inf)
        rates = np.zeros(h.size)
        rates[keep] = optimize.lsq_linear(
            a[np.ix_(keep, keep)] / sd[keep, None],
            (observed - expected)[keep] / sd[keep],
            bounds=bounds,
            method="bvls",  # exact on these few, sometimes nearly collinear, headlines
        ).x
        extra = float(self.shared[i, h] @ rates)
        if extra == 0:
            return float(self.p0[i])
        tail = nb_lower if self.down else nb_upper
        mean = max(self.expected[i] + extra, 1e-9)
        return float(tail(self.observed[i : i + 1], np.array([mean]), self.alpha[i : i + 1])[0])

    def _split(self, heads: list[int]) -> list[int]:
        """Add, most significant first, the segments inside a headline that stay significant against the
        rest of it (:meth:`leave_out_p`): a narrow surge inside a broad one is its own event. A headline
        around the new one that it now explains gives way to it (its rise was the narrow one's)."""
        heads = list(heads)
        while True:
            inside = [
                i
                for i in range(len(self.p0))
                if i not in heads and self.p0[i] <= self.cutoff and any(self._within(i, h) for h in heads)
            ]
            p = {i: self.leave_out_p(heads, i) for i in inside}
            split = [i for i in inside if p[i] <= self.cutoff]
            if not split:
                return heads
            new = min(split, key=lambda i: (p[i], self._rank[i]))
            heads = [*heads, new]
            for h in [k for k in heads if k != new and self._within(new, k)]:
                trial = [k for k in heads if k != h]
                if self.p_given_others(heads, h) > self.cutoff and self.explains(trial):
                    heads = trial

    def _forward(self, heads: list[int]) -> list[int]:
        """Add, most significant first, the segments the headlines leave unexplained."""
        heads = list(heads)
        while True:
            p = self.conditional_p(heads)
            free = [i for i in range(len(p)) if i not in heads and p[i] <= self.cutoff]
            if not free:
                return heads
            heads.append(min(free, key=lambda i: (p[i], self._rank[i])))

    @property
    def _rank(self) -> np.ndarray:
        rank = np.empty(len(self.order), dtype=int)
        rank[self.order] = np.arange(len(self.order))
        return rank

    def explains(self, heads: list[int]) -> bool:
        """Whether the headlines explain every other segment (conditional p-values above the cutoff)."""
        p = self.conditional_p(heads)
        return bool(np.all(np.delete(p, heads) > self.cutoff))

    def _backward(self, heads: list[int]) -> list[int]:
        """Drop, weakest first, the headlines the others explain (and whatever they explained)."""
        heads = list(heads)
        while len(heads) > 0:
            p = np.array([self.p_given_others(heads, i) for i in heads])
            dropped = False
            for k in np.argsort(-p, kind="stable"):
                if p[k] <= self.cutoff:
                    break
                trial = heads[:k] + heads[k + 1 :]
                if self.explains(trial):
                    heads = trial
                    dropped = True
                    break
            if not dropped:
                break
        return heads

    def _move(self, heads: list[int]) -> list[int] | None:
        """One better naming of the headlines, or None; the new name must be significant given the other
        headlines, and everything must stay explained.

        - Merge: a segment around several headlines replaces them all, keeping those still significant
          given it (pieces of one broad rise are one story; a narrow rise inside it stays its own), and
          adding what it leaves unexplained, when that makes no more headlines than before.
        - Up: the smallest segment around a headline (and around no other) that tells its rise better
          (:meth:`inner_fits_better` is false: a dominant value whose rest rose as well).
        - Down: the smallest segment inside a headline that tells it better.
        """
        size = self.members.sum(axis=0)
        free = [d for d in range(len(size)) if d not in heads]
        for d in sorted(free, key=lambda d: (size[d], d)):
            inside = [k for k in heads if self._within(k, d)]
            if len(inside) < 2:
                continue
            trial = [k for k in heads if k not in inside] + [d]
            p = self.conditional_p(trial)
            trial = self._forward(trial + [k for k in inside if p[k] <= self.cutoff])
            if len(trial) <= len(heads) and d in trial and self.p_given_others(trial, d) <= self.cutoff:
                return trial
        for h in heads:
            others = [k for k in heads if k != h]
            around = [d for d in free if size[d] > size[h] and self._within(h, d)]
            for d in sorted(around, key=lambda d: (size[d], d)):
                if any(self._within(k, d) for k in others) or self.inner_fits_better(h, d, others):
                    continue
                if self._accepts([*others, d], d):
                    return [*others, d]
            p = self.conditional_p(others)
            within = [d for d in free if p[d] <= self.cutoff and size[d] < size[h] and self._within(d, h)]
            for d in sorted(within, key=lambda d: (self.expected[d], d)):
                if self.inner_fits_better(d, h, others) and self._accepts([*others, d], d):
                    return [*others, d]
        return None

    def inner_fits_better(self, d: int, h: int, others: list[int]) -> bool:
        """Whether a rise in ``d`` alone tells ``h`` (which contains it) better than one spread evenly over
        ``h``: the negative-binomial likelihood of ``d`` and of the rest of ``h``, given the ``others``
        headlines, with one rate either for ``d`` alone (the rest at its expectation) or for all of ``h``.
        Both have one free rate, so the likelihoods compare directly; a tie goes to ``d``, the more specific.
        A dominant value (trademarks, four cases in five) whose rest rose as well is told under its parent;
        a part that rose alone keeps its own name."""
        mean = self.expected.copy()
        if others:
            mean = mean + self.shared[:, others] @ self.rates(others)
        obs = np.array([self.observed[d], max(self.observed[h] - self.observed[d], 0.0)])
        base = np.array([max(mean[d], 1e-9), max(mean[h] - mean[d], 1e-9)])
        alpha = np.array([self.alpha[d], self.alpha[h]])
        alone = np.array([max(obs[0], 1e-9), base[1]])
        spread = base * obs.sum() / base.sum()
        return bool(_nb_loglik(obs, alone, alpha) >= _nb_loglik(obs, spread, alpha))

    def _accepts(self, trial: list[int], new: int) -> bool:
        return self.explains(trial) and self.p_given_others(trial, new) <= self.cutoff

    def _within(self, d: int, h: int) -> bool:
        return bool((self.members[:, h] >= self.members[:, d]).all())

    def attach(self, heads: list[int]) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Per segment: its headline, its role and the share of its extra cases that headline carries."""
        n = len(self.observed)
        head = np.arange(n)
        role = ["headline"] * n
        share = np.ones(n)
        if not heads:
            return head, role, share
        x = self.rates(heads)
        explained = self.shared[:, heads] * x[None, :]  # segments x headlines
        own = self.observed - self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.where(own[:, None] != 0, explained / own[:, None], 0.0)
        for i in range(n):
            if i in heads:
                continue
            best = int(np.argmax(fraction[i]))
            if fraction[i, best] <= 0:
                continue  # nothing explains it: its own event
            h = heads[best]
            head[i] = h
            share[i] = float(min(fraction[i, best], 1.0))
            mine, theirs = self.members[:, i], self.members[:, h]
            if (mine >= theirs).all():
                role[i] = "broader"
            elif (theirs >= mine).all():
                role[i] = "narrower"
            else:
                role[i] = "overlapping"
        return head, role, share


def _nb_loglik(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> float:
    """Log-likelihood of counts under NB(mean mu, Var = mu + alpha mu^2) (Poisson where alpha is ~0)."""
    nb = alpha > 1e-8
    out = np.where(
        nb,
        stats.nbinom.logpmf(y, 1.0 / np.where(nb, alpha, 1.0), 1.0 / (1.0 + np.where(nb, alpha, 1.0) * mu)),
        stats.poisson.logpmf(y, mu),
    )
    return float(out.sum())


def event_table(signals: pd.DataFrame) -> pd.DataFrame:
    """One row per event, from the signals table (``signals(...)`` with ``event_id``, ``role`` and ``share``):
    the headline's segment and counts, ``extra`` cases (observed - expected), its q-value, score and rank
    in its quarter, and how many broader, narrower and overlapping signals it explains.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"quarter": ["2016Q3"] * 2, "direction": ["up", "up"], "event_id": ["2016Q3-1"] * 2,
    ...     "role": ["headline", "broader"], "share": [1.0, 0.7], "product_category": ["toys", "toys"],
    ...     "transport_mode": ["express", ""], "metric": "cases", "observed": [34, 72],
    ...     "expected": [10.3, 37.6], "p_value": [6e-6, 8e-5], "q_value": [0.004, 0.004], "score": [5.2, 4.1],
    ...     "rank": [1, 2], "previous": [12, 40], "span": [8, 8]})
    >>> event_table(s)[["event_id", "transport_mode", "extra", "broader"]].to_dict("records")
    [{'event_id': '2016Q3-1', 'transport_mode': 'express', 'extra': 23.7, 'broader': 1}]
    """
    if signals.empty:
        return pd.DataFrame(columns=list(EVENT_COLUMNS))
    heads = signals[signals["role"] == "headline"].copy()
    counts = signals.groupby(["event_id", "role"]).size().unstack(fill_value=0)
    for role in ("broader", "narrower", "overlapping"):
        heads[role] = heads["event_id"].map(counts.get(role, {})).fillna(0).astype("int64")
    heads["extra"] = (heads["observed"] - heads["expected"]).round(6)
    heads = heads.sort_values(["quarter", "score"], ascending=[True, False], kind="stable")
    heads["rank"] = heads.groupby("quarter").cumcount() + 1
    for d in SIGNAL_DIMENSIONS:
        if d not in heads:
            heads[d] = ""
    return heads[list(EVENT_COLUMNS)].reset_index(drop=True)
