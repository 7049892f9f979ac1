"""Issue 16, class 11: profile criteria are validated on import, so an imported profile always scores."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iprisk.errors import InvalidInput
from iprisk.profiles import load_profiles, matches_by_profile, profiles_from_data

from .samples import declarations, profile

_ROWS = declarations(200)
_BOUNDS = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**20))
_IDS = st.lists(st.text(min_size=1, max_size=12), max_size=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BOUNDS, _BOUNDS, _IDS)
def test_an_accepted_profile_always_scores(low: float | None, high: float | None, traders: list[str]) -> None:
    data = profile().model_dump(mode="json")
    data["criteria"]["value"] = {"min": low, "max": high}
    data["criteria"]["trader_ids"] = traders
    try:
        (accepted,) = profiles_from_data([data], source="p.yaml")
    except InvalidInput as exc:
        assert all(p.file == "p.yaml" and p.row == 1 for p in exc.problems)
        return
    matched = matches_by_profile(_ROWS, [accepted], check_validity=False)[accepted.id].to_numpy()
    bounds = accepted.criteria.value
    assert bounds is not None
    inside = [bounds.contains(v) for v in _ROWS["value"]]
    assert not any(m and not i for m, i in zip(matched, inside, strict=True))  # never matches outside


@pytest.mark.parametrize("bound", [".inf", "-.inf", ".nan"])
def test_infinite_bounds_are_refused_on_import(tmp_path: Path, bound: str, run, fresh_settings: None) -> None:
    data = profile().model_dump(mode="json")
    data["criteria"]["value"] = {"min": 0}
    text = yaml.safe_dump([data]).replace("min: 0", f"min: {bound}")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput, match="finite"):
        load_profiles(path)
    code, _, err = run("profiles", "import", path, "--db", tmp_path / "ops.sqlite")
    assert code == 3 and "criteria.value.min" in err
