"""The errors iprisk raises.

Every error a user can cause derives from :class:`IpriskError` and also from the matching builtin, so callers
may catch either. Errors carry their context (what, where, why) as attributes, not only in the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


class IpriskError(Exception):
    """Root of every error iprisk raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule in an input: where it is (file, row, column), what (value) and why (rule, message).

    ``row`` is the 1-based data row (the header is row 0); ``None`` when the problem concerns the whole file
    (a missing column, mixed quarters).
    """

    rule: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.file,
                f"row {self.row}" if self.row is not None else None,
                f"column {self.column}" if self.column else None,
            )
            if part
        )
        value = f" (value {self.value!r})" if self.value is not None else ""
        text = f"[{self.rule}] {self.message}{value}"
        return f"{where}: {text}" if where else text


class InvalidInput(IpriskError, ValueError):
    """Input data broke one or more rules; ``problems`` lists every one found, not only the first."""

    def __init__(self, problems: Iterable[Problem], *, source: str | None = None, total: int | None = None):
        self.problems: list[Problem] = list(problems)
        self.source = source
        #: number of problems found before reporting was capped (``>= len(problems)``)
        self.total = total if total is not None else len(self.problems)
        first = str(self.problems[0]) if self.problems else "no details"
        more = f" (and {self.total - 1} more)" if self.total > 1 else ""
        super().__init__(f"{source or 'input'}: {self.total} problem(s): {first}{more}")


class InvalidSubmission(InvalidInput):
    """A seizure-statistics submission failed validation; nothing of it was stored."""


class MappingError(IpriskError, ValueError):
    """A column-mapping file is malformed."""

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}")


class UnsupportedFormat(IpriskError, ValueError):
    """A file whose format (by extension or content) iprisk cannot read or write."""

    def __init__(self, path: str, reason: str):
        self.path = path
        super().__init__(f"{path}: {reason}")


class UnknownCode(IpriskError, KeyError):
    """A code looked up in a code list that does not hold it."""

    def __init__(self, code_list: str, code: str):
        self.code_list = code_list
        self.code = code
        super().__init__(f"{code!r} is not in the {code_list} code list")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class WarehouseError(IpriskError, RuntimeError):
    """The warehouse cannot be opened or written."""


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse; the operation changed nothing and can be retried."""

    def __init__(self, location: str):
        self.location = location
        super().__init__(f"warehouse busy, retry: {location} is locked by another process")


class NotFound(IpriskError, LookupError):
    """A named thing (submission, model, profile) does not exist."""

    def __init__(self, kind: str, key: str):
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} not found: {key}")


class NotFitted(IpriskError, AttributeError):
    """A model was used before ``fit``."""


class Unsupported(IpriskError, NotImplementedError):
    """An engine or format cannot do what was asked; iprisk never quietly returns less."""


class InvalidTransition(IpriskError, ValueError):
    """A risk profile cannot make the lifecycle step asked for in its current state."""

    def __init__(self, profile_id: str, state: str, action: str, reason: str | None = None):
        self.profile_id = profile_id
        self.state = state
        self.action = action
        self.reason = reason
        why = f": {reason}" if reason else ""
        super().__init__(f"profile {profile_id}: cannot {action} a profile in state {state!r}{why}")


class InvalidValue(IpriskError, ValueError):
    """A single value given by the user (an option, an argument) is malformed; the message names it."""


class Infeasible(IpriskError, ValueError):
    """No plan satisfies every constraint; ``conflicts`` (a table) names the constraints that conflict."""

    def __init__(self, message: str, conflicts: Any = None):
        self.conflicts = conflicts
        super().__init__(message)
