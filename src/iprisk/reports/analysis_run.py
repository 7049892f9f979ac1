"""One logged analysis run: :func:`analyse_to_folder` runs the joint analysis of a warehouse, writes the
analysis folder (what the node serves and the experts read) and records the run in the operational
database's run log, where the state of play counts it among the analyses run.

The log lives with the reports built, in the operational database of the administration's node, because
that is what the state of play (one administration, one quarter) already reads, it survives the next run
(the analysis folder holds only the latest results), and it says who ran what on which data. A run is
recorded only once its folder is written, so a failed run is not counted; the bare computation
(:func:`iprisk.analysis.run`) records nothing, so that a report, a benchmark or a test that computes an
analysis is not counted as one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iprisk.analysis import Analysis, run
from iprisk.analysis.run import Engine
from iprisk.i18n import LOCALES
from iprisk.reports.analysis_folder import write_analysis

#: The run log's kind for an analysis run.
ANALYSIS_KIND = "analysis"


@dataclass(frozen=True)
class AnalysisRun:
    """What :func:`analyse_to_folder` did: the analysis, the files written and its run id in the log."""

    result: Analysis
    written: list[Path]
    run_id: int


def analyse_to_folder(
    warehouse: Any,
    out_dir: str | Path,
    *,
    db: str | None = None,
    start: str | None = None,
    end: str | None = None,
    engine: Engine = "duckdb",
    fdr: float = 0.05,
    charts: bool = True,
    locales: Sequence[str] = LOCALES,
    warn: Callable[[str], None] | None = None,
    by: str | None = None,
) -> AnalysisRun:
    """Analyse ``warehouse`` (a :class:`~iprisk.warehouse.Warehouse`) from ``start`` to ``end``, write the
    folder (:func:`~iprisk.reports.write_analysis`) and record the run in the run log of ``db`` (default the
    ``database`` setting): kind ``analysis``, period ``START..END``, the languages of the summaries, the
    formats written, the data snapshot, the code version, who (``by``, default the acting user) and when."""
    from iprisk.reports.snapshot import code_version, data_snapshot
    from iprisk.store import RunLog

    result = run(warehouse, engine=engine, start=start, end=end, fdr=fdr)
    snapshot = data_snapshot(warehouse)
    written = write_analysis(result, out_dir, charts=charts, locales=locales, warn=warn)
    with RunLog(db) as log:
        run_id = log.record(
            ANALYSIS_KIND,
            f"{result.start}..{result.end}",
            locale=",".join(locales),
            formats=sorted({p.suffix.lstrip(".") for p in written}),
            snapshot=snapshot.digest,
            code_version=code_version(),
            by=by,
        )
    return AnalysisRun(result, written, run_id)
