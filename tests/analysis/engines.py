"""The engines the analysis tests run on (see the ``engine`` fixture in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd


@dataclass(frozen=True)
class Engine:
    """An engine under test: ``name`` as :func:`iprisk.analysis.run` takes it, and where its tables live."""

    name: str
    #: the Ibis backend (None: DuckDB's default in-memory backend, what memtables run on)
    con: Any = None

    def table(self, name: str, data: pd.DataFrame | ir.Table) -> ir.Table:
        """``data`` as a table of this engine."""
        from iprisk.analysis.engines import to_backend

        table = ibis.memtable(data) if isinstance(data, pd.DataFrame) else data
        return table if self.con is None else to_backend(self.con, name, table)
