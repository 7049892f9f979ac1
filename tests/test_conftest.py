"""The test suite's own helpers: a Spark that cannot run skips its tests, except in CI where it fails them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_shared, spark_missing, spark_modules_first


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_missing_spark_fails_in_ci(ci: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="Spark is needed in CI: no Java"):
        spark_missing("no Java")


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_a_missing_spark_skips_elsewhere(ci: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="no Java"):
        spark_missing("no Java")


def test_missing_public_data_fails_in_ci_and_skips_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = tmp_path / "absent.csv"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="public data is needed in CI"):
        require_shared(absent)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match=r"absent\.csv is not present"):
        require_shared(absent)
    absent.write_text("x\n")
    require_shared(absent)  # present: nothing happens


@dataclass
class _Item:
    """What the ordering reads of a collected test: its file and its markers."""

    name: str
    path: Path
    markers: tuple[str, ...] = ()

    def get_closest_marker(self, name: str) -> str | None:
        return name if name in self.markers else None


def test_the_modules_of_spark_tests_run_first_whole_and_in_order_and_slow_ones_stay() -> None:
    a, b, c, d = (Path(f"tests/test_{x}.py") for x in "abcd")
    items = [_Item("a1", a), _Item("a2", a), _Item("b1", b), _Item("b2", b, ("spark",)),
             _Item("c1", c, ("slow",)), _Item("d1", d, ("spark",)), _Item("d2", d)]  # fmt: skip
    ordered = spark_modules_first(items)  # type: ignore[arg-type]
    assert [i.name for i in ordered] == ["b1", "b2", "d1", "d2", "a1", "a2", "c1"]
