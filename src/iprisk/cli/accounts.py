"""``iprisk users add | list | disable | passwd`` and ``iprisk tokens create | list | revoke``.

They act on the node of the settings (``iprisk node init`` made it) through its account store; every change
is recorded in the node's audit log with the acting user (``IPRISK_USER``, else the OS user).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from iprisk.cli import app, err, out
from iprisk.cli._options import UserOpt

users_app = typer.Typer(name="users", help="The node's accounts and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(
    name="tokens", help="API tokens: shown once, stored as a hash.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


@users_app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="Account name (lower-case letters, digits, . _ -).")],
    role: Annotated[
        str, typer.Option("--role", help="operator, coordinator, analyst, port_officer or auditor.")
    ],
    port: Annotated[
        list[str] | None, typer.Option("--port", help="A UN/LOCODE port (port officers; repeatable).")
    ] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password (the dashboard's login).")
    ] = False,
    user: UserOpt = None,
) -> None:
    """Add an account of this node's administration."""
    from iprisk.node import Node
    from iprisk.settings import acting_user

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    with Node.open() as node:
        added = node.accounts.add_user(
            name, role, node.name, port or (), password=secret, by=acting_user(user)
        )
    ports = f" ports {', '.join(added.ports)}" if added.ports else ""
    out.print(f"{added.name}: {added.role.value} of {added.administration}{ports}", markup=False)


@users_app.command("list")
def list_cmd() -> None:
    """Every account of the node."""
    from iprisk.node import Node

    with Node.open() as node:
        users = node.accounts.users()
    table = Table(title=f"{len(users)} account(s)")
    for header in ("name", "role", "administration", "ports", "active", "password", "created", "by"):
        table.add_column(header, overflow="fold")
    for u in users:
        created = u.created_at.isoformat(timespec="seconds") if u.created_at else ""
        row = (u.name, u.role.value, u.administration, " ".join(u.ports), "yes" if u.active else "no",
               "yes" if u.has_password else "no", created, u.created_by)  # fmt: skip
        table.add_row(*(escape(x) for x in row))
    out.print(table)


@users_app.command("disable")
def disable_cmd(name: Annotated[str, typer.Argument(help="Account name.")], user: UserOpt = None) -> None:
    """Disable an account: its tokens and password stop working at once."""
    from iprisk.node import Node
    from iprisk.settings import acting_user

    with Node.open() as node:
        node.accounts.disable_user(name, by=acting_user(user))
    out.print(f"{name}: disabled", markup=False)


@users_app.command("passwd")
def passwd_cmd(name: Annotated[str, typer.Argument(help="Account name.")], user: UserOpt = None) -> None:
    """Set an account's password (asked twice, never echoed)."""
    from iprisk.node import Node
    from iprisk.settings import acting_user

    secret = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    with Node.open() as node:
        node.accounts.set_password(name, secret, by=acting_user(user))
    out.print(f"{name}: password set", markup=False)


@tokens_app.command("create")
def create_cmd(
    account: Annotated[str, typer.Argument(help="Account the token acts for.")],
    days: Annotated[
        float | None, typer.Option("--days", help="Lifetime (default: IPRISK_TOKEN_DAYS).")
    ] = None,
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
    user: UserOpt = None,
) -> None:
    """Create an API token; it is printed this once and stored only as a hash."""
    from iprisk.node import Node
    from iprisk.settings import acting_user

    with Node.open() as node:
        lifetime = days if days is not None else node.settings.token_days
        token, secret = node.accounts.create_token(account, days=lifetime, label=label, by=acting_user(user))
    err.print(
        f"token {token.id} for {account}, expires {token.expires_at:%Y-%m-%d}; shown only now:", markup=False
    )
    out.print(secret, markup=False)


@tokens_app.command("list")
def tokens_list_cmd(
    account: Annotated[str | None, typer.Option("--user-name", help="Only this account's tokens.")] = None,
) -> None:
    """API tokens (never their secrets): id, account, label, created, expires, revoked."""
    from iprisk.node import Node

    with Node.open() as node:
        tokens = node.accounts.tokens(account)
    table = Table(title=f"{len(tokens)} token(s)")
    for header in ("id", "account", "label", "created", "expires", "revoked"):
        table.add_column(header, overflow="fold")
    for t in tokens:
        revoked = t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else ""
        row = (t.id, t.user, t.label, t.created_at.isoformat(timespec="seconds"),
               t.expires_at.isoformat(timespec="seconds"), revoked)  # fmt: skip
        table.add_row(*(escape(x) for x in row))
    out.print(table)


@tokens_app.command("revoke")
def revoke_cmd(
    token_id: Annotated[str, typer.Argument(help="Token id (see iprisk tokens list).")], user: UserOpt = None
) -> None:
    """Revoke a token: it stops working at once."""
    from iprisk.node import Node
    from iprisk.settings import acting_user

    with Node.open() as node:
        node.accounts.revoke_token(token_id, by=acting_user(user))
    out.print(f"token {token_id}: revoked", markup=False)
