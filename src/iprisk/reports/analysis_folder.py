"""The analysis folder for the experts' meeting: every table, the charts and ``summary.md``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from iprisk.analysis.run import Analysis
from iprisk.reports.summary import summary_markdown

#: tables written as CSV, by file name
_TABLES = ("signals", "concentration", "lanes", "mirror", "propensity", "displacement")


def write_analysis(
    result: Analysis,
    out_dir: str | Path,
    *,
    charts: bool = True,
    warn: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write ``signals.csv`` ... ``displacement.csv``, ``trends.parquet``, the PNG charts and ``summary.md``.

    A chart that fails to render is reported through ``warn`` and left out of the summary; the tables are
    always written. Returns the paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in _TABLES:
        path = out / f"{name}.csv"
        getattr(result, name).to_csv(path, index=False)
        written.append(path)
    result.trends.to_parquet(out / "trends.parquet", index=False)
    written.append(out / "trends.parquet")
    chart_files: dict[str, str] = {}
    if charts:
        from iprisk.reports.charts import CHART_FILES
        from iprisk.reports.charts import charts as make_charts

        for title, chart in make_charts(result).items():
            name = CHART_FILES[title]
            try:
                chart.save(str(out / name), scale_factor=1.5)
            except Exception as exc:  # a chart that fails to render must not lose the tables
                if warn:
                    warn(f"chart {name!r} not rendered: {exc}")
                continue
            chart_files[title] = name
            written.append(out / name)
    (out / "summary.md").write_text(summary_markdown(result, chart_files), encoding="utf-8")
    written.append(out / "summary.md")
    return written
