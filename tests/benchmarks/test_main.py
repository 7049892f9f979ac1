"""The benchmark runner's exit code: a crash or a missed target fails ``make bench``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import benchmarks.__main__ as harness
import pytest


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ([{"name": "met", "ok": True}, {"name": "no target", "ok": None}], 0),
        ([{"name": "met", "ok": True}, {"name": "missed", "ok": False}], 1),
        ([{"name": "FAILED: boom", "ok": False, "failed": True}], 1),
    ],
)
def test_exit_code(
    rows: list[dict[str, Any]], code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "discover", lambda: ["fake"])
    monkeypatch.setattr(
        harness, "run_topics", lambda topics, out, console: [{"bench": "fake", **r} for r in rows]
    )
    assert harness.main(["--out", str(tmp_path)]) == code
    assert (tmp_path / "results.md").read_text().count("| fake |") == len(rows)


def test_a_row_without_a_target_says_so_and_others_show_their_verdict() -> None:
    md = harness.to_markdown(
        [
            {"bench": "b", "name": "timed", "value": 2.0, "target": None, "ok": None},
            {"bench": "b", "name": "met", "value": 2.0, "target": 3.0, "ok": True},
            {"bench": "b", "name": "missed", "value": 4.0, "target": 3.0, "ok": False},
        ]
    )
    rows = md.splitlines()[2:]
    assert rows[0].endswith("| no target |")
    assert rows[1].endswith("| yes |") and rows[2].endswith("| NO |")
