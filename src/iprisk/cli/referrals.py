"""``iprisk referrals``: ports, port-set, party-key, draft, send, inbox, list, show, ack, feedback, close,
tick, kpis.

Parses options, calls :mod:`iprisk.referrals` and the referral store (:class:`iprisk.store.ReferralStore`),
prints. Until the node's accounts are in place, who acts is given with ``--user``, ``--role``, ``--side`` and
``--port`` (the node will take them from the caller's token); the library checks what they may do.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from iprisk.cli import app, note_origin, out, quarter_callback
from iprisk.cli._options import DbOpt, TableFormat, UserOpt

if TYPE_CHECKING:
    from iprisk.link import Link
    from iprisk.referrals import Officer
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


class Role(StrEnum):
    port_officer = "port_officer"
    analyst = "analyst"
    coordinator = "coordinator"
    auditor = "auditor"


RoleOpt = Annotated[Role, typer.Option("--role", help="The role of who acts.")]
SideOpt = Annotated[Side, typer.Option("--side", help="The side (administration) of who acts.")]
PortOpt = Annotated[
    list[str] | None, typer.Option("--port", help="A port (UN/LOCODE) of a port officer; repeatable.")
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


def _actor(user: str | None, role: Role, side: Side, ports: list[str] | None) -> Officer:
    from iprisk.referrals import Officer
    from iprisk.settings import acting_user

    return Officer(
        acting_user(user), role.value, side.value, frozenset(p.strip().upper() for p in ports or [])
    )


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
    side: SideOpt,
    pilot: Annotated[bool, typer.Option("--pilot/--no-pilot", help="In the pilot or not.")] = False,
    remove: Annotated[bool, typer.Option("--remove", help="Take the port out of the network.")] = False,
    user: UserOpt = None,
    db: DbOpt = None,
) -> None:
    """Add, change or remove a port of the network (the coordinator of its side)."""
    from iprisk.referrals import key_port, require_coordinator

    port = key_port(locode, kind, contact, pilot=pilot)
    actor = _actor(user, Role.coordinator, side, None)
    require_coordinator(actor, port.side)
    with _store(db) as store:
        network = store.network()
        store.save_network(network.without(port.locode) if remove else network.with_port(port), by=actor.name)
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
    role: RoleOpt,
    side: SideOpt,
    port: PortOpt = None,
    key_folder: Annotated[
        Path | None,
        typer.Option("--key-folder", help="Key folder holding the party key (default: IPRISK_KEY_FOLDER)."),
    ] = None,
    user: UserOpt = None,
    now: NowOpt = None,
    db: DbOpt = None,
) -> None:
    """Draft a warning: read, parties keyed when its legal basis asks, checked against the network."""
    from iprisk.referrals import draft, load_party_key, prepare_warning
    from iprisk.settings import get_settings

    data = _read_json(warning_file)
    at = _now(now)
    actor = _actor(user, role, side, port)
    with _store(db) as store:
        warning = prepare_warning(
            data,
            store.network(),
            sender_side=side.value,
            today=at.date(),
            party_key=lambda: load_party_key(key_folder or get_settings().key_folder),
            source=str(warning_file),
        )
        ref = store.add(*draft(warning, actor, at))
    _print_state(ref.id, ref.state)


def _step(db: str | None, referral_id: str, make: Any, attachments: dict[str, bytes] | None = None) -> None:
    from iprisk.link.referrals import sending_attachments

    store, link = _travelling(db)
    try:
        with sending_attachments(attachments or {}):
            ref = store.step(referral_id, make)
    finally:
        store.close()
        if link is not None:
            link.close()
    _print_state(ref.id, ref.state)


@referrals_app.command("send")
def send_command(
    referral_id: IdArg,
    role: RoleOpt,
    side: SideOpt,
    port: PortOpt = None,
    attach: Annotated[
        list[Path] | None,
        typer.Option("--attach", help="A file the warning lists in its attachments; repeatable."),
    ] = None,
    user: UserOpt = None,
    now: NowOpt = None,
    db: DbOpt = None,
) -> None:
    """Send a drafted warning to the receiving port (at a node: to the other node, with its attachments)."""
    from iprisk.errors import MissingFile
    from iprisk.referrals import send

    contents = {}
    for path in attach or []:
        if not path.is_file():
            raise MissingFile(str(path))
        contents[path.name] = path.read_bytes()
    actor = _actor(user, role, side, port)
    _step(db, referral_id, lambda r: send(r, actor, _now(now)), contents)


@referrals_app.command("ack")
def ack_command(
    referral_id: IdArg,
    role: RoleOpt,
    side: SideOpt,
    port: PortOpt = None,
    note: Annotated[str | None, typer.Option("--note", help="A short note to the sending port.")] = None,
    user: UserOpt = None,
    now: NowOpt = None,
    db: DbOpt = None,
) -> None:
    """Acknowledge a warning received at your port."""
    from iprisk.referrals import acknowledge

    actor = _actor(user, role, side, port)
    _step(db, referral_id, lambda r: acknowledge(r, actor, _now(now), note))


@referrals_app.command("feedback")
def feedback_command(
    referral_id: IdArg,
    feedback_file: Annotated[Path, typer.Argument(help="The feedback, a JSON document (docs/formats.md).")],
    role: RoleOpt,
    side: SideOpt,
    port: PortOpt = None,
    user: UserOpt = None,
    now: NowOpt = None,
    db: DbOpt = None,
) -> None:
    """Give (or amend) the feedback: control type, result, articles detained."""
    from iprisk.formats.referrals import read_feedback
    from iprisk.referrals import give_feedback

    data = _read_json(feedback_file)
    if isinstance(data, dict):
        data = {"referral_id": referral_id, "at": _now(now).isoformat(), **data}
    feedback = read_feedback(data, source=str(feedback_file))
    actor = _actor(user, role, side, port)
    _step(db, referral_id, lambda r: give_feedback(r, actor, feedback))


@referrals_app.command("close")
def close_command(
    referral_id: IdArg,
    role: RoleOpt,
    side: SideOpt,
    port: PortOpt = None,
    user: UserOpt = None,
    now: NowOpt = None,
    db: DbOpt = None,
) -> None:
    """Close a referral whose feedback the sending port has read."""
    from iprisk.referrals import close

    actor = _actor(user, role, side, port)
    _step(db, referral_id, lambda r: close(r, actor, _now(now)))


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


def _listing(refs: list[Any]) -> None:
    table = Table("id", "state", "from", "to", "sent", "HS", "right", "alerts")
    for r in refs:
        w = r.warning
        sent = r.sent_at.strftime("%Y-%m-%d %H:%M") if r.sent_at else ""
        table.add_row(
            r.id,
            r.state,
            w.sending_port,
            w.receiving_port,
            sent,
            w.hs_code,
            escape(w.right),
            ", ".join(r.alerts),
        )
    out.print(table)


@referrals_app.command("list")
def list_command(
    role: RoleOpt,
    side: SideOpt,
    port: PortOpt = None,
    state: Annotated[list[str] | None, typer.Option("--state", help="Only these states; repeatable.")] = None,
    user: UserOpt = None,
    db: DbOpt = None,
) -> None:
    """The referrals you may see (a port officer: those of their ports; an analyst: their side's)."""
    from iprisk.referrals import may_see

    actor = _actor(user, role, side, port)
    with _store(db) as store:
        refs = store.referrals(states=state)
    _listing([r for r in refs if may_see(actor, r.warning.sending_port, r.warning.receiving_port)])


@referrals_app.command("inbox")
def inbox_command(
    role: RoleOpt, side: SideOpt, port: PortOpt = None, user: UserOpt = None, db: DbOpt = None
) -> None:
    """Warnings received at your ports that still wait for acknowledgement or feedback."""
    from iprisk.referrals.lifecycle import OPEN
    from iprisk.referrals.network import side_of

    actor = _actor(user, role, side, port)
    with _store(db) as store:
        refs = store.referrals(states=OPEN, ports=actor.ports if role is Role.port_officer else None)
    mine = [
        r
        for r in refs
        if side_of(r.warning.receiving_port) == side.value
        and (role is not Role.port_officer or r.warning.receiving_port in actor.ports)
    ]
    _listing(mine)


@referrals_app.command("show")
def show_command(
    referral_id: IdArg,
    role: RoleOpt,
    side: SideOpt,
    port: PortOpt = None,
    user: UserOpt = None,
    db: DbOpt = None,
) -> None:
    """One referral as JSON: the warning, its times, the feedback history and every step."""
    from iprisk.referrals import NotPermitted, may_see, summary

    actor = _actor(user, role, side, port)
    with _store(db) as store:
        ref = store.get(referral_id)
        events = store.events(referral_id)
    if not may_see(actor, ref.warning.sending_port, ref.warning.receiving_port):
        raise NotPermitted(actor.name, "see", referral_id, "it concerns none of your ports or your side")
    shown = summary(ref) | {
        "events": [
            {
                "step": e.step,
                "from": e.from_state,
                "to": e.to_state,
                "by": e.by,
                "at": e.at.isoformat(),
                **({"details": dict(e.details)} if e.details else {}),
            }
            for e in events
        ]
    }
    out.print(json.dumps(shown, ensure_ascii=False, indent=2), markup=False)


@referrals_app.command("kpis")
def kpis_command(
    role: RoleOpt,
    side: SideOpt,
    quarter: Annotated[
        str | None,
        typer.Option("--quarter", help="Only this quarter (of sending).", callback=quarter_callback),
    ] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="table, csv or json.")] = TableFormat.table,
    user: UserOpt = None,
    now: NowOpt = None,
    db: DbOpt = None,
) -> None:
    """The state of play per quarter and port pair (the coordinator sees both sides, an analyst theirs)."""
    from iprisk.referrals import Deadlines, kpi_sides, kpis, referral_rows, rows_of_sides

    sides = kpi_sides(_actor(user, role, side, None))
    with _store(db) as store:
        rows = referral_rows(store.referrals(), Deadlines.from_settings())
    table = kpis(rows_of_sides(rows, sides), now=_now(now), quarter=quarter)
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
