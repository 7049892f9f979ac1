from __future__ import annotations

import pytest

from iprisk.simulate import SimulationSummary, simulate


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    out = tmp_path_factory.mktemp("small-world")
    return simulate(start="2016Q1", end="2016Q4", scale=0.01, seed=11, out_dir=out)
