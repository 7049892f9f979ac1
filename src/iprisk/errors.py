"""The errors iprisk raises.

Every error a user can cause derives from :class:`IpriskError` and also from the matching builtin, so callers
may catch either. Errors carry their context (what, where, why) as attributes, not only in the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

#: Severities of a :class:`Problem`: an error refuses the input, a warning is reported and the input accepted.
ERROR = "error"
WARNING = "warning"


class IpriskError(Exception):
    """Root of every error iprisk raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule in an input: where it is (file, row, column), what (value) and why (rule, message).

    ``row`` is the 1-based data row (the header is row 0); ``None`` when the problem concerns the whole file
    (a missing column, mixed quarters). ``severity`` is ``"error"`` (the input is refused) or ``"warning"``
    (reported, the input accepted).
    """

    rule: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    file: str | None = None
    severity: str = ERROR

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
        rule = self.rule if self.severity == ERROR else f"{self.severity}: {self.rule}"
        text = f"[{rule}] {self.message}{value}"
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


class LimitExceeded(InvalidInput):
    """An input is larger than a configured limit (rows, columns, cell, line, decompressed size, aliases).

    The problem names the limit, the value found and the setting that raises it; nothing was stored.
    """

    def __init__(self, source: str, limit: str, found: str, setting: str, allowed: object):
        self.limit = limit
        self.setting = setting
        env = f"IPRISK_{setting.upper()}"
        message = (
            f"{limit}: {found}, past the limit of {allowed} (raise it with the setting {setting}, {env})"
        )
        super().__init__([Problem("limit", message, file=source)], source=source)


class IntegrityError(InvalidInput):
    """A saved file does not match the digest recorded with it (edited, truncated or replaced)."""


class UnsafeOutput(IpriskError, ValueError):
    """An output path would overwrite an input, the warehouse, the operational database or a database file."""

    def __init__(self, path: str, reason: str):
        self.path = path
        super().__init__(f"refusing to write {path}: {reason}")


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


class MissingFile(NotFound, FileNotFoundError):
    """An input file named by the user does not exist."""

    def __init__(self, path: str):
        self.kind = "file"
        self.key = self.path = path
        Exception.__init__(self, f"{path}: no such file")


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


class Unauthenticated(IpriskError, PermissionError):
    """No credentials, or credentials that do not check out (unknown, expired or revoked token, disabled
    account, wrong password); the message says which without revealing whether an account exists."""


class TooManyAttempts(Unauthenticated):
    """Too many failed logins on this account or from this address within the window: refused without
    checking the credentials until ``retry_after`` seconds have passed (whether the account exists or not)."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"too many failed attempts: try again in {retry_after} s")


class Forbidden(IpriskError, PermissionError):
    """The authorisation table does not let this role do this action, or not on this thing."""

    def __init__(self, action: str, role: str, reason: str):
        self.action = action
        self.role = role
        self.reason = reason
        super().__init__(f"{action}: refused to a {role}: {reason}")


class AlreadyExists(IpriskError, ValueError):
    """A named thing (an account) exists already."""

    def __init__(self, kind: str, key: str):
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} already exists: {key}")


class Infeasible(IpriskError, ValueError):
    """No plan satisfies every constraint; ``conflicts`` (a table) names the constraints that conflict."""

    def __init__(self, message: str, conflicts: Any = None):
        self.conflicts = conflicts
        super().__init__(message)


# --- the error map --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorKind:
    """One row of the error map: an error class, its exit code and HTTP status, and when it is raised."""

    error: type[Exception]
    exit_code: int
    http_status: int
    #: short name of the kind, the end of the problem type URI (``urn:iprisk:error:<slug>``)
    slug: str
    title: str
    when: str


#: Exit codes of the command line (``iprisk``); every command uses the same ones.
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_BUSY = 4

