"""Accounts and API tokens: ``/me``, ``/users``, ``/tokens`` (operators manage, auditors read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from iprisk.accounts import Grant, Role, Token, User
from iprisk.node import Node
from iprisk.web.auth import get_node, require

router = APIRouter(tags=["accounts"])
NodeDep = Annotated[Node, Depends(get_node)]


class UserOut(BaseModel):
    name: str
    role: Role
    administration: str
    ports: list[str]
    active: bool
    created_at: datetime | None
    created_by: str
    has_password: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            name=user.name, role=user.role, administration=user.administration, ports=list(user.ports),
            active=user.active, created_at=user.created_at, created_by=user.created_by,
            has_password=user.has_password,
        )  # fmt: skip


class NewUser(BaseModel):
    name: str = Field(description="1-64 lower-case letters, digits, '.', '_' or '-'.", max_length=64)
    role: Role
    ports: list[str] = Field(default_factory=list, description="UN/LOCODE ports (port officers only).")
    password: str | None = Field(default=None, description="For the dashboard's login (12+ characters).")


class NewPassword(BaseModel):
    password: str = Field(max_length=1024)


class TokenOut(BaseModel):
    id: str
    user: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    created_by: str

    @classmethod
    def of(cls, token: Token) -> TokenOut:
        return cls(
            id=token.id, user=token.user, label=token.label, created_at=token.created_at,
            expires_at=token.expires_at, revoked_at=token.revoked_at, created_by=token.created_by,
        )  # fmt: skip


class NewToken(BaseModel):
    days: float | None = Field(default=None, gt=0, le=3660, description="Lifetime (default: token_days).")
    label: str = Field(default="", max_length=128)


class CreatedToken(TokenOut):
    token: str = Field(description="The token itself: shown this once, stored only as a hash.")


class Me(UserOut):
    token_id: str | None


@router.get("/me", response_model=Me, summary="The account making the request")
def me(grant: Annotated[Grant, require("account.read")], node: NodeDep) -> Me:
    user = node.accounts.user(grant.principal.name)
    return Me(**UserOut.of(user).model_dump(), token_id=grant.principal.token_id)


@router.get("/users", response_model=list[UserOut], summary="Every account of the node")
def list_users(grant: Annotated[Grant, require("users.read")], node: NodeDep) -> list[UserOut]:
    return [UserOut.of(u) for u in node.accounts.users()]


@router.post("/users", response_model=UserOut, status_code=201, summary="Add an account")
def add_user(body: NewUser, grant: Annotated[Grant, require("users.manage")], node: NodeDep) -> UserOut:
    user = node.accounts.add_user(
        body.name, body.role.value, node.name, body.ports, password=body.password, by=grant.principal.name
    )
    return UserOut.of(user)


@router.post("/users/{name}/disable", response_model=UserOut, summary="Disable an account")
def disable_user(name: str, grant: Annotated[Grant, require("users.manage")], node: NodeDep) -> UserOut:
    return UserOut.of(node.accounts.disable_user(name, by=grant.principal.name))


@router.post("/users/{name}/password", response_model=UserOut, summary="Set an account's password")
def set_password(
    name: str, body: NewPassword, grant: Annotated[Grant, require("users.manage")], node: NodeDep
) -> UserOut:
    return UserOut.of(node.accounts.set_password(name, body.password, by=grant.principal.name))


@router.get("/tokens", response_model=list[TokenOut], summary="API tokens (never their secrets)")
def list_tokens(
    grant: Annotated[Grant, require("users.read")],
    node: NodeDep,
    user: Annotated[str | None, Query(max_length=64, description="Only this account's tokens.")] = None,
) -> list[TokenOut]:
    return [TokenOut.of(t) for t in node.accounts.tokens(user)]


@router.post("/users/{name}/tokens", response_model=CreatedToken, status_code=201, summary="New API token")
def create_token(
    name: str, body: NewToken, grant: Annotated[Grant, require("users.manage")], node: NodeDep
) -> CreatedToken:
    days = body.days if body.days is not None else node.settings.token_days
    token, secret = node.accounts.create_token(name, days=days, label=body.label, by=grant.principal.name)
    return CreatedToken(**TokenOut.of(token).model_dump(), token=secret)


@router.post("/tokens/{token_id}/revoke", response_model=TokenOut, summary="Revoke an API token")
def revoke_token(token_id: str, grant: Annotated[Grant, require("users.manage")], node: NodeDep) -> TokenOut:
    return TokenOut.of(node.accounts.revoke_token(token_id, by=grant.principal.name))
