"""The compiled model (lleaves) scores exactly as LightGBM does, caches its machine code, and falls back."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from iprisk.targeting import compiled as compiled_module
from iprisk.targeting.batch import score_batches, score_parquet
from iprisk.targeting.compiled import Predictor, compiled_predictor
from iprisk.targeting.scorer import LightGBMScorer
from tests.targeting.synthetic import declarations

pytestmark = pytest.mark.skipif(
    not compiled_module.available(), reason="lleaves (extra 'fast') not installed"
)


@pytest.fixture(scope="module")
def scorer() -> LightGBMScorer:
    return LightGBMScorer(n_estimators=15).fit(declarations(1500, seed=3), "infringement")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compiled")


@pytest.fixture(scope="module")
def new() -> pa.Table:
    return pa.Table.from_pandas(declarations(4000, seed=9, start="2020-09-01"), preserve_index=False)


def test_same_scores_as_lightgbm_and_a_cache(scorer: LightGBMScorer, new: pa.Table, cache: Path) -> None:
    X = scorer.builder_.matrix(new)
    names = scorer.feature_names_
    # missing values and unseen categories (NaN in the matrix), in numeric and categorical features
    for j in [names.index("office_cat"), names.index("transport_mode_cat"), names.index("log_value")]:
        X[::7, j] = np.nan
    X[3::11, names.index("office_cat")] = 99  # a category code the model never saw
    t0 = time.perf_counter()
    first = compiled_predictor(scorer.booster_, cache)
    compile_seconds = time.perf_counter() - t0
    assert first.name == "compiled" and len(list(cache.glob("*.so"))) == 1
    expected = scorer.booster_.predict(X, num_threads=1)
    assert np.array_equal(first(X), expected)
    assert first.name == "compiled"  # the check on the first rows passed
    t0 = time.perf_counter()
    again = compiled_predictor(scorer.booster_, cache)  # loaded from the cache, not compiled
    assert time.perf_counter() - t0 < compile_seconds
    assert np.array_equal(again(X), expected)


def test_falls_back_to_lightgbm_when_the_compiled_model_disagrees(
    scorer: LightGBMScorer, new: pa.Table
) -> None:
    class Wrong:
        def predict(self, X: np.ndarray, n_jobs: int = 1) -> np.ndarray:
            return np.zeros(len(X))

    X = scorer.builder_.matrix(new)
    predictor = Predictor(scorer.booster_, Wrong())
    assert np.array_equal(predictor(X), scorer.booster_.predict(X, num_threads=1))
    assert predictor.name == "lightgbm"


def test_batch_scoring_compiled_or_not_gives_the_same_output(
    scorer: LightGBMScorer, new: pa.Table, cache: Path, tmp_path: Path
) -> None:
    batches = new.to_batches(max_chunksize=1000)
    plain = pa.Table.from_batches(list(score_batches(scorer, batches, threads=2, slice_rows=700)))
    fast = score_batches(scorer, batches, threads=2, slice_rows=700, compiled=True, compile_cache=cache)
    assert pa.Table.from_batches(list(fast)).equals(plain)
    model = scorer.save(tmp_path / "model")
    pq.write_table(new, tmp_path / "new.parquet")
    score_parquet(
        model, tmp_path / "new.parquet", tmp_path / "scores.parquet", compiled=True, chunk_rows=1500
    )
    assert pq.read_table(tmp_path / "scores.parquet").equals(plain)
    assert len(list((model / ".compiled").glob("*.so"))) == 1


def test_a_huge_forest_keeps_the_large_code_model(
    scorer: LightGBMScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = scorer.booster_.model_to_string()
    small_key = compiled_module._cache_key(text)
    assert compiled_module._code_model(text) == "small"
    monkeypatch.setattr(compiled_module, "SMALL_CODE_MODEL_LIMIT", len(text))
    assert compiled_module._code_model(text) == "large"
    assert compiled_module._cache_key(text) != small_key  # machine code of either kind is cached apart
