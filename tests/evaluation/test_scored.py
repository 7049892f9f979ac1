from __future__ import annotations

import pandas as pd
import pytest

from iprisk.errors import InvalidInput
from iprisk.evaluation import join_scores


def _scores() -> pd.DataFrame:
    return pd.DataFrame({"declaration_id": ["a", "b", "c"], "score": [0.9, 0.5, 0.1], "rank": [1, 2, 3]})


def _declarations() -> pd.DataFrame:
    return pd.DataFrame({"declaration_id": ["c", "a", "b"], "infringement": [0, 1, None]})


def test_labelled_lines_get_their_score_and_unlabelled_ones_are_counted() -> None:
    joined, unlabelled = join_scores(_scores(), _declarations(), label="infringement")
    assert unlabelled == 1
    assert joined.set_index("declaration_id")["rank"].to_dict() == {"c": 3, "a": 1}


def test_a_line_twice_in_the_scores_is_named() -> None:
    scores = pd.concat([_scores(), _scores().iloc[[1]]], ignore_index=True)
    with pytest.raises(InvalidInput) as info:
        join_scores(scores, _declarations(), label="infringement", scores_name="s.csv")
    (p,) = info.value.problems
    assert (p.rule, p.row, p.value, p.file) == ("duplicate-line", 4, "b", "s.csv")


def test_a_declaration_without_a_score_and_no_labels_at_all_are_errors() -> None:
    declarations = pd.concat([_declarations(), pd.DataFrame({"declaration_id": ["z"]})], ignore_index=True)
    with pytest.raises(InvalidInput) as info:
        join_scores(_scores(), declarations, label="infringement")
    assert (info.value.problems[0].rule, info.value.problems[0].value) == ("unscored", "z")
    with pytest.raises(InvalidInput, match="no-labels"):
        join_scores(_scores(), _declarations().assign(infringement=None), label="infringement")
    with pytest.raises(InvalidInput, match="label column not found"):
        join_scores(_scores(), _declarations(), label="seized")


def test_evaluate_scores_measures_the_ranking_of_the_rank_column() -> None:
    from iprisk.evaluation import evaluate_scores

    scores = pd.DataFrame(
        {
            "declaration_id": list("abcdef"),
            "score": [0.9, 0.8, 0.7, 0.2, 0.1, 0.05],
            "rank": [1, 2, 3, 4, 5, 6],
        }
    )
    declarations = pd.DataFrame(
        {
            "declaration_id": list("abcdef"),
            "infringement": [1, 0, 1, 0, 0, None],
            "office": ["X", "X", "Y", "Y", "Y", "Y"],
        }
    )
    result = evaluate_scores(scores, declarations, at=[20, 60], by="office")
    assert (result.rows, result.hits, result.unlabelled) == (5, 2, 1)
    assert result.metrics["selected"].tolist() == [1, 3]
    assert result.metrics["hits_selected"].tolist() == [1, 2]
    assert result.auc == pytest.approx(5 / 6)  # b (no hit) outranks c (a hit)
    assert result.hit_rate == pytest.approx(0.4)
    assert result.by_group is not None and result.by_group["group"].tolist() == ["X", "Y"]
    with pytest.raises(InvalidInput, match="--by column not found"):
        evaluate_scores(scores, declarations, by="port")
