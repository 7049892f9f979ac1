"""The profile store: versions and lifecycle events in the operational database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iprisk.errors import InvalidTransition, NotFound
from iprisk.store import ProfileStore
from tests.profiles.samples import profile


@pytest.fixture
def store(store_database_url: str):
    """The same suite on SQLite and on a real PostgreSQL server (see tests/conftest.py)."""
    with ProfileStore(store_database_url) as s:
        yield s


def test_full_lifecycle_with_history(store: ProfileStore) -> None:
    assert store.add(profile("J1", owner="DE", joint=True), by="ana").status == "created"
    store.propose("J1", by="ana")
    assert store.approve("J1", "DE", by="ana").status == "proposed"
    with pytest.raises(InvalidTransition, match="cannot activate"):
        store.activate("J1")
    assert store.approve("J1", "CN", by="li").status == "approved"
    assert store.activate("J1", by="ana").status == "active"
    assert [p.id for p in store.active()] == ["J1"]
    events = store.history("J1")
    assert [(e.action, e.from_status, e.to_status, e.admin, e.by) for e in events] == [
        ("create", None, "draft", None, "ana"),
        ("propose", "draft", "proposed", None, "ana"),
        ("approve", "proposed", "proposed", "DE", "ana"),
        ("approve", "proposed", "approved", "CN", "li"),
        ("activate", "approved", "active", None, "ana"),
    ]
    assert all(e.at.tzinfo is not None for e in events)


def test_a_new_version_replaces_the_active_one_on_activation(store: ProfileStore) -> None:
    store.add(profile("P1"), by="ana")
    for action, admin in (("propose", None), ("approve", "NL"), ("activate", None)):
        store.apply("P1", action, admin=admin, by="ana")
    # new content: a new version, in draft; version 1 stays active until version 2 is activated
    assert store.add(profile("P1", risk_level=5), by="bo").status == "revised"
    assert store.get("P1").version == 2 and store.get("P1").status == "draft"
    assert [(p.version, p.status) for p in store.active()] == [(1, "active")]
    assert store.add(profile("P1", risk_level=5), by="bo").status == "unchanged"
    # approvals of version 1 do not count for version 2
    store.propose("P1")
    assert store.approvals("P1", 2) == []
    store.approve("P1", "NL")
    store.activate("P1")
    assert [(p.version, p.status, p.risk_level) for p in store.active()] == [(2, "active", 5)]
    assert store.get("P1", 1).status == "expired"
    assert [(p.version, p.status) for p in store.profiles(all_versions=True)] == [
        (1, "expired"),
        (2, "active"),
    ]
    assert store.history("P1")[-2].note == "replaced by version 2"


def test_imported_active_profiles_arrive_as_proposed(store: ProfileStore) -> None:
    results = store.import_profiles([profile("A1", status="active"), profile("A2")], by="ana")
    assert [(r.profile_id, r.status) for r in results] == [("A1", "created"), ("A2", "created")]
    assert store.get("A1").status == "proposed" and store.get("A2").status == "draft"
    assert "needs approval here" in store.history("A1")[0].note
    assert [p.id for p in store.profiles("proposed")] == ["A1"]


def test_withdraw_is_final_and_errors(store: ProfileStore) -> None:
    store.add(profile("W1"), by="ana")
    assert store.withdraw("W1", note="obsolete").status == "withdrawn"
    with pytest.raises(InvalidTransition, match="it is final"):
        store.propose("W1")
    with pytest.raises(NotFound):
        store.get("nope")
    with pytest.raises(NotFound):
        store.history("nope")
    with pytest.raises(ValueError, match="unknown status"):
        store.profiles("sleeping")


def test_expire_due(store: ProfileStore) -> None:
    from datetime import date

    store.add(profile("E1", valid_to="2030-01-31"), by="ana")
    for action, admin in (("propose", None), ("approve", "NL"), ("activate", None)):
        store.apply("E1", action, admin=admin, by="ana")
    assert store.expire_due(date(2030, 1, 31)) == []
    assert [p.status for p in store.expire_due(date(2030, 2, 1))] == ["expired"]
    assert store.active() == []


def test_the_database_setting_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iprisk.settings import get_settings

    monkeypatch.setenv("IPRISK_DATABASE", f"sqlite:///{tmp_path / 'from-env.sqlite'}")
    get_settings.cache_clear()
    try:
        with ProfileStore() as s:
            s.add(profile("S1"), by="ana")
        assert (tmp_path / "from-env.sqlite").exists()
    finally:
        get_settings.cache_clear()
