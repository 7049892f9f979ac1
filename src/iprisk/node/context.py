"""A running node: its settings, operational database, keys, audit trail and stores, opened once.

:meth:`Node.open` checks the settings a node needs and stops with one error naming the setting (or file) at
fault: the node's administration, the key folder and its passphrase, the database. The web app holds one
``Node``; the command line opens one per command.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from iprisk.errors import InvalidValue
from iprisk.exchange import Clock, NodeIdentity, SystemClock, load_identity
from iprisk.node.keys import AuditKeys, load_audit_keys
from iprisk.settings import Settings, get_settings
from iprisk.store import AccountStore, AuditTrail, ProfileStore, ReferralStore, connect
from iprisk.store.login_throttle import LoginThrottle


class NodeSettingError(InvalidValue):
    """A setting the node needs is missing or wrong; the message names it and its variable."""

    def __init__(self, setting: str, reason: str):
        self.setting = setting
        super().__init__(f"setting {setting} (IPRISK_{setting.upper()}): {reason}")


def node_name(settings: Settings) -> str:
    if settings.node is None:
        raise NodeSettingError("node", "not set; this node's administration, EU or CN")
    return settings.node


def _passphrase(settings: Settings) -> str | None:
    return settings.key_passphrase.get_secret_value() if settings.key_passphrase else None


def _throttle(settings: Settings, engine: Engine, clock: Clock) -> LoginThrottle:
    return LoginThrottle(engine, clock, settings.login_max_failures, settings.login_window_seconds)


def open_database(settings: Settings) -> Engine:
    """The node's database, migrated to the newest schema; a failure names the setting."""
    try:
        return connect(settings.database)
    except SQLAlchemyError as exc:
        # The driver's message may quote the URL; only its first line and the kind of failure are shown.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise NodeSettingError("database", f"cannot open or migrate it: {reason}") from None


@dataclass
class Node:
    settings: Settings
    name: str
    engine: Engine
    identity: NodeIdentity
    audit_keys: AuditKeys
    audit: AuditTrail
    accounts: AccountStore
    profiles: ProfileStore
    clock: Clock
    #: the referrals between key ports; at a node with a channel, each step travels (iprisk.link.referrals)
    referrals: ReferralStore | None = None

    @classmethod
    def open(cls, settings: Settings | None = None, *, clock: Clock | None = None) -> Node:
        """Open the node the settings describe (made by ``iprisk node init``)."""
        settings = settings or get_settings()
        name = node_name(settings)
        folder = settings.key_folder
        if not (folder / "identity.json").exists():
            raise NodeSettingError("key_folder", f"{folder} holds no node keys: run iprisk node init first")
        identity = load_identity(folder, _passphrase(settings))
        if identity.node != name:
            raise NodeSettingError(
                "node", f"is {name}, but the keys in {folder} are those of node {identity.node}"
            )
        audit_keys = load_audit_keys(folder, name, _passphrase(settings))
        clock = clock or SystemClock()
        engine = open_database(settings)
        audit = AuditTrail(audit_keys.log, clock, checkpoint_every=settings.audit_checkpoint_every)
        accounts = AccountStore(engine, audit, clock, _throttle(settings, engine, clock))
        return cls(
            settings, name, engine, identity, audit_keys, audit, accounts,
            ProfileStore(engine, audit=audit), clock, ReferralStore(engine, audit=audit),
        )  # fmt: skip

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
