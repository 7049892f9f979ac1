"""Risk profiles against the node's store: list, show, history, import, and the lifecycle steps.

The lifecycle rules are those of :mod:`iprisk.profiles.lifecycle` (409 when a step is not allowed); who may
take which step is the authorisation table's: deciding (approve, reject), activating and withdrawing are
limited to the coordinator's own side (a profile its administration owns, or a joint one).
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from iprisk.accounts import Grant
from iprisk.errors import InvalidValue
from iprisk.node import Node
from iprisk.profiles import STATUSES, Profile
from iprisk.web.auth import get_node, require
from iprisk.web.params import MAX_ID

router = APIRouter(prefix="/profiles", tags=["profiles"])
NodeDep = Annotated[Node, Depends(get_node)]
ProfileId = Annotated[str, PathParam(max_length=64)]


class ProfileOut(BaseModel):
    id: str
    version: int
    status: str
    owner: str
    joint: bool
    title: str
    valid_from: date
    valid_to: date | None
    missing_approvals: list[str] = Field(description="Sides whose approval a proposed version still needs.")
    content: dict[str, Any] = Field(description="The whole profile, as in the exchange format.")


class EventOut(BaseModel):
    version: int
    action: str
    from_status: str | None
    to_status: str
    admin: str | None
    by: str
    at: datetime
    note: str


class ImportOut(BaseModel):
    profile_id: str
    version: int
    status: str


class Step(BaseModel):
    note: str = Field(default="", max_length=2000)


class Approval(Step):
    admin: str | None = Field(
        default=None, max_length=8, description="Approving administration (default: the node's)."
    )


def _out(node: Node, profile: Profile) -> ProfileOut:
    from iprisk.profiles import missing_approvals

    missing = (
        sorted(missing_approvals(profile, node.profiles.approvals(profile.id, profile.version)))
        if profile.status == "proposed"
        else []
    )
    return ProfileOut(
        id=profile.id, version=profile.version, status=profile.status, owner=profile.owner,
        joint=profile.joint, title=profile.title, valid_from=profile.valid_from, valid_to=profile.valid_to,
        missing_approvals=missing, content=profile.model_dump(mode="json"),
    )  # fmt: skip


@router.get("", response_model=list[ProfileOut], summary="Profiles (the newest version of each)")
def list_profiles(
    grant: Annotated[Grant, require("profiles.read")],
    node: NodeDep,
    status: Annotated[list[str] | None, Query(description=f"Only these: {', '.join(STATUSES)}.")] = None,
    all_versions: bool = False,
) -> list[ProfileOut]:
    statuses = status or []
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise InvalidValue(f"status {bad[0]!r}: one of {', '.join(STATUSES)}")
    return [_out(node, p) for p in node.profiles.profiles(statuses, all_versions=all_versions)]


@router.get("/{profile_id}", response_model=ProfileOut, summary="One profile (newest version, or ?version=)")
def show_profile(
    profile_id: ProfileId,
    grant: Annotated[Grant, require("profiles.read")],
    node: NodeDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> ProfileOut:
    return _out(node, node.profiles.get(profile_id, version))


@router.get("/{profile_id}/history", response_model=list[EventOut], summary="Every lifecycle step")
def profile_history(
    profile_id: ProfileId, grant: Annotated[Grant, require("profiles.read")], node: NodeDep
) -> list[EventOut]:
    return [EventOut(**e.as_dict()) for e in node.profiles.history(profile_id)]


@router.post("", response_model=list[ImportOut], summary="Import profiles from a YAML or JSON file")
def import_profiles(
    grant: Annotated[Grant, require("profiles.draft")],
    node: NodeDep,
    file: Annotated[UploadFile, File(description="Profiles file, as iprisk profiles import reads it.")],
) -> list[ImportOut]:
    """As ``iprisk profiles import``: new ids are created, changed content becomes a new version."""
    from iprisk.profiles import load_profiles

    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise InvalidValue(f"profiles file {file.filename!r}: expected .yaml, .yml or .json")
    with tempfile.TemporaryDirectory(prefix="iprisk-profiles-") as folder:
        path = Path(folder) / f"profiles{suffix}"
        path.write_bytes(file.file.read())
        profiles = load_profiles(path)
    results = node.profiles.import_profiles(profiles, by=grant.principal.name)
    return [ImportOut(profile_id=r.profile_id, version=r.version, status=r.status) for r in results]


def _own_side_step(grant: Grant, node: Node, profile_id: str, action: str, note: str) -> ProfileOut:
    """A step only the coordinator's own side may take: it must own the profile, or share it (joint)."""
    profile = node.profiles.get(profile_id)
    if not profile.joint:
        grant.check_administration(profile.owner)
    return _out(node, node.profiles.apply(profile_id, action, by=grant.principal.name, note=note))


@router.post("/{profile_id}/propose", response_model=ProfileOut, summary="Propose a draft for approval")
def propose(
    profile_id: ProfileId, body: Step, grant: Annotated[Grant, require("profiles.propose")], node: NodeDep
) -> ProfileOut:
    return _out(node, node.profiles.apply(profile_id, "propose", by=grant.principal.name, note=body.note))


@router.post("/{profile_id}/approve", response_model=ProfileOut, summary="Approve for one's side")
def approve(
    profile_id: ProfileId, body: Approval, grant: Annotated[Grant, require("profiles.decide")], node: NodeDep
) -> ProfileOut:
    admin = (body.admin or node.name).strip().upper()
    grant.check_administration(admin)
    profile = node.profiles.apply(profile_id, "approve", by=grant.principal.name, admin=admin, note=body.note)
    return _out(node, profile)


@router.post("/{profile_id}/reject", response_model=ProfileOut, summary="Send a proposal back to draft")
def reject(
    profile_id: ProfileId, body: Step, grant: Annotated[Grant, require("profiles.decide")], node: NodeDep
) -> ProfileOut:
    return _own_side_step(grant, node, profile_id, "reject", body.note)


@router.post("/{profile_id}/activate", response_model=ProfileOut, summary="Activate an approved profile")
def activate(
    profile_id: ProfileId, body: Step, grant: Annotated[Grant, require("profiles.activate")], node: NodeDep
) -> ProfileOut:
    return _own_side_step(grant, node, profile_id, "activate", body.note)


@router.post("/{profile_id}/withdraw", response_model=ProfileOut, summary="Withdraw a profile (final)")
def withdraw(
    profile_id: ProfileId, body: Step, grant: Annotated[Grant, require("profiles.withdraw")], node: NodeDep
) -> ProfileOut:
    return _own_side_step(grant, node, profile_id, "withdraw", body.note)
