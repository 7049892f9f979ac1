"""The charts' specifications: the writers draw them without checking them against the Vega-Lite schema
(a second of CPU per report), so every chart of the reports is checked here."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from iprisk.reports.document import Figure
from iprisk.reports.render import spec
from tests.reports.conftest import Built


def test_every_chart_of_the_reports_is_a_valid_vega_lite_specification(built: Built) -> None:
    docs = [*built.annual.values(), *built.newsletter.values(), *built.play_docs.values()]
    figures = [b for doc in docs for b in doc.blocks() if isinstance(b, Figure)]
    assert len(figures) >= 20
    for figure in figures:
        schema = spec(figure.chart)["$schema"]
        assert schema.startswith("https://vega.github.io/schema/vega-lite/"), figure.key


def test_an_invalid_chart_is_refused() -> None:
    chart = alt.Chart(pd.DataFrame({"a": [1]})).mark_bar().encode(x=alt.X("a:Q", bin="nonsense"))
    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        spec(chart)
    assert spec(chart, validate=False)["encoding"]["x"]["bin"] == "nonsense"
