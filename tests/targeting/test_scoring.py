from __future__ import annotations

from datetime import timedelta

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


def test_a_received_referral_flags_the_lines_on_its_lane(scorer: LightGBMScorer, new: pa.Table) -> None:
    from iprisk.formats.referrals import read_warning
    from tests.referrals.conftest import warning_data

    row = new.slice(0, 1).to_pylist()[0]
    lane = new.append_column("arrival_port", pa.array([row["office"]] * new.num_rows))
    warning = read_warning(
        warning_data(
            id="0b6f6a52-8d0c-4d7a-9a56-1b2f0e3c4d5e",
            receiving_port=row["office"],
            arrival_port=row["office"],
            hs_code=row["hs_code"],
            expected_arrival=str(row["date"]),
            expiry=str(row["date"]),
        )
    )
    plain = score_declarations(scorer, lane, reasons_for=0)
    flagged = score_declarations(scorer, lane, reasons_for=0, watches=[warning])
    first = row["date"] - timedelta(days=14)  # a lane match counts from 14 days before the expected arrival
    on_lane = [
        r["hs_code"].startswith(row["hs_code"]) and first <= r["date"] <= row["date"]
        for r in lane.to_pylist()
    ]
    marked = ["referral:0b6f6a52" in (m or "") for m in flagged.column("matched_profiles").to_pylist()]
    assert marked == on_lane
    assert any(marked) and not all(marked)
    assert flagged.column("score").equals(plain.column("score"))  # the score itself is unchanged
