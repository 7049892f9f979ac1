"""The analysis folder for the experts' meeting: every table, the charts and the summary in each language
(``summary.md`` in English, ``summary.zh.md`` in Simplified Chinese, charts ``*.png`` and ``*.zh.png``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from iprisk.analysis.run import Analysis
from iprisk.i18n import LOCALES, check_locale
from iprisk.reports.signals import signals_file_table
from iprisk.reports.summary import summary_markdown
from iprisk.security import atomic_write, neutralise_frame

#: tables written as CSV, by file name (signals with their explanation in English)
_TABLES = ("signals", "concentration", "lanes", "mirror", "propensity", "displacement")


def summary_file(locale: str) -> str:
    """``summary.md`` for English, ``summary.<locale>.md`` for another language."""
    return "summary.md" if locale == "en" else f"summary.{locale}.md"


def write_analysis(
    result: Analysis,
    out_dir: str | Path,
    *,
    charts: bool = True,
    locales: Sequence[str] = LOCALES,
    warn: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write ``signals.csv`` ... ``displacement.csv``, ``trends.parquet``, and per language of ``locales`` the
    PNG charts and the summary.

    A chart that fails to render is reported through ``warn`` and left out of the summary; the tables are
    always written. Returns the paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in _TABLES:
        path = out / f"{name}.csv"
        table = signals_file_table(result.signals) if name == "signals" else getattr(result, name)
        with atomic_write(path) as tmp:  # opened in spreadsheets: text cells inert (OWASP)
            neutralise_frame(table).to_csv(tmp, index=False)
        written.append(path)
    result.trends.to_parquet(out / "trends.parquet", index=False)
    written.append(out / "trends.parquet")
    for locale in (check_locale(x) for x in locales):
        chart_files = _write_charts(result, out, locale, warn) if charts else {}
        written.extend(out / name for name in chart_files.values())
        path = out / summary_file(locale)
        path.write_text(summary_markdown(result, chart_files, locale), encoding="utf-8")
        written.append(path)
    return written


def _write_charts(
    result: Analysis, out: Path, locale: str, warn: Callable[[str], None] | None
) -> dict[str, str]:
    from iprisk.reports.charts import chart_file
    from iprisk.reports.charts import charts as make_charts

    files: dict[str, str] = {}
    for chart_id, chart in make_charts(result, locale).items():
        name = chart_file(chart_id, locale)
        try:
            chart.save(str(out / name), scale_factor=1.5)
        except Exception as exc:  # a chart that fails to render must not lose the tables
            if warn:
                warn(f"chart {name!r} not rendered: {exc}")
            continue
        files[chart_id] = name
    return files
