"""Targeting: a learned risk score per declaration line, its features and explanations.

``LightGBMScorer(...).fit(declarations, "infringement")`` then ``.score(new)`` (probabilities),
``.priority(new)`` (optionally expected detained value), ``.explain(new, top=3)``, ``.save(dir)`` /
``LightGBMScorer.load(dir)``. Large files: ``score_batches`` (Arrow record batches in, scores out) and
``score_parquet``; the same on PySpark: ``score_spark``. See ``docs/targeting.md``.
"""

from __future__ import annotations

from iprisk.targeting.batch import OUTPUT_SCHEMA, score_batches, score_parquet
from iprisk.targeting.columnar import CompiledFeatures
from iprisk.targeting.conformance import check_scorer
from iprisk.targeting.features import (
    DEFAULT_CATEGORICALS,
    DEFAULT_HISTORY,
    DEFAULT_KEYS,
    DEFAULT_NUMERIC,
    DEFAULT_PAIRS,
    LANE_KEYS,
    LANE_PAIRS,
    FeatureBuilder,
)
from iprisk.targeting.scorer import LightGBMScorer, fingerprint, fit_tuned, format_reasons
from iprisk.targeting.spark import score_spark

__all__ = [
    "DEFAULT_CATEGORICALS",
    "DEFAULT_HISTORY",
    "DEFAULT_KEYS",
    "DEFAULT_NUMERIC",
    "DEFAULT_PAIRS",
    "LANE_KEYS",
    "LANE_PAIRS",
    "OUTPUT_SCHEMA",
    "CompiledFeatures",
    "FeatureBuilder",
    "LightGBMScorer",
    "check_scorer",
    "fingerprint",
    "fit_tuned",
    "format_reasons",
    "score_batches",
    "score_parquet",
    "score_spark",
]
