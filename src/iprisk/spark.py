"""A local Spark session for iprisk's Spark paths (the analysis engine and batch scoring).

Importing this module does not import PySpark; :func:`local_session` does.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def local_session(cores: int = 2, app_name: str = "iprisk", **conf: str) -> Any:
    """A local ``SparkSession`` (``local[cores]``) whose Python workers run this interpreter.

    Sets ``SPARK_LOCAL_IP=127.0.0.1`` and ``PYSPARK_PYTHON`` (unless already set) so that the workers can
    import iprisk; ``conf`` adds Spark settings (``spark.sql.execution.arrow.maxRecordsPerBatch``...).
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
