"""The ``iprisk`` command line: parses, calls the library, prints. No business logic here.

Each command group lives in its own module and registers itself on :data:`app`. Errors a user can cause end
the command with a one-line message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from iprisk.errors import EXIT_BUSY, EXIT_ERROR, EXIT_INVALID, InvalidInput, IpriskError, exit_code
from iprisk.periods import Quarter
from iprisk.security.redact import redact

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

# The exit codes come from the error map (iprisk.errors.ERROR_MAP), shared with the web layer.
__all__ = ["EXIT_BUSY", "EXIT_ERROR", "EXIT_INVALID", "app", "err", "main", "out"]


def admin_callback(value: str | None) -> str | None:
    """Typer callback for ``--admin``: an ISO 3166-1 alpha-2 code, upper-cased (``de`` is ``DE``)."""
    if value is None:
        return None
    from iprisk.codes import COUNTRY_CODES

    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise typer.BadParameter(f"not an ISO 3166-1 alpha-2 administration code: {value!r}")
    return code


def note_origin(setting: str) -> None:
    """Say so on stderr when a setting (where data goes) comes from a ``.env`` file, not the environment."""
    from iprisk.settings import get_settings, origin

    where = origin(setting)
    if where.startswith(".env"):
        value = redact(str(getattr(get_settings(), setting)))
        err.print(f"note: {setting} is {value} (set by {where})", markup=False)


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


#: ``--encoding``, for every command that reads CSV or JSON files.
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of CSV/JSON inputs (e.g. cp1252, gb18030); default: UTF-8, else detected.",
        show_default=False,
    ),
]
#: ``--errors-out``, for every command that validates input.
ErrorsOutOpt = Annotated[
    Path | None,
    typer.Option(
        "--errors-out", help="Write every problem and warning (with its severity) to this CSV file."
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
    from iprisk.cli import allocate  # noqa: F401
    from iprisk.cli import ports  # noqa: F401
    from iprisk.cli import operation  # noqa: F401
    from iprisk.cli import serve  # noqa: F401
    from iprisk.cli import node  # noqa: F401
    from iprisk.cli import accounts  # noqa: F401
    from iprisk.cli import audit  # noqa: F401
    from iprisk.cli import report  # noqa: F401
    from iprisk.cli import referrals  # noqa: F401
    from iprisk.cli import exchange  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    _register()
    try:
        code = app(args=argv, prog_name="iprisk", standalone_mode=False)
        if isinstance(code, int) and code:  # click returns the exit code of ctx.exit() in this mode
            sys.exit(code)
    except IpriskError as exc:
        _print_error(exc)
        sys.exit(exit_code(exc))
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
        err.print(f"error: {type(exc).__name__}: {redact(str(exc))}", markup=False)
        sys.exit(EXIT_ERROR)
    finally:
        from iprisk.cli._report import Report

        Report.active = None


def _print_error(exc: IpriskError) -> None:
    """Invalid input: its problems as a table (the one renderer); any other error: one line."""
    if isinstance(exc, InvalidInput) and exc.problems:
        from iprisk.cli._report import Report, invalid_title, print_problems, with_file

        report = Report.active
        problems = with_file(exc.problems, exc.source or "")
        print_problems(problems, exc.total, invalid_title(exc), report.path if report else None)
        return
    # Messages quote user data ("[required]", file names): never read them as Rich markup.
    err.print(f"[bold red]error:[/] {escape(redact(str(exc)))}", markup=True)
