import math

import numpy as np
import pytest

from iprisk.evaluation import profile_metrics


def test_hits_hit_rate_coverage_recall_and_lift_per_profile() -> None:
    matched = [["A"], ["A", "B"], [], ["B"], ["A"], []]
    labels = [1, 0, 1, None, 1, 0]  # row 4 was not controlled
    table = profile_metrics(matched, labels).set_index("profile_id")
    assert list(table.index) == ["A", "B"]  # best hit rate first
    a, b = table.loc["A"], table.loc["B"]
    assert (a.matched, a.labelled, a.hits) == (3, 3, 2)
    assert a.coverage == pytest.approx(3 / 6) and a.hit_rate == pytest.approx(2 / 3)
    assert a.recall == pytest.approx(2 / 3)  # 3 hits in all
    assert a.lift == pytest.approx((2 / 3) / (3 / 5))  # 5 labelled rows, 3 hits
    assert (b.matched, b.labelled, b.hits) == (2, 1, 0) and b.hit_rate == 0


def test_a_profile_that_matched_only_uncontrolled_rows_has_no_hit_rate() -> None:
    table = profile_metrics([["C"], []], [np.nan, 1]).set_index("profile_id")
    assert table.loc["C", "labelled"] == 0 and math.isnan(table.loc["C", "hit_rate"])


def test_length_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="2 rows of matches but 1 labels"):
        profile_metrics([["A"], []], [1])
