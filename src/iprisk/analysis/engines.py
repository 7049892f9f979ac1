"""Engines for the analysis: the same Ibis expressions on DuckDB (default) or on PySpark.

PySpark is optional; :func:`spark_backend` raises :class:`iprisk.errors.Unsupported` when it (or Java) is
missing, so callers can say so in one line.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from iprisk.errors import Unsupported
from iprisk.settings import get_settings


def spark_backend(app_name: str = "iprisk-analysis", cores: int = 2, **extra: str) -> Any:
    """An Ibis PySpark backend on a local Spark session (``local[cores]``), small-data settings; ``extra``
    adds or overrides Spark settings (the tests' quick-start ones, for instance)."""
    from iprisk.spark import local_session

    conf = {
        "spark.sql.shuffle.partitions": str(max(2, cores)),
        "spark.driver.memory": get_settings().spark_driver_memory,
        **extra,
    }
    try:
        session = local_session(cores, app_name, **conf)
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise Unsupported("the Spark engine needs pyspark (install the 'spark' extra)") from exc
    except Exception as exc:  # Java missing or the JVM failed to start
        raise Unsupported(f"could not start Spark: {exc}") from exc
    return ibis.pyspark.connect(session)


def to_backend(con: Any, name: str, table: ir.Table | pa.Table) -> ir.Table:
    """Copy a table into another backend, e.g. from the DuckDB warehouse into Spark (a temporary view there).

    A table that already lives in ``con`` (or in the same Spark session) is returned as it is. Columns of the
    null type (all empty, no type known) become strings: Spark cannot store them.
    """
    if isinstance(table, ir.Table) and _same_backend(table, con):
        return table
    data = table.to_pyarrow() if isinstance(table, ir.Table) else table
    fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in data.schema]
    data = data.cast(pa.schema(fields))
    session = getattr(con, "_session", None)
    if session is None:
        return con.create_table(name, data, overwrite=True)
    session.createDataFrame(data).createOrReplaceTempView(name)
    return con.table(name)


def _same_backend(table: ir.Table, con: Any) -> bool:
    try:
        backend = table._find_backend()
    except Exception:  # an unbound expression (memtable): it lives nowhere yet
        return False
    session = getattr(con, "_session", None)
    return backend is con or (session is not None and getattr(backend, "_session", None) is session)