#: The one map from error classes to exit codes and HTTP statuses, most specific class first. The CLI and
#: the web layer both read it (:func:`exit_code`, :func:`http_status`, :func:`problem_details`), and
#: ``docs/architecture.md`` shows it as a table.
ERROR_MAP: tuple[ErrorKind, ...] = (
    ErrorKind(WarehouseBusy, EXIT_BUSY, 503, "warehouse-busy", "Warehouse busy",
              "another process holds the warehouse past the lock timeout; nothing changed, retry"),
    ErrorKind(LimitExceeded, EXIT_INVALID, 413, "limit-exceeded", "Input too large",
              "an input is past a configured limit (rows, columns, cell, line, decompressed size, aliases)"),
    ErrorKind(IntegrityError, EXIT_INVALID, 422, "integrity", "Digest mismatch",
              "a saved model's files do not match the digest saved with them"),
    ErrorKind(InvalidInput, EXIT_INVALID, 422, "invalid-input", "Invalid input",
              "input data broke rules (InvalidSubmission included); every problem is listed"),
    ErrorKind(UnsupportedFormat, EXIT_ERROR, 415, "unsupported-format", "Unsupported format",
              "a file extension or content iprisk cannot read or write"),
    ErrorKind(MappingError, EXIT_ERROR, 422, "invalid-mapping", "Invalid column mapping",
              "a column-mapping file is malformed"),
    ErrorKind(UnsafeOutput, EXIT_ERROR, 409, "unsafe-output", "Output refused",
              "an output would overwrite an input, the warehouse, the database or a database file"),
    ErrorKind(InvalidValue, EXIT_ERROR, 400, "invalid-value", "Invalid value",
              "one value given by the user (an option, an argument) is malformed"),
    ErrorKind(Infeasible, EXIT_ERROR, 422, "infeasible", "No feasible plan",
              "no allocation plan meets every constraint; the conflicting constraints are named"),
    ErrorKind(TooManyAttempts, EXIT_ERROR, 429, "too-many-attempts", "Too many failed attempts",
              "too many failed logins on an account or from an address in the window; retry after"),
    ErrorKind(Unauthenticated, EXIT_ERROR, 401, "unauthenticated", "Authentication required",
              "no credentials, or an unknown, expired or revoked token, a disabled account, wrong password"),
    ErrorKind(Forbidden, EXIT_ERROR, 403, "forbidden", "Forbidden",
              "the authorisation table does not let this role do this action, or not on this thing"),
    ErrorKind(AlreadyExists, EXIT_ERROR, 409, "already-exists", "Already exists",
              "a named thing (an account) exists already"),
    ErrorKind(InvalidTransition, EXIT_ERROR, 409, "invalid-transition", "Invalid lifecycle step",
              "a risk profile cannot take this lifecycle step in its state"),
    ErrorKind(UnknownCode, EXIT_ERROR, 404, "unknown-code", "Unknown code",
              "a code looked up in a code list that does not hold it"),
    ErrorKind(NotFound, EXIT_ERROR, 404, "not-found", "Not found",
              "a named thing (file, submission, model, profile, warehouse) does not exist"),
    ErrorKind(NotFitted, EXIT_ERROR, 409, "not-fitted", "Model not fitted",
              "a model was used before fit"),
    ErrorKind(Unsupported, EXIT_ERROR, 501, "unsupported", "Unsupported operation",
              "an engine or format cannot do what was asked (e.g. a write to a read-only warehouse)"),
    ErrorKind(WarehouseError, EXIT_ERROR, 500, "warehouse-error", "Warehouse error",
              "the warehouse cannot be opened or written; nothing was written"),
    ErrorKind(IpriskError, EXIT_ERROR, 400, "error", "Error",
              "any other error iprisk raises on purpose"),
)  # fmt: skip

#: Anything that is not an IpriskError: a bug. One line on the terminal, no traceback, no internals on HTTP.
UNEXPECTED = ErrorKind(Exception, EXIT_ERROR, 500, "internal", "Internal error",
                       "anything else (a bug): one line, never a traceback")  # fmt: skip


def error_kind(exc: BaseException) -> ErrorKind:
    """The row of :data:`ERROR_MAP` for ``exc`` (its most specific class), else :data:`UNEXPECTED`."""
    for kind in ERROR_MAP:
        if isinstance(exc, kind.error):
            return kind
    return UNEXPECTED


def exit_code(exc: BaseException) -> int:
    """The command line's exit code for ``exc``."""
    return error_kind(exc).exit_code


def http_status(exc: BaseException) -> int:
    """The HTTP status for ``exc``."""
    return error_kind(exc).http_status


def problem_details(exc: BaseException, *, instance: str | None = None) -> dict[str, Any]:
    """``exc`` as an RFC 9457 problem-details object (``application/problem+json``), credentials redacted.

    Invalid input adds the extension members ``problems`` (every problem kept, as dicts) and ``total``; a
    limit adds ``limit`` and ``setting``. An unexpected error says nothing of its internals.
    """
    from iprisk.security.redact import redact

    kind = error_kind(exc)
    body: dict[str, Any] = {
        "type": f"urn:iprisk:error:{kind.slug}",
        "title": kind.title,
        "status": kind.http_status,
        "detail": redact(str(exc)) if kind is not UNEXPECTED else "an unexpected error occurred",
    }
    if instance is not None:
        body["instance"] = instance
    if isinstance(exc, InvalidInput):
        body["total"] = exc.total
        body["problems"] = [
            {k: redact(v) if isinstance(v, str) else v for k, v in p.as_dict().items()} for p in exc.problems
        ]
    if isinstance(exc, LimitExceeded):
        body["limit"] = exc.limit
        body["setting"] = exc.setting
    return body
