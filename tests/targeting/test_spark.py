"""Scoring on PySpark (mapInArrow, local[2]) gives exactly the scores of the DuckDB/pandas path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from iprisk.profiles import Profile
from iprisk.targeting.batch import score_batches
from iprisk.targeting.scorer import LightGBMScorer
from tests.conftest import require_spark
from tests.targeting.synthetic import declarations

pytestmark = [
    pytest.mark.spark,
    # py4j and the Python workers' sockets are left to the garbage collector
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    require_spark()
    from pyspark.sql import SparkSession

    from iprisk.spark import local_session

    # The analysis tests' session, when this test process started it, is taken as it is (local[1]: the
    # partitions below still differ from the local run's batches): a second start costs seconds of CPU, and
    # stopping it here would leave their session-wide fixture (tests/analysis/conftest.py) a dead one.
    shared = SparkSession.getActiveSession() is not None
    session = local_session(
        2, "iprisk-targeting-parity", **{"spark.sql.execution.arrow.maxRecordsPerBatch": "500"}
    )
    try:
        yield session
    finally:
        if not shared:
            session.stop()


def test_spark_scores_equal_local_scores(spark: Any) -> None:
    from iprisk.targeting.spark import score_spark

    scorer = LightGBMScorer(n_estimators=40).fit(declarations(1500, seed=11), "infringement")
    new = declarations(2000, seed=12, start="2020-08-01")
    new.loc[::9, "trader_id"] = "UNSEEN"
    profiles = [
        Profile.model_validate(
            {
                "id": "CHEAP",
                "status": "active",
                "title": "cheap goods",
                "owner": "DE",
                "criteria": {"value_per_kg": {"max": 5}},
                "risk_level": 2,
                "valid_from": "2020-01-01",
            }
        )
    ]
    local = pa.Table.from_batches(list(score_batches(scorer, [pa.Table.from_pandas(new)], profiles)))
    frame = spark.createDataFrame(new).repartition(3)  # batches cut differently from the local run
    remote = score_spark(scorer, frame, profiles).toPandas().set_index("declaration_id")
    remote = remote.loc[local.column("declaration_id").to_pylist()]
    assert len(remote) == local.num_rows == 2000
    np.testing.assert_array_equal(remote["score"].to_numpy(), local.column("score").to_numpy())
    np.testing.assert_array_equal(remote["priority"].to_numpy(), local.column("priority").to_numpy())
    assert remote["matched_profiles"].tolist() == local.column("matched_profiles").to_pylist()
    assert "CHEAP" in set(remote["matched_profiles"])


def test_spark_scores_with_profile_features(spark: Any) -> None:
    from iprisk.targeting.spark import score_spark

    profiles = [
        Profile.model_validate(
            {
                "id": "SHOES",
                "status": "draft",  # counted as a feature whatever its status
                "title": "shoes",
                "owner": "DE",
                "criteria": {"hs_prefixes": ["6403"]},
                "risk_level": 3,
                "valid_from": "2020-01-01",
            }
        )
    ]
    scorer = LightGBMScorer(n_estimators=20, profiles=profiles).fit(
        declarations(800, seed=13), "infringement"
    )
    assert "profile_hits" in scorer.feature_names_
    new = declarations(600, seed=14, start="2020-08-01")
    remote = score_spark(scorer, spark.createDataFrame(new).repartition(2)).toPandas()
    remote = remote.set_index("declaration_id").loc[new["declaration_id"]]
    np.testing.assert_array_equal(remote["score"].to_numpy(), scorer.score(new))
