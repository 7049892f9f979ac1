"""Evaluation of risk scores: top-k precision / recall / value-recall, lift, AUC, oracle-normalised."""

from __future__ import annotations

from iprisk.evaluation.backtest import quarters_of, rolling_backtest
from iprisk.evaluation.metrics import (
    METRIC_COLUMNS,
    at_k,
    auc,
    by_group,
    lift_at,
    metrics_table,
    precision_at,
    recall_at,
    value_recall_at,
)
from iprisk.evaluation.oracle import BAYES_COLUMNS, bayes_precision, bayes_table, brier_score, reliability
from iprisk.evaluation.profiles import PROFILE_METRIC_COLUMNS, profile_metrics
from iprisk.evaluation.scored import ScoreEvaluation, evaluate_scores, join_scores
from iprisk.evaluation.strategies import compare_strategies, strategy_priorities
from iprisk.targeting.ranking import ranking, ranks, selected_count

__all__ = [
    "BAYES_COLUMNS",
    "METRIC_COLUMNS",
    "PROFILE_METRIC_COLUMNS",
    "ScoreEvaluation",
    "at_k",
    "auc",
    "bayes_precision",
    "bayes_table",
    "brier_score",
    "by_group",
    "compare_strategies",
    "evaluate_scores",
    "join_scores",
    "lift_at",
    "metrics_table",
    "precision_at",
    "profile_metrics",
    "quarters_of",
    "ranking",
    "ranks",
    "recall_at",
    "reliability",
    "rolling_backtest",
    "selected_count",
    "strategy_priorities",
    "value_recall_at",
]
