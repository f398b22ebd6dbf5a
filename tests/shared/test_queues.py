"""DropQueue: bounded, never blocks the producer, drops whole GOPs for GOP-aware consumers."""

import asyncio
import threading

import pytest

from wawai.queues import Closed, DropQueue


def test_oldest_dropped_and_counted():
    queue: DropQueue[int] = DropQueue(3)
    for item in range(5):
        queue.put(item)
    assert [queue.get(0), queue.get(0), queue.get(0)] == [2, 3, 4]
    assert queue.dropped == 2
    assert queue.delivered == 3


def _gop_queue(maxsize: int) -> DropQueue[str]:
    # "K" marks a keyframe, "p" a predicted picture.
    return DropQueue(maxsize, is_keyframe=lambda item: item.startswith("K"))


def test_overflow_drops_to_the_next_keyframe():
    queue = _gop_queue(5)
    for item in ["K1", "p1", "p2", "K2", "p3", "p4"]:
        queue.put(item)
    assert [queue.get(0) for _ in range(3)] == ["K2", "p3", "p4"]
    assert queue.dropped == 3


def test_overflow_inside_one_gop_waits_for_the_next_keyframe():
    queue = _gop_queue(3)
    for item in ["K1", "p1", "p2", "p3", "p4", "K2", "p5"]:
        queue.put(item)
    # The whole first GOP went: what follows its lost keyframe cannot be decoded, so it is dropped too.
    assert [queue.get(0), queue.get(0)] == ["K2", "p5"]
    assert queue.get(0) is None
    assert queue.dropped == 5


def test_get_times_out_and_close_ends_consumers():
    queue: DropQueue[int] = DropQueue(2)
    assert queue.get(0.01) is None
    queue.put(1)
    queue.close()
    assert queue.get(0) == 1
    with pytest.raises(Closed):
        queue.get(0)


def test_async_consumer_woken_from_another_thread():
    queue: DropQueue[int] = DropQueue(4)

    def produce() -> None:
        for item in (7, 8):
            queue.put(item)

    async def consume() -> list[int]:
        threading.Timer(0.05, produce).start()
        return [await queue.get_async(), await queue.get_async()]

    # A loop of its own in a thread: a session-wide Playwright keeps a loop running in the main thread.
    result: list[list[int]] = []
    runner = threading.Thread(target=lambda: result.append(asyncio.run(consume())))
    runner.start()
    runner.join(timeout=10)
    assert result == [[7, 8]]
