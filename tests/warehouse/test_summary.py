from pathlib import Path

from iprisk.warehouse import Warehouse, stored_summary

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_summary_counts_cases_lines_and_articles_per_admin(tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.submit(EXAMPLES / "seizures" / "DE_2016Q3.csv")
        wh.submit(
            EXAMPLES / "seizures" / "CN_2016Q3_national.csv", mapping=EXAMPLES / "mappings" / "cn-gacc.yaml"
        )
        summary = stored_summary(wh.seizures()).set_index("reporting_admin")
    assert list(summary.index) == ["DE", "CN", "all"]  # most cases first, total last
    assert summary.loc["DE", "cases"] == 8 and summary.loc["DE", "lines"] == 10
    assert summary.loc["CN", "cases"] == 4 and summary.loc["CN", "articles"] == 6400 + 3000 + 40 + 1200 + 5
    assert summary.loc["all", "lines"] == 15 and summary.loc["all", "quarters"] == 1
    assert summary.loc["DE", "first_quarter"] == "2016Q3"


def test_summary_of_an_empty_warehouse_is_empty(tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        assert stored_summary(wh.seizures()).empty
