"""The ``iprisk`` command line: parses, calls the library, prints. No business logic here.

Each command group lives in its own module and registers itself on :data:`app`. Errors a user can cause end
the command with a one-line message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from iprisk.errors import IpriskError, WarehouseBusy

app = typer.Typer(
    name="iprisk",
    help="EU-China customs cooperation against counterfeit goods: exchange, analysis and targeting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Printed output (tables, summaries) goes to stdout; messages about failures to stderr.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_ERROR = 1  # a user-caused failure other than invalid data (bad option, unreadable file, ...)
EXIT_BUSY = 4  # the warehouse is locked by another process; retry
EXIT_INVALID = 3  # input data failed validation


def _register() -> None:
    # Imported for their side effect of adding commands to `app`; one line per command group.
    from iprisk.cli import simulate  # noqa: F401, I001
    from iprisk.cli import submit  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    _register()
    try:
        code = app(args=argv, standalone_mode=False)
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
    except Exception as exc:  # click usage errors and anything unexpected: one line, no traceback
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        err.print(f"error: {type(exc).__name__}: {exc}", markup=False)
        sys.exit(EXIT_ERROR)
