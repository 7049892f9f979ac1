"""Column work on the cores this process may use: Arrow's compute kernels release the GIL, so checking or
hashing columns on a few threads divides the wall time of a million-row file by the cores."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def in_threads(fn: Callable[[_T], _R], items: Iterable[_T], threads: int | None = None) -> Iterator[_R]:
    """``fn`` of each item, in the items' order, computed on ``threads`` threads (default: :func:`cores`).

    At most ``threads`` results are pending or waiting at once, so that a large result per item (a sorted
    column) is not held for every item together. One thread: a plain loop, no pool.
    """
    threads = cores() if threads is None else threads
    if threads < 2:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="iprisk-columns") as pool:
        pending: deque[Future[_R]] = deque()
        for item in items:
            if len(pending) >= threads:
                yield pending.popleft().result()
            pending.append(pool.submit(fn, item))
        while pending:
            yield pending.popleft().result()
