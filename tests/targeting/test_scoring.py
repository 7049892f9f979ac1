from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from iprisk.errors import InvalidInput
from iprisk.formats import SCORES
from iprisk.targeting import LightGBMScorer, ranks, score_declarations
from tests.targeting.synthetic import declarations


@pytest.fixture(scope="module")
def scorer() -> LightGBMScorer:
    return LightGBMScorer(n_estimators=20).fit(declarations(800, seed=3), "infringement")


@pytest.fixture(scope="module")
def new() -> pa.Table:
    return pa.Table.from_pandas(declarations(1000, seed=4, start="2020-08-01"), preserve_index=False)


def test_the_scores_table_in_input_order(scorer: LightGBMScorer, new: pa.Table) -> None:
    stages: list[tuple[str, int]] = []
    scores = score_declarations(scorer, new, reasons_for=10, progress=lambda s, n: stages.append((s, n)))
    assert scores.schema == SCORES.arrow_schema
    assert scores.column("declaration_id").to_pylist() == new.column("declaration_id").to_pylist()
    probability = scorer.score(new)
    np.testing.assert_array_equal(scores.column("score").to_numpy(), probability)
    np.testing.assert_array_equal(scores.column("rank").to_numpy(), ranks(probability))
    # only the top 10 % are explained, each with three reasons
    reasons = np.array(scores.column("top_reasons").to_pylist(), dtype=object)
    explained = reasons != ""
    assert explained.sum() == 100 and (scores.column("rank").to_numpy()[explained] <= 100).all()
    assert all(r.count("=") == 3 for r in reasons[explained])
    assert stages == [("scoring", 1000), ("explaining", 100)]


def test_value_aware_ranks_by_expected_value_without_changing_the_model(
    scorer: LightGBMScorer, new: pa.Table
) -> None:
    scores = score_declarations(scorer, new, value_aware=True, top=0)
    expected = ranks(scorer.score(new) * new.column("value").to_numpy())
    np.testing.assert_array_equal(scores.column("rank").to_numpy(), expected)
    assert scorer.value_aware is False
    assert set(scores.column("top_reasons").to_pylist()) == {""}


def test_a_saved_model_and_a_missing_column(scorer: LightGBMScorer, new: pa.Table, tmp_path) -> None:
    scorer.save(tmp_path / "m")
    from_dir = score_declarations(tmp_path / "m", new, top=0)
    assert from_dir.equals(score_declarations(scorer, new, top=0))
    with pytest.raises(InvalidInput) as exc:
        score_declarations(scorer, new.drop_columns(["hs_code"]))
    assert [p.column for p in exc.value.problems] == ["hs_code"]
    assert score_declarations(scorer, new.slice(0, 0)).num_rows == 0
