"""Bounded pools of network work, driven from one thread.

A *lane* is one stage's pool: items wait in its queue, at most ``2 * workers`` are handed to
its threads at once (so memory stays flat however many items a stage has), and results come
back in completion order to the one thread that drives the lanes and writes the database.
Several lanes run at once when their stages talk to different hosts: while the PDF lane waits
on the proceedings site's per-host interval, the repository lane fetches from GitHub. A lane
may be fed while it runs (the repositories a PDF batch revealed) and is *closed* when no more
items will come; :func:`drive` stops when the lane it was asked to finish has finished.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Lane(Generic[T, R]):
    """One stage's queue of items and its pool of ``workers`` threads running ``fn``."""

    def __init__(self, name: str, fn: Callable[[T], R], workers: int) -> None:
        self.name = name
        self.fn = fn
        self.workers = max(1, workers)
        self.queue: deque[T] = deque()
        self.pending: dict[Future[R], T] = {}
        self.closed = False
        self.put_count = 0
        self._pool: ThreadPoolExecutor | None = None

    def put(self, items: Iterable[T]) -> int:
        """Queue more items (the lane must still be open); returns how many."""
        if self.closed:
            raise RuntimeError(f"lane {self.name!r} is closed: no more items may be put")
        before = len(self.queue)
        self.queue.extend(items)
        added = len(self.queue) - before
        self.put_count += added
        return added

    def close(self) -> None:
        """No more items will be put: the lane finishes when its queue and pool are empty."""
        self.closed = True

    @property
    def finished(self) -> bool:
        return self.closed and not self.queue and not self.pending

    def fill(self) -> None:
        """Hand queued items to the threads, up to ``2 * workers`` in flight."""
        while self.queue and len(self.pending) < 2 * self.workers:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=self.name)
            item = self.queue.popleft()
            self.pending[self._pool.submit(self.fn, item)] = item

    def stop(self) -> None:
        """Drop the queue and the items handed out but not started, wait for those running
        (their results are dropped too: the next run does them again), stop the threads."""
        self.queue.clear()
        self.closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self.pending.clear()

    def __enter__(self) -> Lane[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


Result = tuple[Lane[Any, Any], Any, Any, BaseException | None]


def drive(
    lanes: Sequence[Lane[Any, Any]],
    until: Sequence[Lane[Any, Any]] | None = None,
    *,
    on_idle: Callable[[], object] | None = None,
    idle_after: float = 0.5,
) -> Iterator[Result]:
    """Run the lanes; yield ``(lane, item, result, error)`` in completion order.

    Stops when the lanes of ``until`` have finished (default: every lane); the other lanes
    keep their queues and the items in flight for the next call. Between two results the
    caller may ``put`` into an open lane, close it, or ``stop`` one (its results still in
    flight are dropped). ``on_idle`` is called (in this thread) once whenever no result has
    come for ``idle_after`` seconds: the place to write what is pending.
    """
    watched = lanes if until is None else until

    def done() -> bool:
        return all(lane.finished for lane in watched)

    while not done():
        for lane in lanes:
            lane.fill()
        waiting = {fut: lane for lane in lanes for fut in lane.pending}
        if not waiting:
            open_lanes = [lane.name for lane in lanes if not lane.finished]
            raise RuntimeError(f"lanes {open_lanes} wait for items that nothing will put")
        timeout = idle_after if on_idle is not None else None
        finished, _ = wait(waiting, timeout=timeout, return_when=FIRST_COMPLETED)
        if not finished:
            assert on_idle is not None
            on_idle()
            finished, _ = wait(waiting, return_when=FIRST_COMPLETED)
        for fut in finished:
            lane = waiting[fut]
            if fut not in lane.pending:
                continue  # its lane was stopped while an earlier result was handled
            item = lane.pending.pop(fut)
            exc = fut.exception()
            yield lane, item, (None if exc else fut.result()), exc
            if done():
                return


def bounded_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    *,
    on_idle: Callable[[], object] | None = None,
    idle_after: float = 0.5,
) -> Iterator[tuple[T, R | None, BaseException | None]]:
    """Run ``fn`` over items with at most ``2 * workers`` in hand; yield (item, result, error)
    in completion order (one lane, fed lazily from ``items``)."""
    it = iter(items)
    lane: Lane[T, R] = Lane("fetch", fn, workers)
    with lane:
        while True:
            # keep at most 2 * workers items taken from the iterator at once
            for item in it:
                lane.put([item])
                if len(lane.queue) + len(lane.pending) >= 2 * lane.workers:
                    break
            else:
                lane.close()
            if lane.finished:
                return
            for _, item, result, exc in drive([lane], on_idle=on_idle, idle_after=idle_after):
                yield item, result, exc
                if not lane.closed:
                    break  # take more items first
