"""The demo chains the stages; its targeting stage is checked with the command (tests/cli/test_demo.py)."""

from pathlib import Path

from iprisk.demo import run_demo
from iprisk.periods import Quarter
from iprisk.simulate.receipts import DELAY_BOUNDS


def test_demo_stores_every_simulated_submission(tmp_path: Path) -> None:
    stages: set[str] = set()
    result = run_demo(
        tmp_path,
        start="2016Q1",
        end="2016Q4",
        scale=0.005,
        seed=3,
        progress=lambda s, d, t: stages.add(s),
        reports=False,  # the reports are checked with the command (tests/cli/test_demo.py)
        nodes=False,  # the two nodes are shown by tests/cli/test_demo.py
    )
    assert {"seizures", "declarations", "submit"} <= stages
    assert len(result.submissions) == len(result.world.seizure_files) > 0
    assert {r.status for r in result.submissions} == {"stored"}
    # each logged on the day the simulator's calendar says its administration sent it, weeks after its quarter
    delays = [(r.submitted_at.date() - Quarter.parse(r.quarter).end).days for r in result.submissions]
    assert all(0 < d <= DELAY_BOUNDS[1] for d in delays)
    assert [r.submitted_at for r in result.submissions] == sorted(r.submitted_at for r in result.submissions)
    total = result.stored.set_index("reporting_admin").loc["all"]
    assert total.cases == result.world.seizure_cases
    assert total.articles == result.world.seizure_articles
    assert total.quarters == 4
