"""The profile store: every version of every risk profile and every lifecycle step, in the operational DB.

The lifecycle rules live in :mod:`iprisk.profiles.lifecycle` (pure); this class loads the current state,
applies a rule and writes the new state and its event in one transaction. The writing methods also take the
caller's unit of work (``session=``, committed by the caller): the channel applies a step received from the
peer node in the transaction of its inbox. ``on_change`` hears every step inside its transaction (the
channel sends joint profiles' steps to the peer from there: the step and its message commit together).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from iprisk.errors import InvalidTransition, NotFound
from iprisk.profiles.lifecycle import Event, created, revise, transition
from iprisk.profiles.model import STATUSES, Profile
from iprisk.settings import acting_user
from iprisk.store._audited import AuditedStore
from iprisk.store.db import ProfileEventRow, ProfileRow, utc

ImportStatus = Literal["created", "revised", "unchanged"]
#: hears each lifecycle step (the profile as it is after the step, and the event) in its transaction
ChangeHook = Callable[[Session, Profile, Event], None]
#: Statuses a profile keeps when imported; anything further along arrives as ``proposed`` (to approve here).
_IMPORT_KEEPS = ("draft", "proposed")


@dataclass(frozen=True, slots=True)
class ImportResult:
    profile_id: str
    version: int
    status: ImportStatus


def _profile(row: ProfileRow) -> Profile:
    return Profile.model_validate({**row.content, "version": row.version, "status": row.status})


def _event(row: ProfileEventRow) -> Event:
    return Event(
        row.profile_id, row.version, row.action, row.from_status, row.to_status, row.by, utc(row.at),
        row.admin, row.note,
    )  # fmt: skip


class ProfileStore(AuditedStore[ChangeHook]):
    """Profiles in a SQL database (SQLite file by default, PostgreSQL by URL).

    ``ProfileStore()`` opens ``settings.database``; the schema is migrated to the newest revision on opening.
    With ``audit`` (a node's trail), every lifecycle step is also recorded in the audit log, in the same
    transaction.
    """

    # -- reading ---------------------------------------------------------------------------------------------
    def _latest_row(self, session: Session, profile_id: str) -> ProfileRow:
        row = session.scalars(
            select(ProfileRow).where(ProfileRow.id == profile_id).order_by(ProfileRow.version.desc()).limit(1)
        ).first()
        if row is None:
            raise NotFound("profile", profile_id)
        return row

    def get(self, profile_id: str, version: int | None = None, *, session: Session | None = None) -> Profile:
        """The newest version of a profile, or the given version; NotFound when absent."""
        with self._reading(session) as session:
            if version is None:
                return _profile(self._latest_row(session, profile_id))
            row = session.get(ProfileRow, (profile_id, version))
            if row is None:
                raise NotFound("profile", f"{profile_id} v{version}")
            return _profile(row)

    def profiles(
        self, status: str | Iterable[str] | None = None, *, all_versions: bool = False
    ) -> list[Profile]:
        """Profiles (the newest version of each unless ``all_versions``), optionally of some statuses.

        With a status, a version counts when it has that status even if a newer version exists (the active
        version of a profile whose revision is still in draft is active).
        """
        statuses = [status] if isinstance(status, str) else list(status or [])
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise ValueError(f"unknown status {unknown[0]!r} (one of {', '.join(STATUSES)})")
        query = select(ProfileRow)
        if statuses:
            query = query.where(ProfileRow.status.in_(statuses))
        if not all_versions:
            newest = select(ProfileRow.id, func.max(ProfileRow.version).label("v"))
            if statuses:
                newest = newest.where(ProfileRow.status.in_(statuses))
            sub = newest.group_by(ProfileRow.id).subquery()
            query = query.join(sub, and_(ProfileRow.id == sub.c.id, ProfileRow.version == sub.c.v))
        with Session(self.engine) as session:
            rows = session.scalars(query.order_by(ProfileRow.id, ProfileRow.version)).all()
            return [_profile(r) for r in rows]

    def active(self, on: date | None = None) -> list[Profile]:
        """The active profiles, optionally only those valid on day ``on``: what the rule engine runs."""
        profiles = self.profiles("active")
        return [p for p in profiles if on is None or p.is_valid_on(on)]

    def history(self, profile_id: str, *, session: Session | None = None) -> list[Event]:
        """Every event of every version of a profile, oldest first; NotFound when the profile is unknown."""
        with self._reading(session) as session:
            self._latest_row(session, profile_id)
            rows = session.scalars(
                select(ProfileEventRow)
                .where(ProfileEventRow.profile_id == profile_id)
                .order_by(ProfileEventRow.event_id)
            ).all()
            return [_event(r) for r in rows]

    def approvals(self, profile_id: str, version: int) -> list[str]:
        """Admin codes that approved this version of the profile."""
        with Session(self.engine) as session:
            return self._approvals(session, profile_id, version)

    @staticmethod
    def _approvals(session: Session, profile_id: str, version: int) -> list[str]:
        rows = session.scalars(
            select(ProfileEventRow.admin).where(
                ProfileEventRow.profile_id == profile_id,
                ProfileEventRow.version == version,
                ProfileEventRow.action == "approve",
            )
        ).all()
        return [a for a in rows if a]

    # -- writing ---------------------------------------------------------------------------------------------
    def _write(self, session: Session, profile: Profile, event: Event, *, new_row: bool) -> None:
        if new_row:
            session.add(
                ProfileRow(
                    id=profile.id,
                    version=profile.version,
                    status=profile.status,
                    content=profile.content(),
                    created_by=event.by,
                    created_at=event.at,
                )
            )
            session.flush()
        else:
            row = session.get(ProfileRow, (profile.id, profile.version))
            assert row is not None
            row.status = profile.status
        session.add(
            ProfileEventRow(
                profile_id=event.profile_id,
                version=event.version,
                action=event.action,
                from_status=event.from_status,
                to_status=event.to_status,
                admin=event.admin,
                by=event.by,
                at=event.at,
                note=event.note,
            )
        )
        if self.audit is not None:
            # The note is free text: it stays in the profile's history, not in the audit log.
            details = {"from": event.from_status, "to": event.to_status, "admin": event.admin}
            subject = f"{event.profile_id} v{event.version}"
            self.audit.record(session, f"profile.{event.action}", event.by, subject, details)
        if self.on_change is not None:
            self.on_change(session, profile, event)

    def add(self, profile: Profile, *, by: str | None = None, note: str = "") -> ImportResult:
        """Store a profile: a new id is created as given; new content for a known id becomes a new version
        (in the status given, draft or proposed); identical content changes nothing."""
        by = acting_user(by)
        if profile.status not in _IMPORT_KEEPS:
            note = (note + "; " if note else "") + f"arrived as {profile.status}, needs approval here"
            profile = profile.model_copy(update={"status": "proposed"})
        with self._unit(None) as session:
            try:
                current = _profile(self._latest_row(session, profile.id))
            except NotFound:
                stored = profile.model_copy(update={"version": 1})
                self._write(session, stored, created(stored, by=by, note=note), new_row=True)
                return ImportResult(stored.id, 1, "created")
            if current.same_content(profile):
                return ImportResult(current.id, current.version, "unchanged")
            new, event = revise(current, profile, by=by, note=note)
            self._write(session, new, event, new_row=True)
            if profile.status != "draft":
                new, event = transition(new, "propose", by=by, note=note)
                self._write(session, new, event, new_row=False)
            return ImportResult(new.id, new.version, "revised")

    def import_profiles(self, profiles: Iterable[Profile], *, by: str | None = None) -> list[ImportResult]:
        """:meth:`add` each profile (e.g. from :func:`iprisk.profiles.load_profiles`)."""
        return [self.add(p, by=by, note="imported") for p in profiles]

    def add_version(self, profile: Profile, event: Event, *, session: Session | None = None) -> None:
        """Store a version as numbered and in the state it has elsewhere (a version received from the peer
        node), with the event that made it: version 1 of a new profile, or the next version of a known one.
        Raises InvalidTransition otherwise."""
        with self._unit(session) as session:
            try:
                latest = self._latest_row(session, profile.id).version
            except NotFound:
                latest = 0
            if profile.version != latest + 1:
                raise InvalidTransition(
                    profile.id,
                    profile.status,
                    event.action,
                    f"version {profile.version} after version {latest}",
                )
            self._write(session, profile, event, new_row=True)

    def apply(
        self,
        profile_id: str,
        action: str,
        *,
        by: str | None = None,
        admin: str | None = None,
        note: str = "",
        version: int | None = None,
        at: datetime | None = None,
        session: Session | None = None,
    ) -> Profile:
        """Apply a lifecycle action (propose, approve, reject, activate, expire, withdraw) to the newest one
        (or to ``version``).

        Activating a version expires the previously active version of the same profile. Raises
        InvalidTransition when not allowed, NotFound for an unknown profile.
        """
        by = acting_user(by)
        try:
            with self._unit(session) as session:
                row = self._latest_row(session, profile_id)
                if version is not None and version != row.version:
                    found = session.get(ProfileRow, (profile_id, version))
                    if found is None:
                        raise NotFound("profile", f"{profile_id} v{version}")
                    row = found
                current = _profile(row)
                approvals = self._approvals(session, profile_id, current.version)
                new, event = transition(
                    current, action, by=by, admin=admin, approvals=approvals, note=note, at=at
                )
                if action == "activate":
                    for old in session.scalars(
                        select(ProfileRow).where(
                            ProfileRow.id == profile_id,
                            ProfileRow.status == "active",
                            ProfileRow.version != current.version,
                        )
                    ).all():
                        before = _profile(old)
                        expired, ev = transition(
                            before, "expire", by=by, note=f"replaced by version {current.version}", at=at
                        )
                        self._write(session, expired, ev, new_row=False)
                self._write(session, new, event, new_row=False)
                return new
        except IntegrityError as exc:  # another writer changed the same profile at the same time
            raise InvalidTransition(profile_id, "unknown", action, "changed concurrently, retry") from exc

    def propose(self, profile_id: str, *, by: str | None = None) -> Profile:
        return self.apply(profile_id, "propose", by=by)

    def approve(self, profile_id: str, admin: str, *, by: str | None = None) -> Profile:
        return self.apply(profile_id, "approve", by=by, admin=admin)

    def activate(self, profile_id: str, *, by: str | None = None) -> Profile:
        return self.apply(profile_id, "activate", by=by)

    def withdraw(self, profile_id: str, *, by: str | None = None, note: str = "") -> Profile:
        return self.apply(profile_id, "withdraw", by=by, note=note)

    def expire_due(self, on: date | None = None, *, by: str | None = None) -> list[Profile]:
        """Expire every active version whose validity ended before ``on`` (default today)."""
        day = on or datetime.now(UTC).date()
        due = [
            p
            for p in self.profiles("active", all_versions=True)
            if p.valid_to is not None and p.valid_to < day
        ]
        out = []
        for p in due:
            with Session(self.engine) as session, session.begin():
                new, event = transition(p, "expire", by=acting_user(by), note=f"validity ended {p.valid_to}")
                self._write(session, new, event, new_row=False)
                out.append(new)
        return out
