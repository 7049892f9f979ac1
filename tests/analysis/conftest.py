from __future__ import annotations

import ibis
import pytest

from tests.analysis.worlds import World, make_world


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(3)


@pytest.fixture(scope="module")
def lines(world: World) -> ibis.Table:
    return ibis.memtable(world.lines)
