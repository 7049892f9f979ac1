"""``iprisk profiles import | export | list | propose | approve | activate | withdraw | history``.

Parses options, calls :mod:`iprisk.profiles` and the profile store (:class:`iprisk.store.ProfileStore`),
prints. Every command takes ``--db URL`` (default: the ``IPRISK_DATABASE`` setting).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from iprisk.cli import EncodingOpt, ErrorsOutOpt, app, err, note_origin, out
from iprisk.cli._options import DbOpt, TableFormat, UserOpt
from iprisk.cli._report import Report
from iprisk.errors import Problem
from iprisk.profiles import STATUSES, Profile, dump_profiles, load_profiles

if TYPE_CHECKING:
    from iprisk.store import ProfileStore


def _store(db: str | None) -> ProfileStore:
    # Imported here: SQLAlchemy and Alembic take about a second to load, which no other command should pay.
    from iprisk.link.service import attach_to_profiles
    from iprisk.store import ProfileStore

    if db is None:
        note_origin("database")
    store = ProfileStore(db)
    attach_to_profiles(store)  # at a node, a joint profile's steps travel to the peer
    return store


def _output(path: Path, db: str | None, inputs: list[Path] | None = None) -> Path:
    from iprisk.security import check_output, protected_paths

    return check_output(path, inputs=inputs or [], protected=protected_paths(database=db))


profiles_app = typer.Typer(
    name="profiles",
    help="Risk profiles: exchange (YAML/JSON), lifecycle (propose, approve, activate), mined proposals.",
    no_args_is_help=True,
)
app.add_typer(profiles_app, name="profiles")


def _statuses(values: list[str] | None) -> list[str]:
    bad = [s for s in values or [] if s not in STATUSES]
    if bad:
        raise typer.BadParameter(
            f"unknown status {bad[0]!r} (one of {', '.join(STATUSES)})", param_hint="--status"
        )
    return list(values or [])


StatusOpt = Annotated[
    list[str] | None,
    typer.Option("--status", help=f"Only these statuses ({', '.join(STATUSES)}); repeatable."),
]

AllVersionsOpt = Annotated[bool, typer.Option("--all-versions", help="Every version, not only the newest.")]


def _row(p: Profile) -> dict[str, Any]:
    ev = p.evidence
    return {
        "id": p.id,
        "version": p.version,
        "status": p.status,
        "owner": p.owner,
        "joint": p.joint,
        "flow": p.scope.flow,
        "risk_level": p.risk_level,
        "mandatory": p.mandatory,
        "control": p.control,
        "valid_from": p.valid_from.isoformat(),
        "valid_to": p.valid_to.isoformat() if p.valid_to else None,
        "title": p.title,
        "test_hit_rate": ev.test_hit_rate if ev else None,
        "test_coverage": ev.test_coverage if ev else None,
    }


_ROW_COLUMNS = (
    "id", "version", "status", "owner", "joint", "flow", "risk_level", "mandatory", "control", "valid_from",
    "valid_to", "title", "test_hit_rate", "test_coverage",
)  # fmt: skip


def _pct(value: Any) -> str:
    return "" if value is None else f"{value:.1%}"


@profiles_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="Profiles file (.yaml, .yml or .json).")],
    db: DbOpt = None,
    user: UserOpt = None,
    errors_out: ErrorsOutOpt = None,
) -> None:
    """Store the profiles of a file: new ids are created, changed ones get a new version (not active)."""
    with Report(errors_out, inputs=[file], database=db):
        profiles = load_profiles(file)
        with _store(db) as store:
            results = store.import_profiles(profiles, by=user)
    for r in results:
        out.print(f"{r.profile_id} v{r.version}: {r.status}", markup=False)


@profiles_app.command("export")
def export_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="File to write (.yaml, .yml or .json).")],
    status: StatusOpt = None,
    all_versions: AllVersionsOpt = False,
    db: DbOpt = None,
) -> None:
    """Write profiles (the newest version of each, optionally of some statuses) to a YAML or JSON file."""
    statuses = _statuses(status)
    _output(out_file, db)
    with _store(db) as store:
        profiles = store.profiles(statuses, all_versions=all_versions)
    dump_profiles(profiles, out_file)
    out.print(f"{len(profiles)} profile(s) written to {out_file}", markup=False)


@profiles_app.command("list")
def list_cmd(
    status: StatusOpt = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
    all_versions: AllVersionsOpt = False,
    db: DbOpt = None,
) -> None:
    """List profiles: the newest version of each, or every version."""
    statuses = _statuses(status)
    with _store(db) as store:
        rows = [_row(p) for p in store.profiles(statuses, all_versions=all_versions)]
    if fmt is TableFormat.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt is TableFormat.csv:
        import pandas as pd

        from iprisk.security import neutralise_frame

        columns = list(rows[0]) if rows else list(_ROW_COLUMNS)
        typer.echo(neutralise_frame(pd.DataFrame(rows, columns=columns)).to_csv(index=False), nl=False)
        return
    table = Table(title=f"{len(rows)} profile(s)")
    for header in (
        "id",
        "v",
        "status",
        "owner",
        "flow",
        "risk",
        "control",
        "valid",
        "hit rate",
        "coverage",
        "title",
    ):
        table.add_column(header, overflow="fold", justify="right" if header in ("v", "risk") else "left")
    for r in rows:
        valid = f"{r['valid_from']}..{r['valid_to'] or ''}"
        owner = f"{r['owner']}+joint" if r["joint"] else r["owner"]
        table.add_row(
            *(
                escape(str(x))
                for x in (
                    r["id"], r["version"], r["status"], owner, r["flow"], r["risk_level"], r["control"],
                    valid, _pct(r["test_hit_rate"]), _pct(r["test_coverage"]), r["title"],
                )
            )
        )  # fmt: skip
    out.print(table)


@profiles_app.command("propose")
def propose_cmd(
    declarations: Annotated[Path, typer.Option("--declarations", help="Labelled declarations file.")],
    train_until: Annotated[
        str,
        typer.Option(
            "--train-until", help="Mine on dates up to this day (YYYY-MM-DD); measure on later ones."
        ),
    ],
    mapping: Annotated[
        str | None,
        typer.Option("--mapping", help="Column mapping: a YAML file or a shipped name (e.g. kcs)."),
    ] = None,
    label: Annotated[
        str, typer.Option("--label", help="Column holding the control result.")
    ] = "infringement",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Also write the proposals to this file.")
    ] = None,
    max_profiles: Annotated[int, typer.Option("--max-profiles", min=1)] = 10,
    min_support: Annotated[
        int, typer.Option("--min-support", min=1, help="Labelled declarations a rule needs.")
    ] = 30,
    owner: Annotated[str, typer.Option("--owner", help="Owner administration of the proposals.")] = "EU",
    propensity: Annotated[
        str | None,
        typer.Option(
            "--propensity",
            help="Column of selection propensities (selection_propensity): weight labels by 1/propensity.",
        ),
    ] = None,
    db: DbOpt = None,
    user: UserOpt = None,
    encoding: EncodingOpt = None,
    errors_out: ErrorsOutOpt = None,
) -> None:
    """Mine profile proposals from labelled history and store them as proposed."""
    try:
        until = date.fromisoformat(train_until)
    except ValueError:
        raise typer.BadParameter(
            f"not a date (YYYY-MM-DD): {train_until!r}", param_hint="--train-until"
        ) from None
    inputs = [declarations]
    with Report(errors_out, inputs=inputs, database=db) as report:
        if out_file is not None:
            _output(out_file, db, inputs)
        _propose(
            declarations, until, mapping, label, out_file, max_profiles, min_support, owner, propensity, db,
            user, encoding, report,
        )  # fmt: skip


def _propose(
    declarations: Path,
    until: date,
    mapping: str | None,
    label: str,
    out_file: Path | None,
    max_profiles: int,
    min_support: int,
    owner: str,
    propensity: str | None,
    db: str | None,
    user: str | None,
    encoding: str | None,
    report: Report,
) -> None:
    from iprisk.formats import read_declarations
    from iprisk.profiles import mine_profiles

    warnings: list[Problem] = []
    with err.status(escape(f"reading {declarations}")):
        table = read_declarations(declarations, mapping=mapping, encoding=encoding, warnings=warnings)
    report.warnings(warnings, len(warnings), str(declarations))
    with err.status("mining"):
        proposals = mine_profiles(
            table,
            train_until=until,
            label=label,
            max_profiles=max_profiles,
            min_support=min_support,
            owner=owner,
            propensity=propensity,
        )
    with _store(db) as store:
        results = store.import_profiles(proposals, by=user)
    for p, r in zip(proposals, results, strict=True):
        ev = p.evidence
        assert ev is not None
        later = (
            f"later: hit rate {_pct(ev.test_hit_rate) or 'n/a'}, coverage {_pct(ev.test_coverage)}"
            if ev.test_coverage is not None
            else "later: no declarations"
        )
        out.print(
            f"{r.profile_id} v{r.version} ({r.status}): {p.title} | train: {ev.train_support} matched, "
            f"hit rate {ev.train_hit_rate:.1%}, lift {ev.train_lift:.1f} | {later}",
            markup=False,
        )
    if not proposals:
        out.print("no subgroup beats the base rate with enough support", markup=False)
    if out_file is not None:
        dump_profiles(proposals, out_file)
        out.print(f"{len(proposals)} proposal(s) written to {out_file}", markup=False)


def _show(p: Profile, store: ProfileStore) -> None:
    out.print(f"{p.id} v{p.version}: {p.status}", markup=False)
    if p.status == "proposed":
        from iprisk.profiles import missing_approvals

        missing = missing_approvals(p, store.approvals(p.id, p.version))
        if missing:
            out.print(f"  waiting for approval by: {', '.join(sorted(missing))}", markup=False)


@profiles_app.command("approve")
def approve_cmd(
    profile_id: Annotated[str, typer.Argument(help="Profile id.")],
    admin: Annotated[
        str, typer.Option("--admin", help="Approving administration: an EU member code, EU, or CN.")
    ],
    db: DbOpt = None,
    user: UserOpt = None,
) -> None:
    """Approve the newest version for one administration (a joint profile needs the EU side and CN)."""
    with _store(db) as store:
        _show(store.approve(profile_id, admin, by=user), store)


@profiles_app.command("activate")
def activate_cmd(
    profile_id: Annotated[str, typer.Argument(help="Profile id.")], db: DbOpt = None, user: UserOpt = None
) -> None:
    """Activate an approved profile (its previously active version, if any, expires)."""
    with _store(db) as store:
        _show(store.activate(profile_id, by=user), store)


@profiles_app.command("withdraw")
def withdraw_cmd(
    profile_id: Annotated[str, typer.Argument(help="Profile id.")],
    note: Annotated[str, typer.Option("--note", help="Why.")] = "",
    db: DbOpt = None,
    user: UserOpt = None,
) -> None:
    """Withdraw the newest version of a profile (final)."""
    with _store(db) as store:
        _show(store.withdraw(profile_id, by=user, note=note), store)


@profiles_app.command("history")
def history_cmd(profile_id: Annotated[str, typer.Argument(help="Profile id.")], db: DbOpt = None) -> None:
    """Every lifecycle event of every version of a profile, oldest first (times in UTC)."""
    with _store(db) as store:
        events = store.history(profile_id)
    table = Table(title=f"{profile_id}: {len(events)} event(s)")
    for header in ("v", "action", "from", "to", "admin", "by", "at", "note"):
        table.add_column(header, overflow="fold")
    for e in events:
        table.add_row(
            *(
                escape(str(x))
                for x in (
                    e.version, e.action, e.from_status or "", e.to_status, e.admin or "", e.by,
                    e.at.isoformat(timespec="seconds"), e.note,
                )
            )
        )  # fmt: skip
    out.print(table)
