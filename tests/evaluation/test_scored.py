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
