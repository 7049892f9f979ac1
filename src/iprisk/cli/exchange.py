"""``iprisk exchange``: the channel between the nodes, as its operator sees it (docs/cli.md, docs/channel.md).

``deliver`` (one pass of what ``iprisk serve`` does in the background), ``status`` (the message log),
``reconcile`` (the two nodes' statistics and joint profiles compared), ``peer add|list|refresh|revoke``
(whom this node trusts), ``keys rotate|retire`` (this node's own channel keys). Each command opens the node
of the settings (``IPRISK_NODE``, ``IPRISK_KEY_FOLDER``, ``IPRISK_DATABASE``), calls :mod:`iprisk.link`
and prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from iprisk.cli import app, err, out

if TYPE_CHECKING:
    from iprisk.link import Link

exchange_app = typer.Typer(
    help="The channel between the nodes: deliver, status, reconcile, peers and keys.", no_args_is_help=True
)
peer_app = typer.Typer(help="The peer nodes this node trusts, pinned by fingerprint.", no_args_is_help=True)
keys_app = typer.Typer(help="This node's channel keys: rotation, retirement.", no_args_is_help=True)
app.add_typer(exchange_app, name="exchange")
exchange_app.add_typer(peer_app, name="peer")
exchange_app.add_typer(keys_app, name="keys")

PeerArg = Annotated[str, typer.Argument(help="The peer node (EU or CN).")]


def _link() -> Link:
    from iprisk.link.service import open_link

    return open_link()


@exchange_app.command("deliver")
def deliver_cmd() -> None:
    """Queue what is new (statistics, checkpoints) and deliver every message due now; once."""
    from iprisk.link import DeliveryWorker

    done = DeliveryWorker(_link()).run_once()
    out.print(
        f"queued {done.queued}, attempted {done.attempted}, received by the peer {done.received}, "
        f"failed for good {done.failed}",
        markup=False,
    )
    for problem in done.errors:
        err.print(f"warning: {problem}", markup=False)


@exchange_app.command("status")
def status_cmd(
    state: Annotated[
        str | None,
        typer.Option("--state", help="Only messages in this state (queued, sent, received, accepted...)."),
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only messages of this kind (stats...).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest messages shown.")] = 50,
) -> None:
    """The message log (both directions, newest first, never a payload) and the counts by state."""
    from iprisk.link.status import counts, message_log

    link = _link()
    table = Table("id", "dir", "kind", "peer", "state", "at (UTC)", "attempts", "reason")
    for m in message_log(link, state=state, kind=kind, limit=limit):
        at = m.at.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(m.id, m.direction, m.kind, m.peer, m.state, at, str(m.attempts), m.reason or "")
    out.print(table)
    c = counts(link)
    outgoing = ", ".join(f"{k} {v}" for k, v in c.outgoing.items())
    incoming = ", ".join(f"{k} {v}" for k, v in c.incoming.items())
    out.print(f"outgoing: {outgoing}; retries {c.retries}", markup=False)
    out.print(f"incoming: {incoming}; refused before opening {c.refused_unauthenticated}", markup=False)


@exchange_app.command("reconcile")
def reconcile_cmd(
    peer: Annotated[str | None, typer.Option("--peer", help="Only this peer (default: every peer).")] = None,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend", help="Queue again the referral steps taken here that the peer lacks (then deliver)."
        ),
    ] = False,
) -> None:
    """Compare every submission's content hash, joint profile and referral with the peer (exit 1 if any
    differ); with --resend, queue again the referral steps taken here whose messages the peer never got."""
    from iprisk.link import reconcile
    from iprisk.link.referral_sync import resend_missing

    link = _link()
    peers = [peer] if peer else sorted(link.peer_book.peers())
    if not peers:
        err.print("no peer: add one with iprisk exchange peer add", markup=False)
        raise typer.Exit(1)
    differences = 0
    for name in peers:
        result = reconcile(link, name)
        out.print(
            f"{result.node} <-> {result.peer}: {result.submissions} submissions, {result.profiles} joint "
            f"profiles, {result.referrals} referrals compared, {len(result.differences)} differences",
            markup=False,
        )
        for difference in result.differences:
            out.print(f"  {difference}", markup=False)
        differences += len(result.differences)
        if resend and result.differences:
            for done in resend_missing(link, name, result.their_referrals):
                out.print(f"  {done}", markup=False)
    if differences:
        raise typer.Exit(1)


@exchange_app.command("probe")
def probe_cmd(
    peer: PeerArg,
    count: Annotated[int, typer.Option("--count", min=1, help="Probes to send.")] = 1,
) -> None:
    """Queue probes to the peer (they travel and are receipted, nothing else); see them with status."""
    from iprisk.link.probe import send_probes

    ids = send_probes(_link(), peer, count)
    out.print(f"{len(ids)} probes queued for {peer} (first {ids[0]})", markup=False)


@peer_app.command("add")
def peer_add_cmd(
    url: Annotated[str, typer.Argument(help="The peer's base URL (https://...).")],
    fingerprint: Annotated[
        str, typer.Option("--fingerprint", help="The peer's key fingerprint, as its operator gave it.")
    ],
) -> None:
    """Fetch the peer's card, check its fingerprint and pin its keys."""
    from iprisk.link import add_peer

    peer = add_peer(_link(), url, fingerprint)
    out.print(f"peer {peer.node} at {peer.url} pinned ({fingerprint})", markup=False)


