"""The charts' specifications: the writers draw them without checking them against the Vega-Lite schema
(a second of CPU per report), so every chart of the reports is checked here."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from iprisk.reports.charts import charts
from iprisk.reports.document import Figure
from iprisk.reports.render import spec
from tests.reports.conftest import Built


def test_every_chart_of_the_reports_and_the_analysis_folder_is_a_valid_vega_lite_specification(
    built: Built,
) -> None:
    docs = [*built.annual.values(), *built.newsletter.values(), *built.play_docs.values()]
    figures = {
        f"{doc.kind}.{doc.locale}.{b.key}": b.chart
        for doc in docs
        for b in doc.blocks()
        if isinstance(b, Figure)
    }
    assert len(figures) >= 20
    # and the analysis folder's charts (``iprisk analyse``), drawn by the same writer
    figures |= {
        f"folder.{loc}.{k}": c for loc in ("en", "zh") for k, c in charts(built.inputs.analysis, loc).items()
    }
    for name, chart in figures.items():
        schema = spec(chart)["$schema"]
        assert schema.startswith("https://vega.github.io/schema/vega-lite/"), name


def test_an_invalid_chart_is_refused() -> None:
    chart = alt.Chart(pd.DataFrame({"a": [1]})).mark_bar().encode(x=alt.X("a:Q", bin="nonsense"))
    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        spec(chart)
    assert spec(chart, validate=False)["encoding"]["x"]["bin"] == "nonsense"
