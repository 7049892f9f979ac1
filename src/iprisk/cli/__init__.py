"""The ``iprisk`` command line: parses, calls the library, prints. No business logic here.

Each command group lives in its own module and registers itself on :data:`app`. Errors a user can cause end
the command with a one-line message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from iprisk.errors import IpriskError, WarehouseBusy
from iprisk.periods import Quarter

app = typer.Typer(
    name="iprisk",
    help="EU-China customs cooperation against counterfeit goods: exchange, analysis and targeting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Printed output (tables, summaries) goes to stdout; messages about failures to stderr.
# Off a terminal (make demo piped, CI logs) Rich would assume 80 columns and squash tables; allow 140.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 140)

EXIT_ERROR = 1  # a user-caused failure other than invalid data (bad option, unreadable file, ...)
EXIT_BUSY = 4  # the warehouse is locked by another process; retry
EXIT_INVALID = 3  # input data failed validation


def quarter_callback(value: str | None) -> str | None:
    """Typer callback for quarter options: ``2016q3`` or ``2016-Q3`` become ``2016Q3``; others are refused."""
    if value is None:
        return None
    try:
        return str(Quarter.parse(value))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


#: ``--warehouse`` / ``-w``, shared by every command that reads or writes the warehouse.
WarehouseOpt = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="DuckDB file or Ibis URL (default: the IPRISK_WAREHOUSE setting).",
        show_default=False,
    ),
]


def _register() -> None:
    # Imported for their side effect of adding commands to `app`; one line per command group.
    from iprisk.cli import simulate  # noqa: F401, I001
    from iprisk.cli import submit  # noqa: F401
    from iprisk.cli import analyse  # noqa: F401
    from iprisk.cli import targeting  # noqa: F401
    from iprisk.cli import profiles  # noqa: F401
    from iprisk.cli import demo  # noqa: F401
    from iprisk.cli import serve  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    _register()
    try:
        code = app(args=argv, prog_name="iprisk", standalone_mode=False)
        if isinstance(code, int) and code:  # click returns the exit code of ctx.exit() in this mode
            sys.exit(code)
    except IpriskError as exc:
        # Messages quote user data ("[required]", file names): never read them as Rich markup.
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
        sys.exit(EXIT_BUSY if isinstance(exc, WarehouseBusy) else EXIT_ERROR)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # usage errors and anything unexpected: one line, no traceback
        # Typer >= 0.20 vendors click (typer._click): its usage errors derive from typer.TyperException.
        if isinstance(exc, typer.TyperException):
            show = getattr(exc, "show", None)
            if show is not None:
                show()
            else:
                err.print(f"error: {exc.format_message()}", markup=False)
            sys.exit(exc.exit_code)
        err.print(f"error: {type(exc).__name__}: {exc}", markup=False)
        sys.exit(EXIT_ERROR)