@peer_app.command("list")
def peer_list_cmd() -> None:
    """The peers, their URL and the keys pinned for each."""
    link = _link()
    table = Table("node", "url", "key", "state")
    now = link.clock.now()
    for node, peer in sorted(link.peer_book.peers().items()):
        usable = [key.fingerprint for key in peer.ring.keys if key.usable(now)]
        for key in peer.ring.keys:
            state = "revoked" if key.revoked_at else "retired" if key.fingerprint not in usable else "valid"
            if usable and key.fingerprint == usable[-1]:
                state = "current"
            table.add_row(node, peer.url, key.fingerprint, state)
    out.print(table)


@peer_app.command("refresh")
def peer_refresh_cmd(node: PeerArg) -> None:
    """Follow the peer's key rotations from its card (each signed by a key already pinned)."""
    from iprisk.link import refresh_peer

    peer = refresh_peer(_link(), node)
    out.print(f"peer {peer.node}: {len(peer.ring.keys)} keys pinned", markup=False)


@peer_app.command("revoke")
def peer_revoke_cmd(
    node: PeerArg, fingerprint: Annotated[str, typer.Argument(help="The peer's key to refuse from now on.")]
) -> None:
    """Refuse from now on anything signed by this key of the peer (e.g. it was stolen)."""
    from iprisk.link import revoke_peer_key

    revoke_peer_key(_link(), node, fingerprint)
    out.print(f"key {fingerprint} of {node} revoked", markup=False)


@keys_app.command("rotate")
def keys_rotate_cmd() -> None:
    """Make a new key generation and announce it to every peer (the old one stays valid for the overlap)."""
    from iprisk.link import rotate_keys

    link = _link()
    settings = link.node.settings
    passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
    rotated = rotate_keys(link, settings.key_folder, passphrase)
    out.print(f"new key {rotated.fingerprint}; announced to every peer", markup=False)


@keys_app.command("retire")
def keys_retire_cmd(
    fingerprint: Annotated[str, typer.Argument(help="An old key generation of this node to drop.")],
) -> None:
    """Drop an old key generation of this node once the overlap is over (never the current one)."""
    from iprisk.link import retire_key

    settings = _link().node.settings
    passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
    retire_key(settings.key_folder, fingerprint, passphrase)
    out.print(f"key {fingerprint} retired", markup=False)
