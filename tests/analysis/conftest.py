from __future__ import annotations

import os
from pathlib import Path

import ibis
import pytest

from tests.analysis.worlds import World, make_world

#: Public third-party data next to the repository (``../shared/data``), never copied into it.
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """The folder ``../shared/data/<name>``. Missing, the test is skipped on a workstation and FAILS in CI
    (``CI`` set): CI has the data, so a missing folder there is a broken setup, not a reason to pass."""
    path = SHARED_DATA / name
    if not path.is_dir():
        message = f"shared data {path} is missing"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must provide ../shared/data)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(3)


@pytest.fixture(scope="module")
def lines(world: World) -> ibis.Table:
    return ibis.memtable(world.lines)
