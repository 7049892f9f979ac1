"""``iprisk node init``: a new node — database migrated, keys made, first operator account and its token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from iprisk.accounts import Role, Token
from iprisk.errors import AlreadyExists
from iprisk.exchange import NodeIdentity, SystemClock, save_identity
from iprisk.node.context import Node, _passphrase, node_name, open_database
from iprisk.node.keys import create_audit_keys
from iprisk.settings import Settings, get_settings
from iprisk.store.accounts import UserRow

#: Who the first operator account is created by, in the audit log.
INIT_ACTOR = "node-init"


@dataclass(frozen=True)
class InitResult:
    node: str
    fingerprint: str
    card: str
    audit_vkey: str
    witness_vkey: str
    operator: str
    token: Token
    secret: str


def _refuse_a_database_with_accounts(settings: Settings) -> None:
    engine = open_database(settings)
    try:
        with engine.connect() as connection:
            if connection.execute(select(func.count()).select_from(UserRow)).scalar_one():
                raise AlreadyExists("accounts in the database", "use iprisk users add")
    finally:
        engine.dispose()


def init_node(
    settings: Settings | None = None, *, operator: str = "operator", token_days: float | None = None
) -> InitResult:
    """Create the node the settings describe: keys in the key folder (never overwritten), the database at
    the newest schema, the first operator account and an API token for it (its secret shown once).

    Raises AlreadyExists when the key folder already holds a node, or the database already has accounts.
    """
    settings = settings or get_settings()
    name = node_name(settings)
    folder = settings.key_folder
    if (folder / "identity.json").exists():
        raise AlreadyExists("node keys", str(folder))
    _refuse_a_database_with_accounts(settings)  # before any key is written: a refusal leaves nothing behind
    clock = SystemClock()
    identity = NodeIdentity.create(name, clock.now())
    save_identity(identity, folder, _passphrase(settings))
    create_audit_keys(folder, name, _passphrase(settings))
    with Node.open(settings, clock=clock) as node:
        if node.accounts.users():
            raise AlreadyExists("accounts in the database", "use iprisk users add")
        node.accounts.add_user(operator, Role.OPERATOR.value, name, by=INIT_ACTOR)
        days = token_days if token_days is not None else settings.token_days
        token, secret = node.accounts.create_token(operator, days=days, label="node init", by=INIT_ACTOR)
        keys = node.identity.current
        return InitResult(
            name, keys.fingerprint, keys.card(), node.audit_keys.log.verifier.vkey,
            node.audit_keys.witness.verifier.vkey, operator, token, secret,
        )  # fmt: skip
