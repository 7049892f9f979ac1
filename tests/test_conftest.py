"""The test suite's own helpers: a Spark that cannot run skips its tests, except in CI where it fails them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_shared, spark_missing


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
