"""Failed logins counted per account, address and token over a sliding window, in the database (SQLite and
PostgreSQL): N failures, then refused even with the right password until the window passes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iprisk.audit import NoteSigner
from iprisk.errors import TooManyAttempts, Unauthenticated
from iprisk.exchange import ManualClock
from iprisk.store import AccountStore, AuditTrail, SqlLogStore, connect
from iprisk.store.login_throttle import LoginFailureRow, LoginThrottle

PASSWORD = "correct horse battery"
HERE, THERE = "192.0.2.1", "198.51.100.7"


@pytest.fixture
def accounts(store_database_url: str) -> Iterator[AccountStore]:
    engine = connect(store_database_url)
    clock = ManualClock()
    trail = AuditTrail(NoteSigner("iprisk.eu/audit", Ed25519PrivateKey.generate()), clock)
    store = AccountStore(
        engine, trail, clock, LoginThrottle(engine, clock, max_failures=3, window_seconds=600)
    )
    store.add_user("anna", "auditor", "EU", password=PASSWORD, by="root")
    yield store
    engine.dispose()


def _fail(accounts: AccountStore, name: str, address: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated) as refused:
            accounts.check_password(name, "wrong password!", address=address)
        assert not isinstance(refused.value, TooManyAttempts)


def test_n_failures_then_refused_with_the_right_password_until_the_window_passes(
    accounts: AccountStore,
) -> None:
    clock = accounts.clock
    assert isinstance(clock, ManualClock)
    _fail(accounts, "anna", HERE, 2)
    clock.advance(timedelta(seconds=100))
    _fail(accounts, "anna", HERE, 1)
    with pytest.raises(TooManyAttempts) as refused:
        accounts.check_password("anna", PASSWORD, address=HERE)
    assert refused.value.retry_after == 500  # the oldest of the 3 failures leaves the window at 600 s
    # the account is throttled from any address (a password guessed from many addresses)
    with pytest.raises(TooManyAttempts):
        accounts.check_password("anna", PASSWORD, address=THERE)
    clock.advance(timedelta(seconds=499))
    with pytest.raises(TooManyAttempts) as refused:
        accounts.check_password("anna", PASSWORD, address=HERE)
    assert refused.value.retry_after == 1
    clock.advance(timedelta(seconds=1))
    assert accounts.check_password("anna", PASSWORD, address=HERE).name == "anna"
    reasons = [e["details"].get("reason") for e in _audit(accounts) if e["kind"] == "auth.refused"]
    assert reasons.count("too many failed attempts") == 3
    assert "wrong password" not in json.dumps(_audit(accounts))


def test_addresses_are_counted_apart_and_a_success_resets_no_other_counter(accounts: AccountStore) -> None:
    _fail(accounts, "nobody", HERE, 2)
    _fail(accounts, "someone", HERE, 1)  # the address's third failure, on other names
    with pytest.raises(TooManyAttempts):
        accounts.check_password("anna", PASSWORD, address=HERE)
    # another address is not throttled, and its success does not free the first one
    assert accounts.check_password("anna", PASSWORD, address=THERE).name == "anna"
    with pytest.raises(TooManyAttempts):
        accounts.check_password("anna", PASSWORD, address=HERE)


def test_a_name_that_is_no_account_is_throttled_the_same(accounts: AccountStore) -> None:
    _fail(accounts, "nobody", HERE, 3)
    _fail(accounts, "anna", THERE, 3)
    for name in ("nobody", "anna"):
        with pytest.raises(TooManyAttempts) as refused:
            accounts.check_password(name, PASSWORD, address="203.0.113.9")
        assert refused.value.retry_after == 600
    subjects = [e["subject"] for e in _audit(accounts) if e["kind"] == "auth.refused"]
    assert "nobody" not in json.dumps(subjects)  # a name that is no account may be a password


def test_bad_tokens_are_throttled_per_address_and_old_failures_are_forgotten(accounts: AccountStore) -> None:
    _token, secret = accounts.create_token("anna", days=30, by="root")
    for n in range(3):
        with pytest.raises(Unauthenticated):
            accounts.authenticate(f"iprisk.abcdefgh{n}.{'x' * 40}", address=HERE)
    with pytest.raises(TooManyAttempts):
        accounts.authenticate(secret, address=HERE)
    assert accounts.authenticate(secret, address=THERE).name == "anna"
    clock = accounts.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(seconds=601))
    _fail(accounts, "anna", THERE, 1)  # a failure prunes every row already out of the window
    with Session(accounts.engine) as session:
        assert session.scalar(select(func.count()).select_from(LoginFailureRow)) == 2  # account + address
    assert accounts.authenticate(secret, address=HERE).name == "anna"


def _audit(accounts: AccountStore) -> list[dict[str, object]]:
    with Session(accounts.engine) as session:
        return [json.loads(e) for e in SqlLogStore(session).entries()]


def test_two_processes_on_one_database_share_the_counts(accounts: AccountStore) -> None:
    """A second store on its own engine (another worker): the failures counted by one refuse at the other."""
    other_engine = connect(accounts.engine.url.render_as_string(hide_password=False))
    other = AccountStore(
        other_engine, accounts.audit, accounts.clock, LoginThrottle(other_engine, accounts.clock, 3, 600)
    )
    _fail(accounts, "anna", HERE, 2)
    _fail(other, "anna", THERE, 1)
    with pytest.raises(TooManyAttempts):
        other.check_password("anna", PASSWORD, address="203.0.113.9")
    other_engine.dispose()
