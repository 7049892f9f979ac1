import pytest

from iprisk.settings import Settings, get_settings


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPRISK_WAREHOUSE", "/tmp/elsewhere.duckdb")
    monkeypatch.setenv("IPRISK_LOCK_TIMEOUT_S", "2.5")
    s = Settings()
    assert s.warehouse == "/tmp/elsewhere.duckdb"
    assert s.lock_timeout_s == 2.5


def test_bad_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPRISK_LOCK_TIMEOUT_S", "soon")
    with pytest.raises(ValueError, match="lock_timeout_s"):
        Settings()


def test_read_once() -> None:
    assert get_settings() is get_settings()
