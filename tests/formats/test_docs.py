"""docs/formats.md documents every rule, every column and a mapping example that loads."""

from __future__ import annotations

import re
from pathlib import Path

from iprisk.formats import DECLARATIONS, RULES, SCORES, SEIZURES, load_mapping

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def test_every_rule_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in RULES if f"| `{name}` |" not in text]
    assert not missing, f"rules missing from docs/formats.md: {missing}"


def test_every_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [
        c for c in [*SEIZURES, *DECLARATIONS, *SCORES] if not re.search(rf"\|[^|\n]*\b{c}\b[^|\n]*\|", text)
    ]
    assert not missing, f"columns missing from docs/formats.md: {missing}"


def test_the_mapping_example_loads(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", text, re.S) if "format:" in block)
    path = tmp_path / "example.yaml"
    path.write_text(example, encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.format == "seizures" and mapping.columns["case_id"] == "案件编号"
