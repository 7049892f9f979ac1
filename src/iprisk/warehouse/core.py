"""The warehouse: one small class in front of the analytical store (Ibis over DuckDB by default).

Connection model: a :class:`Warehouse` holds its connection from :meth:`Warehouse.open` until :meth:`close`
(or the end of a ``with`` block). While it is held, another *process* cannot open the same DuckDB file,
so hold it for the duration of a piece of work, not for a whole session: the CLI opens and closes around
each command. After :meth:`close`, the next call reopens the file (waiting while another process holds
it), but Ibis tables obtained before the close are bound to the closed connection and cannot be executed
any more.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb

from iprisk.errors import InvalidValue, IpriskError, NotFound, Unsupported, WarehouseBusy, WarehouseError
from iprisk.periods import Quarter
from iprisk.security.redact import redact
from iprisk.settings import get_settings
from iprisk.warehouse._connect import MEMORY, Location, connect_duckdb, parse_location
from iprisk.warehouse._origins import Origin, ReceiveResult, receive_batch
from iprisk.warehouse._schema import (
    ORIGINS,
    SEIZURE_LINES,
    SUBMISSIONS,
    TRADE,
    check_schema,
    ensure_schema,
    seizures_schema,
)
from iprisk.warehouse._submit import BatchLike, SubmitResult, check_batch_matches, store_batch
from iprisk.warehouse._trade import normalise_trade, replace_quarters

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    import pyarrow as pa

# Ibis and pandas are imported when first needed: a process that only submits (the CLI) starts faster.


def parse_timestamp(value: str | date | datetime | pd.Timestamp) -> datetime:
    """An instant as an aware UTC datetime; a date means its midnight and a naive time is read as UTC."""
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"not a timestamp (expected ISO 8601, e.g. 2026-01-31T12:00:00Z): {value!r}"
        ) from exc
    if pd.isna(ts):
        raise ValueError(f"not a timestamp: {value!r}")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    result: datetime = ts.to_pydatetime()
    return result


def _quarter_text(quarter: str | Quarter) -> str:
    return str(quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter))


def _admin_code(admin: str) -> str:
    """An administration filter as stored: ``de`` is ``DE``; anything but an ISO code is refused, so that a
    typo is an error rather than an empty result."""
    from iprisk.codes import COUNTRY_CODES

    code = admin.strip().upper()
    if code not in COUNTRY_CODES:
        raise InvalidValue(f"not an ISO 3166-1 alpha-2 administration code: {admin!r}")
    return code


class Warehouse:
    """Seizure submissions (versioned), seizure lines and trade statistics, behind Ibis.

    Open with :meth:`Warehouse.open`; see the module docstring for the connection model.
    """

    def __init__(
        self,
        location: Location,
        *,
        lock_timeout_s: float | None = None,
        create: bool = True,
        read_only: bool = False,
    ):
        self._location = location
        self._create = create
        self._read_only = read_only
        self._timeout = get_settings().lock_timeout_s if lock_timeout_s is None else lock_timeout_s
        self._duck: Any = None  # the raw DuckDB connection (DuckDB warehouses only)
        self._ibis: Any = None

    @classmethod
    def open(
        cls,
        location: str | Path | None = None,
        *,
        lock_timeout_s: float | None = None,
        create: bool = True,
        read_only: bool = False,
    ) -> Warehouse:
        """Open (and create or migrate when needed) the warehouse at ``location``.

        ``None`` uses the ``IPRISK_WAREHOUSE`` setting. A path (``.duckdb``, ``.db``, any other or none),
        ``duckdb://PATH`` or ``:memory:`` is a DuckDB warehouse; any other URL is opened with
        ``ibis.connect`` and is read-only for iprisk (writes raise Unsupported). Raises WarehouseBusy when
        another process holds the DuckDB file for longer than ``lock_timeout_s``. With ``create=False`` a
        DuckDB file that does not exist raises NotFound instead of being created (for read-only commands).
        With ``read_only=True`` a DuckDB file is opened read-only: a file the user may only read can be
        listed and exported, never written or migrated (writes raise Unsupported).
        """
        where = parse_location(get_settings().warehouse if location is None else location)
        wh = cls(where, lock_timeout_s=lock_timeout_s, create=create, read_only=read_only)
        wh._connect()
        return wh

    # -- connection --------------------------------------------------------------------------------------

    def _connect(self) -> None:
        if not self.closed:
            return
        loc = self._location
        if loc.kind == "duckdb":
            duck = connect_duckdb(
                loc.target, timeout_s=self._timeout, create=self._create, read_only=self._read_only
            )
            try:
                if self._read_only and loc.target != MEMORY:
                    check_schema(duck, str(loc))
                else:
                    ensure_schema(duck)
            except duckdb.Error as exc:
                duck.close()
                raise WarehouseError(f"cannot open warehouse {loc}: {exc}") from exc
            except BaseException:
                duck.close()
                raise
            self._duck = duck
        else:
            import ibis

            try:
                self._ibis = ibis.connect(loc.target)
            except IpriskError:
                raise
            except Exception as exc:  # the driver's message may quote the URL: redacted
                raise WarehouseError(f"cannot open warehouse {loc}: {redact(str(exc))}") from None

    def close(self) -> None:
        """Release the connection (and the DuckDB file lock). Safe to call twice."""
        backend, duck, self._ibis, self._duck = self._ibis, self._duck, None, None
        if backend is not None:
            backend.disconnect()
        if duck is not None:
            duck.close()

    @property
    def closed(self) -> bool:
        return self._ibis is None and self._duck is None

    def __enter__(self) -> Warehouse:
        self._connect()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"Warehouse({str(self._location)!r}, {state})"

    @property
    def location(self) -> str:
        """Where the warehouse is, any password in it redacted (for messages and logs)."""
        return str(self._location)

    @property
    def writable(self) -> bool:
        """Whether this warehouse accepts submissions (DuckDB opened read-write; other backends never)."""
        return self._location.kind == "duckdb" and not self._read_only

    @property
    def con(self) -> Any:
        """The Ibis backend, for analysis code (opens the warehouse again after :meth:`close`)."""
        self._connect()
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self._duck)
        return self._ibis

    def _table(self, name: str) -> ir.Table:
        con = self.con  # may raise WarehouseBusy / WarehouseError: not a missing table
        try:
            table: ir.Table = con.table(name)
            return table
        except Exception as exc:  # each backend has its own "no such table" error
            reason = redact(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
            raise NotFound("warehouse table", f"{name} in {self._location} ({reason})") from None

    def _check_writable(self, what: str) -> None:
        if self._read_only:
            raise Unsupported(f"{what}: the warehouse {self._location} was opened read-only")
        if not self.writable:
            raise Unsupported(
                f"{what} needs a transactional store; {self._location} is read-only for iprisk "
                "(only DuckDB warehouses accept writes)"
            )

    def _writer(self, what: str) -> Any:
        self._check_writable(what)
        self._connect()
        return self._duck

    def _write(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        duck = self._writer(what)
        try:
            return fn(duck, *args, **kwargs)
        except duckdb.TransactionException as exc:
            if "conflict" in str(exc).lower():  # another connection of this process wrote the same rows
                raise WarehouseBusy(self.location) from exc
            raise WarehouseError(f"{what} failed, nothing was written: {exc}") from exc
        except duckdb.Error as exc:
            raise WarehouseError(f"{what} failed, nothing was written: {exc}") from exc

    # -- seizures ----------------------------------------------------------------------------------------

    def submit(
        self,
        path_or_batch: str | Path | BatchLike,
        *,
        admin: str | None = None,
        quarter: str | Quarter | None = None,
        mapping: str | Path | None = None,
        user: str | None = None,
        received_at: datetime | None = None,
    ) -> SubmitResult:
        """Validate (when given a file) and store one quarterly submission, atomically.

        A file is read with :func:`iprisk.formats.read_seizures` (``admin``, ``quarter``, ``mapping`` passed
        on; InvalidSubmission lists every problem and nothing is stored). Idempotent: the same content as the
        current version is ``unchanged``; other content becomes a new version superseding the current one.
        ``user`` defaults to the ``IPRISK_USER`` setting, then the operating-system user. ``received_at`` (a
        time-zone aware time) is logged as the submission's ``submitted_at`` instead of now: a replay of
        submissions received earlier (the demo's simulated calendar, a migration from another system) keeps
        when each arrived, which the state of play's "statistics on time" reads.
        """
        # Checked before reading: a read-only warehouse fails fast. The file is read before the warehouse is
        # (re)opened, so a closed Warehouse holds the file lock only while storing.
        self._check_writable("submit")
        if isinstance(path_or_batch, str | Path):
            from iprisk.formats import read_seizures

            batch: BatchLike = read_seizures(path_or_batch, mapping=mapping, admin=admin, quarter=quarter)
        else:
            batch = path_or_batch
            check_batch_matches(batch, admin, quarter)
        result: SubmitResult = self._write("submit", store_batch, batch, user=user, received_at=received_at)
        return result

    def seizures(
        self,
        *,
        admin: str | None = None,
        quarter: str | Quarter | None = None,
        as_of: str | date | datetime | None = None,
    ) -> ir.Table:
        """Seizure lines of the version of each (admin, quarter) current now, or at ``as_of``.

        Canonical seizures columns plus ``quarter`` and ``submission_id``. A version was current at T when
        ``submitted_at <= T`` and it was not superseded at or before T.
        """
        subs = self._table(SUBMISSIONS)
        if as_of is None:
            live = subs.filter(subs.status == "current")
        else:
            import ibis

            t = ibis.literal(parse_timestamp(as_of), type="timestamp('UTC')")
            live = subs.filter(
                (subs.submitted_at <= t) & (subs.superseded_at.isnull() | (subs.superseded_at > t))
            )
        if admin is not None:
            live = live.filter(live.reporting_admin == _admin_code(admin))
        if quarter is not None:
            live = live.filter(live.quarter == _quarter_text(quarter))
        lines = self._table(SEIZURE_LINES)
        return lines.semi_join(live.select("submission_id"), "submission_id")

    def submissions(self, *, admin: str | None = None, quarter: str | Quarter | None = None) -> pd.DataFrame:
        """The submission log, every version ever stored, ordered by ``submission_id``."""
        subs = self._table(SUBMISSIONS)
        if admin is not None:
            subs = subs.filter(subs.reporting_admin == _admin_code(admin))
        if quarter is not None:
            subs = subs.filter(subs.quarter == _quarter_text(quarter))
        frame: pd.DataFrame = subs.order_by("submission_id").to_pandas()
        return frame.reset_index(drop=True)

    def version_lines(self, submission_id: int) -> pa.Table:
        """The lines of one stored version (current or superseded), canonical columns, in stored order."""
        lines = self._table(SEIZURE_LINES)
        schema = seizures_schema()
        found = lines.filter(lines.submission_id == submission_id).select(*schema.names).to_pyarrow()
        return found.cast(schema)

    # -- statistics from the peer node -------------------------------------------------------------------

    def receive(self, batch: BatchLike, origin: Origin, *, user: str | None = None) -> ReceiveResult:
        """Store a version received from the peer node, idempotently by message id, keeping the sender's
        order of versions (see :mod:`iprisk.warehouse._origins`); atomic."""
        self._check_writable("receive")
        who = user or f"{origin.node} (channel)"
        result: ReceiveResult = self._write("receive", receive_batch, batch, origin, user=who)
        return result

    def origins(self) -> pd.DataFrame:
        """Every statistics message received from the peer node, with the version it made here."""
        table = self._table(ORIGINS)
        frame: pd.DataFrame = table.order_by(["received_at", "message_id"]).to_pandas()
        return frame.reset_index(drop=True)

    # -- trade statistics --------------------------------------------------------------------------------

    def load_trade(self, path_or_table: str | Path | pa.Table | pd.DataFrame) -> list[str]:
        """Replace the trade rows of every quarter in ``path_or_table`` (atomic); returns those quarters.

        Accepts a ``.parquet`` / ``.csv`` path, a pyarrow Table or a pandas DataFrame with the trade columns.
        """
        self._check_writable("load_trade")
        table = normalise_trade(path_or_table)
        quarters: list[str] = self._write("load_trade", replace_quarters, table)
        return quarters

    def trade(self) -> ir.Table:
        """The trade-statistics table."""
        return self._table(TRADE)


__all__ = ["MEMORY", "Warehouse", "parse_timestamp"]
