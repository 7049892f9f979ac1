"""Segment counts (``iprisk.analysis._segments``): the concentration of each segment over its cells."""

from __future__ import annotations

import numpy as np
import pytest

from iprisk.analysis._baseline import concentration
from iprisk.analysis._segments import ComboCounts, SegmentCounts


def _counts(rng: np.random.Generator, n_cells: int, n_segments: int, n_coarse: int) -> SegmentCounts:
    quarters = ["2020Q1", "2020Q2", "2020Q3", "2020Q4"]
    fine = rng.poisson(3.0, (n_cells, len(quarters))).astype(float)
    segment = rng.integers(-1, n_segments, n_cells)  # -1: in no segment of the combination
    combo = ComboCounts(("office",), [(("office", str(i)),) for i in range(n_segments)], np.zeros(0), segment)
    coarse = rng.integers(0, n_coarse, n_cells)
    office = coarse % 3
    return SegmentCounts(quarters, fine.sum(axis=0), [combo], fine, coarse, None, office)


def _by_hand(counts: SegmentCounts, window: slice) -> np.ndarray:
    """Each segment's Herfindahl index over its cells, coarse cells and offices, by plain loops."""
    fine = counts.cells[:, window].mean(axis=1)
    segment = counts.combos[0].cell_segment
    out = np.ones((len(counts.combos[0].keys), 3))
    for s in range(out.shape[0]):
        mine = segment == s
        for j, part in enumerate((np.arange(len(fine)), counts.cell_coarse, counts.cell_office)):
            sizes: dict[int, float] = {}
            for p, v in zip(part[mine], fine[mine], strict=True):
                sizes[int(p)] = sizes.get(int(p), 0.0) + float(v)
            total = sum(sizes.values())
            if total > 0:
                out[s, j] = sum(v * v for v in sizes.values()) / total**2
    return out


def _dense(counts: SegmentCounts, window: slice) -> np.ndarray:
    """The former computation: one pseudo-cell for every segment x part, most of them empty."""
    fine = counts.cells[:, window].mean(axis=1)
    segment, n = counts.combos[0].cell_segment, len(counts.combos[0].keys)
    out = np.ones((n, 3))
    out[:, 0] = concentration(fine, segment, n)
    for j, part in ((1, counts.cell_coarse), (2, counts.cell_office)):
        k = int(part.max()) + 1
        inside = segment >= 0
        pair = np.where(inside, segment * k + part, -1)
        sizes = np.bincount(pair[inside], fine[inside], n * k)
        out[:, j] = concentration(sizes, np.repeat(np.arange(n), k), n)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_concentrations_over_cells_coarse_cells_and_offices(seed: int) -> None:
    counts = _counts(np.random.default_rng(seed), n_cells=400, n_segments=30, n_coarse=60)
    window = slice(1, 4)
    got = counts.concentrations(window)[0]
    assert got == pytest.approx(_by_hand(counts, window), rel=1e-12)
    # bit for bit what the dense computation gave, so that the signals do not move
    np.testing.assert_array_equal(got, _dense(counts, window))
    assert (got[:, 1] >= got[:, 0] - 1e-12).all()  # coarser parts are more concentrated


def test_a_segment_in_one_coarse_cell_is_wholly_concentrated_there() -> None:
    quarters = ["2020Q1"]
    fine = np.array([[1.0], [3.0], [4.0]])
    combo = ComboCounts(("office",), [(("office", "A"),)], np.zeros(0), np.array([0, 0, -1]))
    counts = SegmentCounts(
        quarters, fine.sum(axis=0), [combo], fine, np.array([0, 0, 1]), None, np.zeros(3, int)
    )
    got = counts.concentrations(slice(0, 1))[0]
    np.testing.assert_allclose(got, [[(1 + 9) / 16, 1.0, 1.0]])
