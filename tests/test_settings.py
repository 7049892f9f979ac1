import re
from pathlib import Path

import pytest

from iprisk.settings import Settings, acting_user, get_settings


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


def test_acting_user_is_the_given_one_then_the_setting_then_the_os_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "osuser")
    monkeypatch.setenv("IPRISK_USER", "configured")
    get_settings.cache_clear()
    try:
        assert acting_user("given") == "given"
        assert acting_user() == "configured"
        monkeypatch.setenv("IPRISK_USER", "")
        get_settings.cache_clear()
        assert acting_user(None) == "osuser"

        def no_login() -> str:
            raise OSError("no login name")

        monkeypatch.setattr("getpass.getuser", no_login)
        assert acting_user() == "unknown"
    finally:
        get_settings.cache_clear()


def test_no_iprisk_variable_is_read_around_the_settings() -> None:
    """Every ``IPRISK_*`` variable is a field of Settings (documented, typed, read once), not os.environ."""
    root = Path(__file__).resolve().parents[1]
    readers = re.compile(r"(os\.environ|os\.getenv|getenv)\W[^\n]*IPRISK_")
    offenders = [
        str(path.relative_to(root))
        for folder in ("src", "benchmarks")
        for path in sorted((root / folder).rglob("*.py"))
        if readers.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
