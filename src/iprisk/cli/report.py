"""``iprisk report annual | newsletter | state-of-play | map``: reports for people, in English or Chinese,
as HTML and/or PDF (by the suffix of each ``--out``). Parses options, calls :mod:`iprisk.reports`, prints
the files written. Every report built is recorded in the operational database's run log (``--db``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from iprisk.cli import WarehouseOpt, app, err, out, quarter_callback
from iprisk.cli.analyse import Engine
from iprisk.cli.profiles import DbOpt

report_app = typer.Typer(
    name="report",
    help="Reports: the joint risk-analysis report, newsletters, the state of play, the KA3 map (en/zh).",
    no_args_is_help=True,
)
app.add_typer(report_app, name="report")


class Lang(StrEnum):
    en = "en"
    zh = "zh"


LangOpt = Annotated[Lang, typer.Option("--lang", help="Language of the report.")]
OutOpt = Annotated[list[Path], typer.Option("--out", help="File to write: .pdf or .html (repeat for both).")]
QuarterOpt = Annotated[str, typer.Option("--quarter", help="The quarter, YYYYQn.", callback=quarter_callback)]


def _safe(
    paths: list[Path], warehouse: str | Path | None, db: str | None, inputs: list[Path | None] | None = None
) -> list[Path]:
    """The outputs, each refused (UnsafeOutput) when it would overwrite an input, the warehouse or the
    database, before anything is computed."""
    from iprisk.security import check_output, protected_paths

    protected = protected_paths(warehouse, db)
    read = [p for p in inputs or [] if p is not None]
    return [check_output(p, inputs=read, protected=protected) for p in paths]


def _written(paths: list[Path]) -> None:
    for path in paths:
        out.print(f"wrote {path}", markup=False)


@report_app.command("annual")
def annual_cmd(
    year: Annotated[int, typer.Option("--year", help="The calendar year of the report.")],
    outputs: OutOpt,
    lang: LangOpt = Lang.en,
    warehouse: WarehouseOpt = None,
    engine: Annotated[Engine, typer.Option("--engine", help="Engine of the analysis.")] = Engine.duckdb,
    strategies: Annotated[
        Path | None,
        typer.Option(
            "--strategies", help="Selection strategies evaluated (CSV; `targeting evaluate` metrics)."
        ),
    ] = None,
    profile_metrics: Annotated[
        Path | None,
        typer.Option("--profile-metrics", help="Risk profiles evaluated (CSV, one row per profile)."),
    ] = None,
    evaluated: Annotated[
        str, typer.Option("--evaluated", help="What the evaluation measured, e.g. '2017 declarations'.")
    ] = "",
    db: DbOpt = None,
) -> None:
    """The joint risk-analysis report of a year."""
    from iprisk.reports import (
        annual_inputs,
        annual_report,
        check_formats,
        read_effectiveness,
        record_run,
        write_report,
    )
    from iprisk.warehouse import Warehouse

    targets = check_formats(_safe(outputs, warehouse, db, [strategies, profile_metrics]))
    effectiveness = None
    if strategies is not None or profile_metrics is not None:
        effectiveness = read_effectiveness(strategies, profile_metrics, period=evaluated)
    with err.status(f"analysing {year}"), Warehouse.open(warehouse, create=False) as wh:
        inputs = annual_inputs(wh, year, engine=engine.value, effectiveness=effectiveness)
    with err.status("writing"):
        written = write_report(annual_report(inputs, lang.value), targets)
    record_run(db, "annual", str(year), lang.value, written, inputs.snapshot.digest)
    _written(written)


@report_app.command("newsletter")
def newsletter_cmd(
    quarter: QuarterOpt,
    outputs: Annotated[
        list[Path], typer.Option("--out", help="File to write: .pdf or .html (repeat for both).")
    ] = [],  # noqa: B006 - typer reads the default, it is never mutated
    lang: LangOpt = Lang.en,
    email: Annotated[
        Path | None,
        typer.Option("--email", help="Also write the e-mail (.eml: HTML with inline CSS + text)."),
    ] = None,
    warehouse: WarehouseOpt = None,
    engine: Annotated[Engine, typer.Option("--engine", help="Engine of the analysis.")] = Engine.duckdb,
    db: DbOpt = None,
) -> None:
    """The risk newsletter of a quarter, for port officers."""
    from iprisk.reports import (
        check_formats,
        newsletter,
        newsletter_inputs,
        record_run,
        write_email,
        write_report,
    )
    from iprisk.warehouse import Warehouse

    if not outputs and email is None:
        raise typer.BadParameter(
            "give --out FILE (.pdf or .html) and/or --email FILE.eml", param_hint="--out"
        )
    targets = check_formats(_safe(outputs, warehouse, db))
    if email is not None:
        _safe([email], warehouse, db)
    with err.status(f"analysing {quarter}"), Warehouse.open(warehouse, create=False) as wh:
        inputs = newsletter_inputs(wh, quarter, engine=engine.value)
    doc = newsletter(inputs, lang.value)
    with err.status("writing"):
        written = write_report(doc, targets) if targets else []
        if email is not None:
            written.append(write_email(doc, email))
    record_run(db, "newsletter", quarter, lang.value, written, inputs.snapshot.digest)
    _written(written)


@report_app.command("state-of-play")
def state_of_play_cmd(
    quarter: QuarterOpt,
    outputs: OutOpt,
    lang: LangOpt = Lang.en,
    warehouse: WarehouseOpt = None,
    db: DbOpt = None,
) -> None:
    """The action plan's indicators for a quarter: statistics on time, analyses run, profiles, referrals."""
    from iprisk.node.referrals import node_referral_kpis
    from iprisk.reports import check_formats, record_run, state_of_play, state_of_play_inputs, write_report
    from iprisk.warehouse import Warehouse

    targets = check_formats(_safe(outputs, warehouse, db))
    with Warehouse.open(warehouse, create=False) as wh:
        inputs = state_of_play_inputs(wh, db, quarter, referral_kpis=node_referral_kpis(db, quarter))
    written = write_report(state_of_play(inputs, lang.value), targets)
    record_run(db, "state-of-play", quarter, lang.value, written, inputs.snapshot.digest)
    _written(written)


@report_app.command("map")
def map_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="File to write: .svg or .png.")],
    year: Annotated[int | None, typer.Option("--year", help="A calendar year.")] = None,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="A quarter, YYYYQn.", callback=quarter_callback)
    ] = None,
    lang: LangOpt = Lang.en,
    eu_only: Annotated[
        bool, typer.Option("--eu-only/--all-arrivals", help="Only the lanes arriving in the EU.")
    ] = True,
    warehouse: WarehouseOpt = None,
) -> None:
    """The KA3 map: lanes by cases (width) and incidence per thousand consignments (colour)."""
    from iprisk.i18n import Text
    from iprisk.reports import map_period, period_lanes, write_lanes_map
    from iprisk.warehouse import Warehouse

    _safe([out_file], warehouse, None)
    start, end, arrivals = map_period(year, quarter, eu_only=eu_only)
    with Warehouse.open(warehouse, create=False) as wh:
        lanes = period_lanes(wh, start=start, end=end)
    _written([write_lanes_map(lanes, out_file, Text(lang.value), arrivals=arrivals)])
