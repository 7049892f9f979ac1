"""The pandas baseline's shaping of segment counts (``benchmarks._pandas_shape``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from benchmarks._pandas_shape import _lookup, _sorted_codes


@pytest.mark.parametrize("n_values", [4, 700], ids=["few", "overflowing"])
def test_codes_and_lookup_are_pandas_multiindex_ones(n_values: int) -> None:
    """The segments' order and the cells' lookup, column by column, are those of a pandas MultiIndex of the
    text (sorted factorize, get_indexer), also past the 2**62 combinations one integer code can hold
    (seven columns of 700 values) and with the text of an empty value ('None')."""
    rng = np.random.default_rng(0)
    cols = [f"d{i}" for i in range(7)]
    values = np.array([*(f"v{i}" for i in range(n_values - 1)), "None"])
    text = pd.DataFrame({c: rng.choice(values, 2000) for c in cols})
    expected = pd.factorize(pd.MultiIndex.from_frame(text), sort=True)[0]
    np.testing.assert_array_equal(_sorted_codes(text, cols), expected)
    keys = text.iloc[:1000].drop_duplicates().sort_values(cols).reset_index(drop=True)
    rows = text.iloc[500:]
    want = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(rows))
    assert (want == -1).any() and (want >= 0).any()
    np.testing.assert_array_equal(_lookup(keys, rows), want)
