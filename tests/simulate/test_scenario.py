from __future__ import annotations

from pathlib import Path

import pytest

from iprisk.errors import InvalidInput
from iprisk.simulate import PlantedEvent, Scenario, default_scenario, load_scenario


def test_default_scenario_is_valid_and_plants_three_kinds_of_event() -> None:
    s = default_scenario()
    s.validate()
    assert {e.kind for e in s.events} == {"surge", "displacement", "new_modus_operandi"}


def test_yaml_overrides_only_the_fields_it_sets(tmp_path: Path) -> None:
    path = tmp_path / "world.yaml"
    path.write_text(
        "name: tight-rotterdam\n"
        "infringement_rate: {post: 0.01}\n"
        "events:\n"
        "  - kind: displacement\n"
        "    name: rtm\n"
        "    start: 2016Q1\n"
        "    offices: [NLRTM]\n"
        "    to_office: BEANR\n"
        "    share: 0.8\n",
        encoding="utf-8",
    )
    s = load_scenario(path)
    assert s.name == "tight-rotterdam"
    assert s.infringement_rate["post"] == 0.01
    assert s.infringement_rate["sea"] == Scenario().infringement_rate["sea"]  # merged, not replaced
    assert s.events == (
        PlantedEvent("displacement", "rtm", "2016Q1", offices=("NLRTM",), to_office="BEANR", share=0.8),
    )
    assert s.detection_probability == Scenario().detection_probability


def test_round_trip_through_dict() -> None:
    s = default_scenario()
    assert Scenario.from_dict(s.to_dict()) == s


def test_every_problem_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "colour: blue\nevents:\n  - kind: meteor\n    start: 2016Q9\n    products: [spaceships]\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as info:
        load_scenario(path)
    rules = {(p.rule, p.column) for p in info.value.problems}
    assert ("unknown-field", "colour") in rules
    assert ("unknown-code", "events[0]") in rules
    assert ("quarter", "events[0].start") in rules
    assert ("unknown-code", "events[0].products") in rules
    assert all(p.file == str(path) for p in info.value.problems)


def test_displacement_needs_a_destination() -> None:
    with pytest.raises(InvalidInput, match="to_office"):
        Scenario.from_dict({"events": [{"kind": "displacement", "start": "2016Q1", "offices": ["NLRTM"]}]})


def test_event_offices_must_exist_in_the_world() -> None:
    with pytest.raises(InvalidInput) as info:
        Scenario.from_dict(
            {
                "events": [
                    {"kind": "displacement", "start": "2016Q1", "offices": ["NLRTM"], "to_office": "XXABC"}
                ]
            }
        )
    assert [(p.rule, p.value) for p in info.value.problems] == [("unknown-office", "XXABC")]
