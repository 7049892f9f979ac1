"""``iprisk audit verify | checkpoint``: check the node's audit log, sign a checkpoint now."""

from __future__ import annotations

from typing import Annotated

import typer

from iprisk.cli import app, err, out

audit_app = typer.Typer(name="audit", help="The node's tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify_cmd(
    cosigner: Annotated[
        list[str] | None,
        typer.Option("--cosigner", help="A peer's witness key (C2SP vkey) whose cosignatures to check."),
    ] = None,
) -> None:
    """Check signatures, the hash chain, consistency and inclusion proofs; name any entry tampered with.

    Exit 0 when the log verifies, 3 when something is wrong (each finding printed).
    """
    from iprisk.audit import NoteVerifier
    from iprisk.cli import EXIT_INVALID
    from iprisk.node import Node
    from iprisk.node.audit import verify_node_log

    cosigners = [NoteVerifier.from_vkey(v) for v in cosigner or []]
    with Node.open() as node:
        result = verify_node_log(node, cosigners)
    report = result.report
    out.print(
        f"{report.origin}: {report.entries} entries, {report.checkpoints} checkpoint(s), verified up to "
        f"{report.verified_size}; {result.consistency_checked} consistency and {result.inclusion_checked} "
        f"inclusion proof(s) checked",
        markup=False,
    )
    for name, size in sorted(report.cosigned.items()):
        out.print(f"cosigned by {name} up to {size}", markup=False)
    if not result.ok:
        for finding in result.findings():
            err.print(f"  {finding}", markup=False)
        raise typer.Exit(EXIT_INVALID)
    out.print("ok", markup=False)


@audit_app.command("checkpoint")
def checkpoint_cmd() -> None:
    """Sign a checkpoint of the log as it is now and print it (a C2SP signed note)."""
    from sqlalchemy.orm import Session

    from iprisk.node import Node

    with Node.open() as node, Session(node.engine) as session, session.begin():
        note = node.audit.checkpoint(session)
    out.print(note, markup=False, end="")
