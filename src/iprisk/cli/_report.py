"""Problems and warnings for people: one renderer for the terminal, and ``--errors-out`` for every command.

A command that validates input opens a :class:`Report` around its work. Warnings are printed as they are
found; when an input is invalid the command raises InvalidInput and :func:`iprisk.cli.main` prints its
problems with the same renderer. Whatever happens, ``--errors-out`` then holds every warning and problem
(and the one-line error that stopped the command, if any), written atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from rich.markup import escape
from rich.table import Table

from iprisk.errors import InvalidInput, InvalidSubmission, IpriskError, Problem, error_kind
from iprisk.security import check_output, protected_paths, redact

#: Problems (or warnings) printed on the terminal; ``--errors-out`` gets all of them.
SHOWN_PROBLEMS = 20
MESSAGE_CHARS = 60


def _shorten(text: str, limit: int = MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def print_problems(problems: Sequence[Problem], total: int, title: str, errors_out: Path | None) -> None:
    """The first problems as a table on stderr, then how many more and where all of them are."""
    from iprisk.cli import err

    table = Table(title=escape(title))
    for name in ("file", "row", "column", "value", "severity", "rule", "message"):
        table.add_column(name, overflow="fold")
    for p in problems[:SHOWN_PROBLEMS]:
        table.add_row(
            escape(Path(p.file).name if p.file else ""),
            "" if p.row is None else str(p.row),
            escape(p.column or ""),
            escape("" if p.value is None else _shorten(p.value)),
            p.severity,
            escape(p.rule),
            # row messages repeat and are shortened (in full in --errors-out); file-level ones are few and
            # often name what to do (a limit and its setting): printed whole
            escape(redact(p.message) if p.row is None else _shorten(redact(p.message))),
        )
    err.print(table)
    shown = min(len(problems), SHOWN_PROBLEMS)
    if total > shown:
        err.print(f"... and {total - shown} more", markup=False)
    if errors_out is None:
        err.print("every problem, with its full message: add --errors-out FILE.csv", markup=False)
    else:
        err.print(f"every problem: {errors_out}", markup=False)


def invalid_title(exc: InvalidInput) -> str:
    stored = "; nothing of it was stored" if isinstance(exc, InvalidSubmission) else ""
    return f"{exc.total} problem(s) in {exc.source or 'the input'}{stored}"


def with_file(problems: Iterable[Problem], file: str) -> list[Problem]:
    """The problems, each naming ``file`` when it names none."""
    return [
        p if p.file else Problem(p.rule, p.message, p.row, p.column, p.value, file, p.severity)
        for p in problems
    ]


class Report:
    """What one command found in its inputs, printed and written to ``--errors-out`` (see the module doc).

    ``inputs``, ``warehouse`` and ``database`` are what ``--errors-out`` must never overwrite.
    """

    #: the report of the command running, for :func:`iprisk.cli.main` to name ``--errors-out``
    active: ClassVar[Report | None] = None

    def __init__(
        self,
        errors_out: Path | None,
        *,
        inputs: Iterable[str | Path] = (),
        warehouse: str | None = None,
        database: str | None = None,
    ):
        self.path = (
            None
            if errors_out is None
            else check_output(errors_out, inputs=inputs, protected=protected_paths(warehouse, database))
        )
        self.rows: list[Problem] = []
        self._recorded: set[int] = set()

    def recorded(self, exc: InvalidInput) -> InvalidInput:
        """``exc``, whose problems the command already put in :attr:`rows` (so they are written once)."""
        self._recorded.add(id(exc))
        return exc

    def warnings(self, warnings: Sequence[Problem], total: int, source: str) -> None:
        """Print the warnings an accepted input raised, and keep them for ``--errors-out``."""
        if not total:
            return
        rows = with_file(warnings, source)
        self.rows.extend(rows)
        print_problems(rows, total, f"{total} warning(s) in {source}; accepted", self.path)

    def __enter__(self) -> Report:
        Report.active = self
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, InvalidInput):
            if id(exc) not in self._recorded:
                self.rows.extend(with_file(exc.problems, exc.source or ""))
        elif isinstance(exc, IpriskError):
            self.rows.append(Problem(error_kind(exc).slug, redact(str(exc))))
        if self.path is not None:
            from iprisk.formats import problems_to_csv

            problems_to_csv(self.rows, self.path)
