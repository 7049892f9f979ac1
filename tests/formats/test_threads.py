"""Column work on threads: results in the items' order, few held at once, errors raised."""

from __future__ import annotations

import threading
import time

import pytest

from iprisk.formats._threads import cores, in_threads


def test_results_come_in_the_items_order_whatever_finishes_first() -> None:
    def slow_first(i: int) -> int:
        time.sleep(0.02 if i % 3 == 0 else 0)
        return i * i

    assert list(in_threads(slow_first, range(12), threads=3)) == [i * i for i in range(12)]
    assert list(in_threads(slow_first, range(5), threads=1)) == [i * i for i in range(5)]
    assert cores() >= 1


def test_at_most_threads_results_are_pending_at_once() -> None:
    lock, running, most = threading.Lock(), [0], [0]

    def work(i: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return i

    started = []
    results = in_threads(work, (started.append(i) or i for i in range(10)), threads=2)
    first = next(results)
    # the first result is taken once the third item is about to be submitted: no more were started
    assert first == 0 and len(started) <= 3
    assert [first, *results] == list(range(10))
    assert most[0] <= 2


def test_an_error_in_one_item_is_raised_to_the_caller() -> None:
    def fails_on_three(i: int) -> int:
        if i == 3:
            raise ValueError("item 3")
        return i

    with pytest.raises(ValueError, match="item 3"):
        list(in_threads(fails_on_three, range(6), threads=2))
