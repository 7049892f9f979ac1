"""Targeting: a learned risk score per declaration line, its features and explanations.

``LightGBMScorer(...).fit(declarations, "infringement")`` then ``.score(new)`` (probabilities),
``.priority(new)`` (optionally expected detained value), ``.explain(new, top=3)``, ``.save(dir)`` /
``LightGBMScorer.load(dir)``. A whole declarations table: ``score_declarations`` (the scores table, what
``iprisk targeting score`` writes). Large files: ``score_batches`` (Arrow record batches in, scores out) and
``score_parquet``; the same on PySpark: ``score_spark``. Scores as probabilities on a later period:
``fit_calibrator`` (isotonic or Platt, a JSON-able ``Calibrator``). See ``docs/targeting.md``.
"""

from __future__ import annotations

from iprisk.targeting.batch import OUTPUT_SCHEMA, score_batches, score_parquet
from iprisk.targeting.calibration import Calibrator, fit_calibrator
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
from iprisk.targeting.ranking import ranking, ranks, selected_count
from iprisk.targeting.scorer import LightGBMScorer, fingerprint, fit_tuned, format_reasons
from iprisk.targeting.scoring import score_declarations
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
    "Calibrator",
    "CompiledFeatures",
    "FeatureBuilder",
    "LightGBMScorer",
    "check_scorer",
    "fingerprint",
    "fit_calibrator",
    "fit_tuned",
    "format_reasons",
    "ranking",
    "ranks",
    "score_batches",
    "score_declarations",
    "score_parquet",
    "score_spark",
    "selected_count",
]
