"""Accounts and API tokens in the operational database; every change is recorded in the audit log in the
same transaction, and so is every refused authentication.

The rules (names, roles, ports, token format, password hashing) live in :mod:`iprisk.accounts` (pure); this
class stores them. A token's secret is returned once by :meth:`AccountStore.create_token` and never stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import JSON, Boolean, DateTime, Engine, ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from iprisk.accounts import (
    Principal,
    Role,
    Token,
    User,
    check_administration,
    check_ports,
    check_role,
    check_user_name,
    hash_password,
    new_token,
    token_hash,
    token_id_of,
    token_matches,
    verify_password,
)
from iprisk.errors import AlreadyExists, InvalidValue, NotFound, TooManyAttempts, Unauthenticated
from iprisk.exchange.clock import Clock
from iprisk.store.audit import AuditTrail
from iprisk.store.db import Base, utc
from iprisk.store.login_throttle import LoginThrottle, throttle_key

#: Compared against when the account does not exist, so that a login takes as long either way.
_DUMMY_HASH = hash_password("not a password, only for timing")


class UserRow(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    administration: Mapped[str] = mapped_column(String(8))
    ports: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str | None] = mapped_column(String(256), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class TokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    label: Mapped[str] = mapped_column(String(128))
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))


def _user(row: UserRow) -> User:
    return User(
        row.name, Role(row.role), row.administration, tuple(row.ports), row.active, utc(row.created_at),
        row.created_by, row.password_hash is not None,
    )  # fmt: skip


def _token(row: TokenRow) -> Token:
    return Token(
        row.id, row.user_name, row.label, utc(row.created_at), utc(row.expires_at),
        utc(row.revoked_at) if row.revoked_at else None, row.created_by,
    )  # fmt: skip


class AccountStore:
    """The node's accounts and tokens; ``audit`` records every change and every refused authentication."""

    def __init__(
        self, engine: Engine, audit: AuditTrail, clock: Clock, throttle: LoginThrottle | None = None
    ):
        self.engine = engine
        self.audit = audit
        self.clock = clock
        #: failed logins per account, address and token (the settings' limits at a node; defaults otherwise)
        self.throttle = throttle or LoginThrottle(engine, clock)

    # -- accounts --------------------------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        role: str,
        administration: str,
        ports: Iterable[str] = (),
        *,
        password: str | None = None,
        by: str,
    ) -> User:
        """Create an account (AlreadyExists when the name is taken)."""
        checked_role = check_role(role)
        administration = check_administration(administration)
        row = UserRow(
            name=check_user_name(name),
            role=checked_role.value,
            administration=administration,
            ports=list(check_ports(checked_role, administration, ports)),
            password_hash=hash_password(password) if password is not None else None,
            active=True,
            created_at=self.clock.now(),
            created_by=by,
        )
        try:
            with Session(self.engine) as session, session.begin():
                if session.get(UserRow, name) is not None:
                    raise AlreadyExists("account", name)
                session.add(row)
                session.flush()
                details = {"role": row.role, "administration": administration, "ports": row.ports}
                self.audit.record(session, "user.added", by, name, details)
                return _user(row)
        except IntegrityError:  # another process added the same name at the same moment
            raise AlreadyExists("account", name) from None

    def user(self, name: str) -> User:
        with Session(self.engine) as session:
            row = session.get(UserRow, name)
            if row is None:
                raise NotFound("account", name)
            return _user(row)

    def users(self) -> list[User]:
        with Session(self.engine) as session:
            return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]

    def disable_user(self, name: str, *, by: str) -> User:
        """Disable an account: its tokens and password stop working (the account stays, for the record)."""
        with Session(self.engine) as session, session.begin():
            row = self._locked_user(session, name)
            if row.active:
                row.active = False
                self.audit.record(session, "user.disabled", by, name)
            return _user(row)

    def set_password(self, name: str, password: str, *, by: str) -> User:
        with Session(self.engine) as session, session.begin():
            row = self._locked_user(session, name)
            row.password_hash = hash_password(password)
            self.audit.record(session, "user.password", by, name)
            return _user(row)

    @staticmethod
    def _locked_user(session: Session, name: str) -> UserRow:
        row = session.get(UserRow, name, with_for_update=True)
        if row is None:
            raise NotFound("account", name)
        return row

    # -- tokens ----------------------------------------------------------------------------------------------
    def create_token(self, user: str, *, days: float, label: str = "", by: str) -> tuple[Token, str]:
        """A new token for ``user`` valid ``days`` days: the token (to show) and its secret (to show ONCE)."""
        if not 0 < days <= 3660:
            raise InvalidValue(f"token lifetime {days} days: between 0 and 3660")
        if len(label) > 128:
            raise InvalidValue("a token label has at most 128 characters")
        token_id, token = new_token()
        now = self.clock.now()
        with Session(self.engine) as session, session.begin():
            owner = self._locked_user(session, user)
            if not owner.active:
                raise InvalidValue(f"account {user} is disabled")
            row = TokenRow(
                id=token_id, user_name=user, label=label, hash=token_hash(token), created_at=now,
                expires_at=now + timedelta(days=days), revoked_at=None, created_by=by,
            )  # fmt: skip
            session.add(row)
            session.flush()
            details = {"token": token_id, "expires": row.expires_at.isoformat()}
            self.audit.record(session, "token.created", by, user, details)
            return _token(row), token

    def tokens(self, user: str | None = None) -> list[Token]:
        query = select(TokenRow).order_by(TokenRow.created_at, TokenRow.id)
        if user is not None:
            query = query.where(TokenRow.user_name == user)
        with Session(self.engine) as session:
            return [_token(r) for r in session.scalars(query)]

    def revoke_token(self, token_id: str, *, by: str) -> Token:
        with Session(self.engine) as session, session.begin():
            row = session.get(TokenRow, token_id, with_for_update=True)
            if row is None:
                raise NotFound("token", token_id)
            if row.revoked_at is None:
                row.revoked_at = self.clock.now()
                self.audit.record(session, "token.revoked", by, row.user_name, {"token": token_id})
            return _token(row)

    # -- authentication --------------------------------------------------------------------------------------
    def authenticate(self, token: str, *, address: str | None = None) -> Principal:
        """The principal a bearer token stands for; Unauthenticated (and an audit entry) when it does not,
        TooManyAttempts when the token or the client ``address`` failed too often in the window."""
        token_id = token_id_of(token)
        keys = _keys(("address", address), ("token", token_id))
        self._check_throttle(keys, f"token:{token_id}" if token_id else "token")
        try:
            return self._principal_of_token(token, token_id)
        except Unauthenticated:
            self.throttle.failed(keys)
            raise

    def _principal_of_token(self, token: str, token_id: str | None) -> Principal:
        if token_id is None:
            self._refuse("token", "malformed token")
        with Session(self.engine) as session:
            row = session.get(TokenRow, token_id)
            owner = session.get(UserRow, row.user_name) if row is not None else None
        if row is None or owner is None or not token_matches(token, row.hash):
            self._refuse(f"token:{token_id}", "unknown token")
        if row.revoked_at is not None:
            self._refuse(f"token:{token_id}", "revoked token")
        if self.clock.now() >= utc(row.expires_at):
            self._refuse(f"token:{token_id}", "expired token")
        if not owner.active:
            self._refuse(f"token:{token_id}", "disabled account")
        return Principal(owner.name, Role(owner.role), owner.administration, frozenset(owner.ports), token_id)

    def check_password(self, name: str, password: str, *, address: str | None = None) -> Principal:
        """The principal of an account and password (the dashboard's login); Unauthenticated otherwise,
        TooManyAttempts when the account name or the client ``address`` failed too often in the window (the
        same for a name that is no account, so that the answer does not tell whether it is one)."""
        keys = _keys(("address", address), ("account", name))
        with Session(self.engine) as session:
            owner = session.get(UserRow, name)
        self._check_throttle(keys, f"account:{owner.name}" if owner is not None else "account:?")
        try:
            return self._principal_of_password(owner, password)
        except Unauthenticated:
            self.throttle.failed(keys)
            raise

    def _principal_of_password(self, owner: UserRow | None, password: str) -> Principal:
        stored = owner.password_hash if owner is not None and owner.password_hash else _DUMMY_HASH
        matches = verify_password(stored, password)
        if owner is None:
            # The name typed is not an account: it is not recorded (it may be a password typed in the wrong
            # field).
            self._refuse("account:?", "wrong account or password")
        if owner.password_hash is None or not matches or not owner.active:
            self._refuse(f"account:{owner.name}", "wrong account or password")
        return Principal(owner.name, Role(owner.role), owner.administration, frozenset(owner.ports))

    def _check_throttle(self, keys: list[str], subject: str) -> None:
        try:
            self.throttle.check(keys)
        except TooManyAttempts:
            with Session(self.engine) as session, session.begin():
                self.audit.record(
                    session, "auth.refused", "anonymous", subject, {"reason": "too many failed attempts"}
                )
            raise

    def _refuse(self, subject: str, reason: str) -> NoReturn:
        with Session(self.engine) as session, session.begin():
            self.audit.record(session, "auth.refused", "anonymous", subject, {"reason": reason})
        raise Unauthenticated(reason)


def _keys(*pairs: tuple[str, str | None]) -> list[str]:
    """The throttle's keys of the (kind, value) pairs that have a value."""
    return [throttle_key(kind, value) for kind, value in pairs if value]
