"""Accounts and tokens in the operational database, every change and refusal in the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from iprisk.accounts import Role
from iprisk.audit import NoteSigner
from iprisk.errors import AlreadyExists, InvalidValue, NotFound, Unauthenticated
from iprisk.exchange import ManualClock
from iprisk.store import AccountStore, AuditTrail, SqlLogStore, connect
from iprisk.store.accounts import TokenRow


@pytest.fixture
def accounts(store_database_url: str) -> Iterator[AccountStore]:
    engine = connect(store_database_url)
    clock = ManualClock()
    trail = AuditTrail(NoteSigner("iprisk.eu/audit", Ed25519PrivateKey.generate()), clock)
    yield AccountStore(engine, trail, clock)
    engine.dispose()


def _audit(accounts: AccountStore) -> list[dict[str, object]]:
    with Session(accounts.engine) as session:
        return [json.loads(e) for e in SqlLogStore(session).entries()]


def test_accounts_are_added_listed_and_disabled(accounts: AccountStore) -> None:
    alice = accounts.add_user("alice", "analyst", "EU", by="root")
    assert alice.role is Role.ANALYST and alice.active and not alice.has_password
    accounts.add_user("piet", "port_officer", "EU", ["NLRTM"], password="a long passphrase", by="root")
    with pytest.raises(AlreadyExists):
        accounts.add_user("alice", "auditor", "EU", by="root")
    with pytest.raises(InvalidValue):
        accounts.add_user("bob", "port_officer", "EU", ["CNSHA"], by="root")
    assert [(u.name, u.ports, u.has_password) for u in accounts.users()] == [
        ("alice", (), False),
        ("piet", ("NLRTM",), True),
    ]
    assert not accounts.disable_user("alice", by="root").active
    with pytest.raises(NotFound):
        accounts.disable_user("nobody", by="root")
    kinds = [(e["kind"], e["actor"], e["subject"]) for e in _audit(accounts)]
    assert kinds == [
        ("user.added", "root", "alice"),
        ("user.added", "root", "piet"),
        ("user.disabled", "root", "alice"),
    ]
    assert "passphrase" not in json.dumps(_audit(accounts))


def test_a_token_is_shown_once_stored_as_a_hash_and_authenticates(accounts: AccountStore) -> None:
    accounts.add_user("chen", "coordinator", "CN", by="root")
    token, secret = accounts.create_token("chen", days=30, label="laptop", by="root")
    principal = accounts.authenticate(secret)
    assert (principal.name, principal.role, principal.administration, principal.token_id) == (
        "chen", Role.COORDINATOR, "CN", token.id,
    )  # fmt: skip
    with Session(accounts.engine) as session:
        stored = session.scalars(select(TokenRow)).one()
    assert secret not in (stored.hash, stored.id, stored.label) and stored.hash != secret
    assert [t.id for t in accounts.tokens("chen")] == [token.id]
    with pytest.raises(InvalidValue, match="between"):
        accounts.create_token("chen", days=0, by="root")


@pytest.mark.parametrize("how", ["revoked", "expired", "disabled", "altered", "malformed"])
def test_a_refused_token_is_unauthenticated_and_recorded(accounts: AccountStore, how: str) -> None:
    accounts.add_user("chen", "coordinator", "CN", by="root")
    token, secret = accounts.create_token("chen", days=1, by="root")
    if how == "revoked":
        accounts.revoke_token(token.id, by="root")
    elif how == "expired":
        assert isinstance(accounts.clock, ManualClock)
        accounts.clock.advance(timedelta(days=1))
    elif how == "disabled":
        accounts.disable_user("chen", by="root")
    elif how == "altered":
        secret = secret[:-2] + ("AA" if not secret.endswith("AA") else "BB")
    else:
        secret = "Bearer " + secret
    with pytest.raises(Unauthenticated) as refused:
        accounts.authenticate(secret)
    last = _audit(accounts)[-1]
    assert last["kind"] == "auth.refused" and last["actor"] == "anonymous"
    assert str(refused.value) == last["details"]["reason"]  # type: ignore[index]
    assert secret not in json.dumps(_audit(accounts))


def test_passwords_check_and_wrong_ones_are_recorded_without_the_name_typed(accounts: AccountStore) -> None:
    accounts.add_user("anna", "auditor", "EU", password="correct horse battery", by="root")
    assert accounts.check_password("anna", "correct horse battery").role is Role.AUDITOR
    for name, password in (("anna", "wrong horse battery"), ("my secret password", "x")):
        with pytest.raises(Unauthenticated, match="wrong account or password"):
            accounts.check_password(name, password)
    refusals = [e["subject"] for e in _audit(accounts) if e["kind"] == "auth.refused"]
    assert refusals == ["account:anna", "account:?"]
    accounts.set_password("anna", "another long passphrase", by="root")
    with pytest.raises(Unauthenticated):
        accounts.check_password("anna", "correct horse battery")
    assert accounts.check_password("anna", "another long passphrase").name == "anna"
