from __future__ import annotations

import json
from pathlib import Path

import pytest

from iprisk.errors import InvalidInput, UnsupportedFormat
from iprisk.profiles import dump_profiles, load_profiles
from tests.profiles.samples import profile


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    profiles = [
        profile("P1"),
        profile(
            "P2",
            joint=True,
            scope={"flow": "export", "offices": ["CNSHA"]},
            criteria={"value_per_kg": {"max": 2.5}, "carrier_ids": ["C'1"], "product_categories": ["toys"]},
            valid_to="2021-12-31",
            title="玩具 toys",
        ),
    ]
    path = dump_profiles(profiles, tmp_path / f"profiles{suffix}")
    assert load_profiles(path) == profiles


def test_errors_name_file_profile_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        """
format: iprisk-profiles
profiles:
  - {id: OK1, title: t, owner: DE, criteria: {hs_prefixes: ["64"]}, risk_level: 2, valid_from: 2021-01-01}
  - {id: BAD2, title: t, owner: DE, criteria: {transport_modes: [teleport]}, risk_level: 9,
     valid_from: 2021-01-01}
""",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as info:
        load_profiles(path)
    problems = info.value.problems
    assert {p.column for p in problems} == {"criteria.transport_modes", "risk_level"}
    assert all(p.file == str(path) and p.row == 2 and "profile BAD2" in p.message for p in problems)
    assert str(path) in str(info.value)


def test_single_profile_and_list_documents(tmp_path: Path) -> None:
    one = profile("P9").model_dump(mode="json")
    (tmp_path / "one.json").write_text(json.dumps(one), encoding="utf-8")
    (tmp_path / "many.json").write_text(json.dumps([one]), encoding="utf-8")
    assert load_profiles(tmp_path / "one.json") == load_profiles(tmp_path / "many.json") == [profile("P9")]


def test_duplicate_and_syntax_and_format(tmp_path: Path) -> None:
    one = profile("P9").model_dump(mode="json")
    (tmp_path / "dupe.json").write_text(json.dumps([one, one]), encoding="utf-8")
    with pytest.raises(InvalidInput, match="duplicate"):
        load_profiles(tmp_path / "dupe.json")
    (tmp_path / "broken.yaml").write_text("profiles: [", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_profiles(tmp_path / "broken.yaml")
    with pytest.raises(UnsupportedFormat):
        load_profiles(tmp_path / "profiles.xlsx")


def test_the_documented_example_is_valid() -> None:
    import re

    import yaml

    from iprisk.profiles import profiles_from_data

    text = (Path(__file__).resolve().parents[2] / "docs" / "profiles.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    (p,) = profiles_from_data(yaml.safe_load(block.group(1)), source="docs/profiles.md")
    assert p.id == "NL-SHOES-2021-01" and p.criteria.transport_modes == ["post"]
