"""Targeting: a learned risk score per declaration line, its features and explanations.

``LightGBMScorer(...).fit(declarations, "infringement")`` then ``.score(new)`` (probabilities),
``.priority(new)`` (optionally expected detained value), ``.explain(new, top=3)``, ``.save(dir)`` /
``LightGBMScorer.load(dir)``. See ``docs/targeting.md``.
"""

from __future__ import annotations

from iprisk.targeting.conformance import check_scorer
from iprisk.targeting.features import (
    DEFAULT_CATEGORICALS,
    DEFAULT_HISTORY,
    DEFAULT_KEYS,
    DEFAULT_NUMERIC,
    DEFAULT_PAIRS,
    FeatureBuilder,
)
from iprisk.targeting.scorer import LightGBMScorer, fingerprint, fit_tuned, format_reasons

__all__ = [
    "DEFAULT_CATEGORICALS",
    "DEFAULT_HISTORY",
    "DEFAULT_KEYS",
    "DEFAULT_NUMERIC",
    "DEFAULT_PAIRS",
    "FeatureBuilder",
    "LightGBMScorer",
    "check_scorer",
    "fingerprint",
    "fit_tuned",
    "format_reasons",
]
