"""``iprisk node init | backup | restore``: create a node, save and bring back its database and keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iprisk.cli import app, err, out

node_app = typer.Typer(
    name="node",
    help="The node: create it (database, keys, first operator), back it up, restore it.",
    no_args_is_help=True,
)
app.add_typer(node_app, name="node")


@node_app.command("init")
def init_cmd(
    operator: Annotated[
        str, typer.Option("--operator", help="Name of the first operator account.")
    ] = "operator",
    days: Annotated[
        float | None, typer.Option("--days", help="Lifetime of its token (default: IPRISK_TOKEN_DAYS).")
    ] = None,
) -> None:
    """Create the node of the settings: keys, database, first operator account and its token (shown once)."""
    from iprisk.node import init_node

    result = init_node(operator=operator, token_days=days)
    out.print(f"node {result.node} created", markup=False)
    out.print(f"fingerprint (give it to the peer's operator): {result.fingerprint}", markup=False)
    out.print(f"audit log key: {result.audit_vkey}", markup=False)
    out.print(f"witness key:   {result.witness_vkey}", markup=False)
    out.print(f"operator account: {result.operator}", markup=False)
    out.print(f"its API token, shown only now (expires {result.token.expires_at:%Y-%m-%d}):", markup=False)
    out.print(result.secret, markup=False)
    err.print("keep the token secret; the key folder holds private keys: back it up (iprisk node backup)")


@node_app.command("backup")
def backup_cmd(
    archive: Annotated[Path, typer.Argument(help="Archive to write (.tar.gz); must not exist.")],
) -> None:
    """Write the operational database (a consistent snapshot) and the key folder to one archive."""
    from iprisk.node import Node, backup_node

    with Node.open() as node:
        manifest = backup_node(node, archive)
    rows = sum(manifest.tables.values())
    out.print(
        f"{archive}: {len(manifest.tables)} tables, {rows} rows, keys of node {manifest.node}", markup=False
    )


@node_app.command("restore")
def restore_cmd(
    archive: Annotated[Path, typer.Argument(help="Archive written by iprisk node backup.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds data.")
    ] = False,
) -> None:
    """Bring back the database and the key folder of a backup (into the settings' database and key folder)."""
    import iprisk.link.service  # noqa: F401  (registers the channel's restore hook: messages in flight resume)
    from iprisk.node import restore_node

    manifest = restore_node(archive, force=force)
    rows = sum(manifest.tables.values())
    out.print(f"node {manifest.node} restored: {len(manifest.tables)} tables, {rows} rows", markup=False)
