"""``iprisk submit``, ``iprisk submissions`` and ``iprisk export seizures``: the seizure-statistics exchange.

Parses options, calls :mod:`iprisk.formats` and :mod:`iprisk.warehouse`, prints. Each file is read and
validated before the warehouse is opened, and the warehouse is opened only to store it, so another process
is kept waiting for as short a time as possible.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from iprisk.cli import (
    EncodingOpt,
    ErrorsOutOpt,
    WarehouseOpt,
    admin_callback,
    app,
    err,
    note_origin,
    out,
    quarter_callback,
)
from iprisk.cli._options import TableFormat
from iprisk.cli._report import Report, with_file
from iprisk.errors import InvalidSubmission, Problem

if TYPE_CHECKING:
    from iprisk.warehouse import SubmitResult

# pandas, iprisk.formats and iprisk.warehouse (pyarrow, duckdb, ibis) are imported inside the commands:
# importing them here would cost every `iprisk` invocation, even `--help`, about a second.

export_app = typer.Typer(
    name="export",
    help="Write warehouse contents to files (CSV, Parquet or XLSX by extension).",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")


AdminOpt = Annotated[
    str | None,
    typer.Option("--admin", help="Reporting administration (ISO code, e.g. DE).", callback=admin_callback),
]
QuarterOpt = Annotated[
    str | None, typer.Option("--quarter", help="Quarter, YYYYQn.", callback=quarter_callback)
]


def _summary(file: Path, result: SubmitResult) -> str:
    return (
        f"{file}: {result.admin} {result.quarter}, {result.rows} rows, {result.status} "
        f"(version {result.version}, {result.content_hash[:12]})"
    )


@app.command("submit")
def submit(
    files: Annotated[
        list[Path],
        typer.Argument(help="Seizure-statistics files (CSV, XLSX, JSON, Parquet); each is one submission."),
    ],
    admin: AdminOpt = None,
    quarter: QuarterOpt = None,
    mapping: Annotated[
        str | None, typer.Option("--mapping", help="Column-mapping YAML file, or a shipped mapping name.")
    ] = None,
    warehouse: WarehouseOpt = None,
    errors_out: ErrorsOutOpt = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Who submits (default: IPRISK_USER, else the OS user).")
    ] = None,
    encoding: EncodingOpt = None,
    ignore_unknown_columns: Annotated[
        bool,
        typer.Option(
            "--ignore-unknown-columns",
            help="Submit files holding columns the format does not know (a warning).",
        ),
    ] = False,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            help="A file without rows (with --admin and --quarter) empties that quarter (replaces it).",
        ),
    ] = False,
) -> None:
    """Validate and store quarterly seizure statistics, one submission per file.

    Exit 0 when every file was stored or unchanged; 3 when a file failed validation (the others are still
    stored); 4 when the warehouse stayed busy; 1 on any other failure.
    """
    from iprisk.formats import read_seizures
    from iprisk.warehouse import Warehouse

    if warehouse is None:
        note_origin("warehouse")
    invalid: list[Problem] = []
    invalid_total = invalid_files = 0
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=len(files) <= 1,
    )
    with Report(errors_out, inputs=files, warehouse=warehouse) as report, progress:
        task = progress.add_task("submitting", total=len(files))
        for file in files:
            progress.update(task, description=f"submitting {escape(file.name)}")
            try:
                # Validate before opening the warehouse: the file lock is held only while storing.
                batch = read_seizures(
                    file,
                    mapping=mapping,
                    admin=admin,
                    quarter=quarter,
                    encoding=encoding,
                    ignore_unknown_columns=ignore_unknown_columns,
                    allow_empty=allow_empty,
                )
            except InvalidSubmission as exc:
                # kept in the report at once: a later failure (busy warehouse) must not lose them
                report.rows.extend(with_file(exc.problems, str(file)))
                invalid.extend(with_file(exc.problems, str(file)))
                invalid_total += exc.total
                invalid_files += 1
                out.print(f"{file}: invalid, {exc.total} problem(s), not stored", markup=False)
            else:
                report.warnings(batch.warnings, batch.warnings_total, str(file))
                with Warehouse.open(warehouse) as wh:
                    result = wh.submit(batch, user=user)
                out.print(_summary(file, result), markup=False)
            progress.advance(task)
        if invalid:
            raise report.recorded(
                InvalidSubmission(invalid, source=f"{invalid_files} file(s)", total=invalid_total)
            )


def _iso(value: Any) -> str | None:
    import pandas as pd

    return None if pd.isna(value) else pd.Timestamp(value).isoformat()


@app.command("submissions")
def submissions(
    warehouse: WarehouseOpt = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
) -> None:
    """List the submission log: every version of every submission, current and superseded."""
    import pandas as pd

    from iprisk.warehouse import Warehouse

    with Warehouse.open(warehouse, create=False, read_only=True) as wh:
        frame = wh.submissions()
    for col in ("submitted_at", "superseded_at"):
        frame[col] = frame[col].map(_iso).astype(object)
    if fmt is TableFormat.json:
        records = [
            {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in rec.items()}
            for rec in frame.to_dict(orient="records")
        ]
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2, default=int))
        return
    if fmt is TableFormat.csv:
        from iprisk.security import neutralise_frame

        typer.echo(neutralise_frame(frame).to_csv(index=False), nl=False)
        return
    table = Table(title=f"{len(frame)} submission version(s); times in UTC")
    for header, _col in _TABLE_COLUMNS:
        table.add_column(
            header, overflow="fold", justify="right" if header in ("id", "v", "rows") else "left"
        )
    for rec in frame.to_dict(orient="records"):
        table.add_row(*(escape(fmt_cell(rec[col])) for _h, (col, fmt_cell) in _TABLE_COLUMNS))
    out.print(table)


def _text(value: Any) -> str:
    import pandas as pd

    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _short_time(value: Any) -> str:
    # "2026-11-29T06:04:20.559510+00:00" -> "2026-11-29 06:04:20"
    return _text(value)[:19].replace("T", " ")


_TABLE_COLUMNS: list[tuple[str, tuple[str, Any]]] = [
    ("id", ("submission_id", _text)),
    ("admin", ("reporting_admin", _text)),
    ("quarter", ("quarter", _text)),
    ("v", ("version", _text)),
    ("status", ("status", _text)),
    ("rows", ("rows", _text)),
    ("hash", ("content_hash", lambda v: _text(v)[:12])),
    ("by", ("submitted_by", _text)),
    ("submitted", ("submitted_at", _short_time)),
    ("superseded", ("superseded_at", _short_time)),
    ("source", ("source", lambda v: Path(_text(v)).name)),
]


@export_app.command("seizures")
def export_seizures_cmd(
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="Output file: .csv, .parquet or .xlsx.", dir_okay=False)
    ],
    admin: AdminOpt = None,
    quarter: QuarterOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Versions current at this instant (ISO 8601; naive times are UTC)."),
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Export the current version of every submission's seizure lines, in the seizures exchange format."""
    from iprisk.security import check_output, protected_paths
    from iprisk.warehouse import Warehouse, export_seizures, parse_timestamp

    check_output(out_file, protected=protected_paths(warehouse))
    if as_of is not None:
        try:
            parse_timestamp(as_of)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--as-of") from None
    with Warehouse.open(warehouse, create=False, read_only=True) as wh:
        rows = export_seizures(wh, out_file, admin=admin, quarter=quarter, as_of=as_of)
    out.print(f"{out_file}: {rows} seizure lines", markup=False)
