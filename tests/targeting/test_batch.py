from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from iprisk.errors import InvalidInput
from iprisk.profiles import Profile, evaluate
from iprisk.targeting.batch import OUTPUT_SCHEMA, raw_probabilities, score_batches, score_parquet
from iprisk.targeting.scorer import LightGBMScorer
from tests.targeting.synthetic import declarations


@pytest.fixture(scope="module")
def scorer() -> LightGBMScorer:
    return LightGBMScorer(n_estimators=30).fit(declarations(1200, seed=7), "infringement")


@pytest.fixture(scope="module")
def new() -> pa.Table:
    return pa.Table.from_pandas(declarations(3000, seed=8, start="2020-08-01"), preserve_index=False)


def _profiles() -> list[Profile]:
    def make(pid: str, status: str, criteria: dict[str, object]) -> Profile:
        return Profile.model_validate(
            {
                "id": pid,
                "status": status,
                "title": pid,
                "owner": "DE",
                "criteria": criteria,
                "risk_level": 3,
                "valid_from": "2020-01-01",
            }
        )

    return [
        make("SHOES", "active", {"hs_prefixes": ["6403"]}),
        make("CHEAP", "active", {"value_per_kg": {"max": 5}}),
        make("DRAFT", "draft", {"origin_countries": ["CN"]}),
    ]


def test_overlapped_prediction_equals_plain_score(scorer: LightGBMScorer, new: pa.Table) -> None:
    plain = scorer.score(new)
    np.testing.assert_array_equal(raw_probabilities(scorer, new, threads=2, slice_rows=700), plain)
    np.testing.assert_array_equal(raw_probabilities(scorer, new, threads=1), plain)


def test_score_batches_streams_scores_and_profiles(scorer: LightGBMScorer, new: pa.Table) -> None:
    profiles = _profiles()
    out = pa.Table.from_batches(list(score_batches(scorer, new.to_batches(max_chunksize=1000), profiles)))
    assert out.schema == OUTPUT_SCHEMA and out.num_rows == new.num_rows
    assert out.column("declaration_id").to_pylist() == new.column("declaration_id").to_pylist()
    np.testing.assert_array_equal(out.column("score").to_numpy(), scorer.score(new))
    expected = [";".join(x) for x in evaluate(new, profiles).column("matched_profiles").to_pylist()]
    assert out.column("matched_profiles").to_pylist() == expected
    assert "DRAFT" not in ";".join(expected) and any("SHOES" in m for m in expected)
    valued = pa.Table.from_batches(list(score_batches(scorer, [new], value_aware=True)))
    assert scorer.value_aware is False  # an option of the call, not a change to the model
    value = new.column("value").to_numpy()
    np.testing.assert_array_equal(valued.column("priority").to_numpy(), scorer.score(new) * value)
    assert set(valued.column("matched_profiles").to_pylist()) == {""}


def test_score_parquet_chunks(scorer: LightGBMScorer, new: pa.Table, tmp_path: Path) -> None:
    pq.write_table(new, tmp_path / "in.parquet", row_group_size=1000)
    scorer.save(tmp_path / "model")
    rows = score_parquet(
        tmp_path / "model", tmp_path / "in.parquet", tmp_path / "out.parquet", chunk_rows=900
    )
    got = pq.read_table(tmp_path / "out.parquet")
    assert rows == got.num_rows == new.num_rows
    np.testing.assert_array_equal(got.column("score").to_numpy(), scorer.score(new))
    pq.write_table(new.drop_columns(["hs_code"]), tmp_path / "bad.parquet")
    with pytest.raises(InvalidInput) as exc:
        score_parquet(scorer, tmp_path / "bad.parquet", tmp_path / "bad-out.parquet")
    assert [p.column for p in exc.value.problems] == ["hs_code"]


def test_empty_batch(scorer: LightGBMScorer, new: pa.Table) -> None:
    (out,) = score_batches(scorer, [new.slice(0, 0)])
    assert out.num_rows == 0 and out.schema == OUTPUT_SCHEMA
