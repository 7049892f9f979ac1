from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from iprisk.formats import SCORES, read_scores, write_scores


def test_written_scores_read_back(tmp_path: Path) -> None:
    table = pa.table(
        {
            "declaration_id": ["007", "8"],
            "item_no": [1, 2],
            "score": [0.123456789, 0.5],
            "rank": [2, 1],
            "matched_profiles": ["P1;P2", ""],
            "top_reasons": ["hs6_target_rate=+1.20", ""],
        },
        schema=SCORES.arrow_schema,
    )
    path = write_scores(table, tmp_path / "sub" / "scores.csv")
    back = read_scores(path)
    assert list(back.columns) == list(SCORES)
    assert back["declaration_id"].tolist() == ["007", "8"]  # identifiers stay text
    assert back["score"].tolist() == [0.123457, 0.5]  # six significant digits
    assert SCORES.required == ("declaration_id", "item_no", "score", "rank")
