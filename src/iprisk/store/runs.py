"""The log of analyses run and reports built, in the operational database: each joint analysis that
``iprisk analyse`` writes (:func:`iprisk.reports.analyse_to_folder`) and each joint report, newsletter or
state of play that ``iprisk report`` writes is one row (what, which period, languages, formats, data snapshot,
code version, who, when). The state of play reads it as the analyses run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iprisk.settings import acting_user, get_settings
from iprisk.store.db import ReportRunRow, connect, utc

#: Columns of :meth:`RunLog.runs`.
RUN_COLUMNS = ("run_id", "kind", "period", "locale", "formats", "snapshot", "code_version", "by", "at")


class RunLog:
    """Analysis and report runs in a SQL database (the ``database`` setting by default), migrated on
    opening."""

    def __init__(self, url: str | Engine | None = None):
        self.engine = url if isinstance(url, Engine) else connect(url or get_settings().database)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(
        self,
        kind: str,
        period: str,
        *,
        locale: str,
        formats: Sequence[str],
        snapshot: str,
        code_version: str,
        by: str | None = None,
        at: datetime | None = None,
    ) -> int:
        """Record one analysis run or report built; returns its run id."""
        row = ReportRunRow(
            kind=kind,
            period=period,
            locale=locale,
            formats=",".join(formats),
            snapshot=snapshot,
            code_version=code_version,
            by=acting_user(by),
            at=(at or datetime.now(UTC)).astimezone(UTC),
        )
        with Session(self.engine) as session, session.begin():
            session.add(row)
            session.flush()
            return int(row.run_id)

    def runs(self) -> pd.DataFrame:
        """Every run, oldest first (``at`` in UTC)."""
        with Session(self.engine) as session:
            rows = session.scalars(select(ReportRunRow).order_by(ReportRunRow.run_id)).all()
            records = [{c: getattr(r, c) for c in RUN_COLUMNS} for r in rows]
        frame = pd.DataFrame(records, columns=list(RUN_COLUMNS))
        frame["at"] = pd.to_datetime([utc(t) for t in frame["at"]], utc=True) if len(frame) else frame["at"]
        return frame
