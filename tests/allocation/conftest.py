"""A small simulated world shared by the estimation and proof tests (simulated once per session)."""

from __future__ import annotations

import dataclasses

import pytest

from iprisk.allocation.proof import SimulatedData, load_simulation
from iprisk.simulate import Scenario, default_scenario, simulate

#: Enough logged declarations for the curves' shapes: five times the default sample.
SCALE, SEED, START, END, TARGET = 0.02, 5, "2015Q1", "2016Q4", "2017Q1"


def richer_scenario() -> Scenario:
    s = default_scenario()
    return dataclasses.replace(s, declaration_sample={k: 5 * v for k, v in s.declaration_sample.items()})


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> SimulatedData:
    out = tmp_path_factory.mktemp("alloc-world")
    return load_simulation(simulate(richer_scenario(), START, END, SCALE, SEED, out))
