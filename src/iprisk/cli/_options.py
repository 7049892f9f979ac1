"""Options and choices several command groups share, defined once (their help is the same everywhere)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class TableFormat(StrEnum):
    """How a command prints a table: for people, or for another program."""

    table = "table"
    csv = "csv"
    json = "json"


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Operational database URL or SQLite file (default: IPRISK_DATABASE).", show_default=False
    ),
]
UserOpt = Annotated[
    str | None,
    typer.Option("--user", help="Who acts (default: IPRISK_USER, else the OS user).", show_default=False),
]
