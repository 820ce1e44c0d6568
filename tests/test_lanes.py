"""Bounded pools driven from one thread (scraper.lanes): overlap, feeding, bounds, stops."""

from __future__ import annotations

import threading
import time

import pytest

from scraper.lanes import Lane, bounded_map, drive

WAIT = 10.0  # seconds a test thread waits for another before it gives up (a hang is a failure)


def test_two_lanes_overlap_a_lane_that_waits_on_the_other_finishes():
    """Lane A's item cannot finish before lane B's has run: sequential stages would hang."""
    b_ran = threading.Event()

    def a(x: int) -> int:
        assert b_ran.wait(WAIT), "lane B never ran while lane A was busy"
        return x

    def b(x: int) -> int:
        b_ran.set()
        return -x

    with Lane("a", a, 1) as lane_a, Lane("b", b, 1) as lane_b:
        lane_a.put([1])
        lane_a.close()
        lane_b.put([2])
        lane_b.close()
        out = [
            (lane.name, item, result, exc) for lane, item, result, exc in drive([lane_a, lane_b])
        ]
    # (both may be done by the time the driver looks: the order between them is not fixed)
    assert sorted(out) == [("a", 1, 1, None), ("b", 2, -2, None)]


def test_until_stops_at_that_lane_and_the_other_keeps_its_work_for_the_next_call():
    release = threading.Event()

    def slow(x: int) -> int:
        assert release.wait(WAIT)
        return x

    with Lane("fast", lambda x: x, 2) as fast, Lane("slow", slow, 2) as other:
        fast.put(range(5))
        fast.close()
        other.put([10, 11])
        got = [item for _, item, _, _ in drive([fast, other], until=[fast])]
        assert sorted(got) == [0, 1, 2, 3, 4]
        assert fast.finished and len(other.pending) == 2 and not other.finished
        other.put([12])  # fed later, e.g. from the results just handled
        other.close()
        release.set()
        assert sorted(item for _, item, _, _ in drive([other])) == [10, 11, 12]
        assert other.finished


def test_a_lane_fed_while_it_runs_gets_every_item_once():
    with Lane("src", lambda x: x, 2) as src, Lane("dst", lambda x: x * 10, 2) as dst:
        src.put(range(20))
        src.close()
        seen = []
        for lane, item, result, _ in drive([src, dst], until=[src]):
            if lane is src and item % 2 == 0:
                dst.put([item])  # what a result reveals joins the other lane
            elif lane is dst:
                seen.append(result)
        dst.close()
        seen += [result for _, _, result, _ in drive([dst])]
    assert sorted(seen) == [i * 10 for i in range(0, 20, 2)]
    assert dst.put_count == 10


def test_at_most_twice_the_workers_are_in_hand_and_errors_come_back_as_values():
    in_flight = 0
    most = 0
    lock = threading.Lock()

    def work(x: int) -> int:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.002)
        with lock:
            in_flight -= 1
        if x == 7:
            raise ValueError("item 7")
        return x

    with Lane("w", work, 3) as lane:
        lane.put(range(40))
        lane.close()
        handed = []
        for _, item, result, exc in drive([lane]):
            assert len(lane.pending) <= 6
            handed.append(item)
            if item == 7:
                assert result is None and isinstance(exc, ValueError)
            else:
                assert result == item and exc is None
    assert sorted(handed) == list(range(40)) and most <= 3


def test_an_open_lane_nothing_feeds_is_an_error_not_a_hang():
    with Lane("orphan", lambda x: x, 1) as lane, pytest.raises(RuntimeError, match="orphan"):
        list(drive([lane]))


def test_a_closed_lane_takes_no_more_items_and_stop_drops_the_queue():
    started = threading.Event()
    release = threading.Event()
    done = []

    def work(x: int) -> int:
        started.set()
        assert release.wait(WAIT)
        done.append(x)
        return x

    lane = Lane("w", work, 1)
    lane.put(range(10))
    lane.fill()
    assert started.wait(WAIT) and len(lane.pending) == 2 and len(lane.queue) == 8
    waiting = [fut for fut, item in lane.pending.items() if item == 1]
    stopper = threading.Thread(target=lane.stop)  # waits for the one running
    stopper.start()
    deadline = time.monotonic() + WAIT
    while not waiting[0].cancelled() and time.monotonic() < deadline:
        time.sleep(0.005)  # until stop() has dropped the one handed out but not started
    release.set()
    stopper.join(WAIT)
    assert done == [0] and lane.finished  # and the eight queued were never handed out
    with pytest.raises(RuntimeError, match="closed"):
        lane.put([1])


def test_bounded_map_reads_its_items_lazily():
    taken = []

    def items():
        for i in range(100):
            taken.append(i)
            yield i

    gen = bounded_map(lambda x: x, items(), 2)
    first = next(gen)
    assert first[2] is None and len(taken) <= 5  # 2 * workers in hand (+1 looked at)
    rest = list(gen)
    assert sorted([first[0]] + [i for i, _, _ in rest]) == list(range(100))


def test_bounded_map_calls_on_idle_while_the_network_stalls():
    calls = []

    def slow(x: int) -> int:
        time.sleep(0.3 if x == 2 else 0.0)
        return x * 10

    out = list(bounded_map(slow, range(4), 2, on_idle=lambda: calls.append(1), idle_after=0.05))
    assert sorted(r for _i, r, _e in out) == [0, 10, 20, 30]
    assert len(calls) >= 1  # item 2 kept everyone waiting once
    assert list(bounded_map(lambda x: x, [1], 1)) == [(1, 1, None)]
    assert list(bounded_map(lambda x: x, [], 3)) == []
