from pathlib import Path

from iprisk.demo import run_demo


def test_demo_stores_every_simulated_submission(tmp_path: Path) -> None:
    stages: set[str] = set()
    result = run_demo(
        tmp_path, start="2016Q1", end="2016Q4", scale=0.005, seed=3, progress=lambda s, d, t: stages.add(s)
    )
    assert {"seizures", "declarations", "submit"} <= stages
    assert len(result.submissions) == len(result.world.seizure_files) > 0
    assert {r.status for r in result.submissions} == {"stored"}
    total = result.stored.set_index("reporting_admin").loc["all"]
    assert total.cases == result.world.seizure_cases
    assert total.articles == result.world.seizure_articles
    assert total.quarters == 4


def test_demo_compares_selection_strategies_on_the_last_year(tmp_path: Path) -> None:
    result = run_demo(tmp_path, start="2015Q1", end="2016Q4", scale=0.01, seed=5)
    assert result.targeting is not None
    assert str(result.targeting.train_until) == "2015-12-31"
    table = result.targeting.comparison
    assert set(table.strategy) == {"random", "profiles", "model", "model+profiles"}
    at5 = table[table.k_pct == 5].set_index("strategy")
    # the learned score must beat random checks clearly on a world with a planted risk structure
    assert at5.loc["model", "precision"] > 2 * at5.loc["random", "precision"]
    assert (table.precision <= table.precision_oracle + 1e-12).all()
