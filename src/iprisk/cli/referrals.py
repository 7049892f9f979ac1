"""``iprisk referrals``: ports, port-set, party-key, draft, send, inbox, list, show, ack, feedback, close,
tick, kpis.

Parses options, calls :mod:`iprisk.node.referrals` (what the API's routes call) and prints. The steps and
the readings are taken at the node of the settings, as one of its accounts (:mod:`iprisk.node.login`:
``IPRISK_TOKEN``, or ``--user ACCOUNT`` and its password): the account's role, side and ports decide, through
the node's authorisation table and the lifecycle's scope checks, what it may do — the same errors as the
API. ``ports`` lists the network; ``tick`` is the node's clock; ``party-key`` writes the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from iprisk.cli import app, note_origin, out, quarter_callback
from iprisk.cli._options import DbOpt, TableFormat

if TYPE_CHECKING:
    from iprisk.accounts import Principal
    from iprisk.link import Link
    from iprisk.node import Node
    from iprisk.store import ReferralStore

referrals_app = typer.Typer(
    name="referrals",
    help="KA2 case referrals between key ports: warning, acknowledgement, feedback, KPIs.",
    no_args_is_help=True,
)
app.add_typer(referrals_app, name="referrals")


class Side(StrEnum):
    EU = "EU"
    CN = "CN"


AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--user",
        help="The node account that acts; its password is asked (default: the account of IPRISK_TOKEN).",
        show_default=False,
    ),
]
NowOpt = Annotated[
    datetime | None,
    typer.Option(
        "--now",
        help="The time of the step, ISO 8601 with its zone (default: now). For replays and tests.",
        formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d"],
        show_default=False,
    ),
]
IdArg = Annotated[str, typer.Argument(help="The referral id (a UUID).")]


def _store(db: str | None) -> ReferralStore:
    from iprisk.store import ReferralStore

    if db is None:
        note_origin("database")
    return ReferralStore(db)


def _travelling(db: str | None) -> tuple[ReferralStore, Link | None]:
    """The store; at a node (its database), its steps travel to the other node (and the node's link)."""
    from iprisk.link.referrals import attach_to_referrals

    store = _store(db)
    return store, attach_to_referrals(store)


@contextmanager
def _acting(action: str | None, account: str | None) -> Iterator[tuple[Node, Principal]]:
    """The node of the settings, its steps travelling to the other node, and the account acting there,
    authenticated and granted ``action`` by the node's authorisation table (``None``: authenticated only)."""
    from iprisk.link.service import open_link
    from iprisk.node import login, login_for

    link = open_link()
    node: Node = link.node  # type: ignore[assignment]  # open_link's node is a Node
    try:

        def ask() -> str:
            return str(typer.prompt(f"password of {account}", hide_input=True))

        if action is None:
            yield node, login(node, account=account, password=ask)
        else:
            yield node, login_for(node, action, account=account, password=ask).principal
    finally:
        link.close()
        node.close()


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)


def _read_json(path: Path) -> Any:
    from iprisk.errors import InvalidInput, MissingFile, Problem

    if not path.is_file():
        raise MissingFile(str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput([Problem("type", f"not a UTF-8 JSON document: {exc}", file=str(path))]) from None


def _print_state(ref_id: str, state: str) -> None:
    out.print(f"referral {ref_id}: {state}", markup=False)


@referrals_app.command("ports")
def ports_command(
    side: Annotated[Side | None, typer.Option("--side", help="Only this side's ports.")] = None,
    db: DbOpt = None,
) -> None:
    """List the network of key ports (the default until the coordinator edits it)."""
    with _store(db) as store:
        network = store.network()
    table = Table("port", "name", "名称", "side", "kind", "pilot", "contact unit")
    for p in network.values():
        if side is None or p.side == side.value:
            table.add_row(
                p.locode,
                p.label(),
                p.label("zh"),
                p.side,
                p.kind,
                "yes" if p.pilot else "no",
                escape(p.contact_unit),
            )
    out.print(table)


@referrals_app.command("port-set")
def port_set_command(
    locode: Annotated[str, typer.Argument(help="The port's UN/LOCODE.")],
    kind: Annotated[str, typer.Option("--kind", help="sea, air, rail, road or post.")],
    contact: Annotated[str, typer.Option("--contact", help="The port's contact unit.")],
    pilot: Annotated[bool, typer.Option("--pilot/--no-pilot", help="In the pilot or not.")] = False,
    remove: Annotated[bool, typer.Option("--remove", help="Take the port out of the network.")] = False,
    account: AccountOpt = None,
) -> None:
    """Add, change or remove a port of the network (the coordinator of its side, at the node)."""
    from iprisk.referrals import key_port, require_coordinator

    port = key_port(locode, kind, contact, pilot=pilot)
    with _acting(None, account) as (node, me):
        require_coordinator(me, port.side)
        store = node.referrals if node.referrals is not None else _store(None)
        network = store.network()
        changed = network.without(port.locode) if remove else network.with_port(port)
        store.save_network(changed, by=me.name)
    out.print(f"{port.locode}: {'removed' if remove else 'in the network'}", markup=False)


@referrals_app.command("party-key")
def party_key_command(
    folder: Annotated[
        Path | None, typer.Option("--key-folder", help="Key folder (default: IPRISK_KEY_FOLDER).")
    ] = None,
) -> None:
    """Create the party key both nodes agree on (32 random bytes; copy it to the other node securely)."""
    from iprisk.referrals import new_party_key, write_party_key
    from iprisk.settings import get_settings

    path = write_party_key(folder or get_settings().key_folder, new_party_key())
    out.print(f"party key written to {path}", markup=False)


@referrals_app.command("draft")
def draft_command(
    warning_file: Annotated[Path, typer.Argument(help="The warning, a JSON document (docs/formats.md).")],
    account: AccountOpt = None,
) -> None:
    """Draft a warning: read, parties keyed when its legal basis asks, checked against the network."""
    from iprisk.node.referrals import draft_referral

    data = _read_json(warning_file)
    with _acting("referrals.draft", account) as (node, me):
        ref = draft_referral(node, me, data, source=str(warning_file))
    _print_state(ref["id"], ref["state"])


def _step(
    referral_id: str,
    step: str,
    account: str | None,
    body: dict[str, Any] | None = None,
    attachments: dict[str, bytes] | None = None,
) -> None:
    from iprisk.node.referrals import take_step

    with _acting("referrals.act", account) as (node, me):
        ref = take_step(node, me, referral_id, step, body, attachments=attachments)
    _print_state(ref["id"], ref["state"])


@referrals_app.command("send")
def send_command(
    referral_id: IdArg,
    attach: Annotated[
        list[Path] | None,
        typer.Option("--attach", help="A file the warning lists in its attachments; repeatable."),
    ] = None,
    account: AccountOpt = None,
) -> None:
    """Send a drafted warning to the receiving port's node, with its attachments."""
    from iprisk.errors import MissingFile

    contents = {}
    for path in attach or []:
        if not path.is_file():
            raise MissingFile(str(path))
        contents[path.name] = path.read_bytes()
    _step(referral_id, "send", account, attachments=contents)


@referrals_app.command("ack")
def ack_command(
    referral_id: IdArg,
    note: Annotated[str | None, typer.Option("--note", help="A short note to the sending port.")] = None,
    account: AccountOpt = None,
) -> None:
    """Acknowledge a warning received at your port."""
    _step(referral_id, "acknowledge", account, {"note": note} if note else None)


@referrals_app.command("feedback")
def feedback_command(
    referral_id: IdArg,
    feedback_file: Annotated[Path, typer.Argument(help="The feedback, a JSON document (docs/formats.md).")],
    account: AccountOpt = None,
) -> None:
    """Give (or amend) the feedback: control type, result, articles detained."""
    from iprisk.errors import InvalidInput, Problem

    data = _read_json(feedback_file)
    if not isinstance(data, dict):
        raise InvalidInput([Problem("type", "a JSON object expected", file=str(feedback_file))])
    _step(referral_id, "feedback", account, data)


@referrals_app.command("close")
def close_command(referral_id: IdArg, account: AccountOpt = None) -> None:
    """Close a referral whose feedback the sending port has read."""
    _step(referral_id, "close", account)


@referrals_app.command("tick")
def tick_command(now: NowOpt = None, db: DbOpt = None) -> None:
    """Raise the reminders and escalations due, expire referrals whose goods can no longer arrive."""
    from iprisk.referrals import Deadlines

    store, link = _travelling(db)
    try:  # at a node, only the referrals sent from it: a received one follows its sender's clock
        raised = store.tick(_now(now), Deadlines.from_settings(), side=link.name if link else None)
    finally:
        store.close()
        if link is not None:
            link.close()
    for ref_id, what in raised:
        out.print(f"referral {ref_id}: {what}", markup=False)
    out.print(f"{len(raised)} alert(s) and expiries", markup=False)


def _listing(refs: list[dict[str, Any]]) -> None:
    table = Table("id", "state", "from", "to", "sent", "HS", "right", "alerts")
    for r in refs:
        w = r["warning"]
        sent = (r["sent_at"] or "")[:16].replace("T", " ")
        table.add_row(
            r["id"], r["state"], w["sending_port"], w["receiving_port"], sent, w["hs_code"],
            escape(w["right"]), ", ".join(r["alerts"]),
        )  # fmt: skip
    out.print(table)


@referrals_app.command("list")
def list_command(
    state: Annotated[list[str] | None, typer.Option("--state", help="Only these states; repeatable.")] = None,
    account: AccountOpt = None,
) -> None:
    """The referrals you may see (a port officer: those of their ports; an analyst: their side's)."""
    from iprisk.node.referrals import referral_list

    with _acting("referrals.read", account) as (node, me):
        refs = referral_list(node, me, state)
    _listing(refs)


@referrals_app.command("inbox")
def inbox_command(account: AccountOpt = None) -> None:
    """Warnings received at your ports (your side's, for a coordinator or analyst) that still wait for
    acknowledgement or feedback."""
    from iprisk.node.referrals import referral_list
    from iprisk.referrals.lifecycle import OPEN
    from iprisk.referrals.network import side_of

    with _acting("referrals.read", account) as (node, me):
        refs = referral_list(node, me, sorted(OPEN))
    receiving = [r["warning"]["receiving_port"] for r in refs]
    _listing(
        [
            r
            for r, port in zip(refs, receiving, strict=True)
            if side_of(port) == me.administration and (not me.ports or port in me.ports)
        ]
    )


@referrals_app.command("show")
def show_command(referral_id: IdArg, account: AccountOpt = None) -> None:
    """One referral as JSON: the warning, its times, the feedback history and every step."""
    from iprisk.node.referrals import referral_detail

    with _acting("referrals.read", account) as (node, me):
        shown = referral_detail(node, me, referral_id)
    for event in shown["events"]:
        if not event["details"]:
            del event["details"]
    out.print(json.dumps(shown, ensure_ascii=False, indent=2), markup=False)


@referrals_app.command("kpis")
def kpis_command(
    quarter: Annotated[
        str | None,
        typer.Option("--quarter", help="Only this quarter (of sending).", callback=quarter_callback),
    ] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="table, csv or json.")] = TableFormat.table,
    account: AccountOpt = None,
) -> None:
    """The state of play per quarter and port pair (the coordinator sees both sides, an analyst theirs)."""
    from iprisk.node.referrals import kpi_table

    with _acting("referrals.kpis", account) as (node, me):
        table = kpi_table(node, me, quarter)
    _print_kpis(table, fmt)


def _print_kpis(table: Any, fmt: TableFormat) -> None:
    import io

    import pyarrow.csv as pacsv

    if fmt is TableFormat.json:
        out.print(json.dumps(table.to_pylist(), ensure_ascii=False, indent=2), markup=False)
    elif fmt is TableFormat.csv:
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer)
        out.print(buffer.getvalue().decode().rstrip("\n"), markup=False)
    else:
        shown = Table(*table.column_names)
        for row in table.to_pylist():
            shown.add_row(
                *("" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values())
            )
        out.print(shown)
