"""wawai.workpool: admission per key and in total is decided at once; the pool's threads do the work."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.support.waiting import run_coroutine
from wawai.workpool import PoolFull, WorkPool


def test_refuses_beyond_workers_plus_queue_and_per_key():
    pool = WorkPool("jobs", workers=1, queue=2, per_key=2, retry_after=7)
    release = threading.Event()

    async def scenario() -> list[object]:
        def blocked() -> str:
            release.wait(10)
            return threading.current_thread().name

        jobs = [asyncio.ensure_future(pool.run(blocked, key=key)) for key in ("a", "a", "b")]
        await asyncio.sleep(0.05)
        refused: list[object] = []
        for key in ("a", "c"):  # "a" is at its share; the pool is full for "c"
            with pytest.raises(PoolFull) as full:
                await pool.run(blocked, key=key)
            refused.append(full.value.retry_after)
        release.set()
        names = await asyncio.gather(*jobs)
        refused.append(all(name.startswith("pool-jobs") for name in names))
        refused.append(pool.stats()["admitted"])
        return refused

    try:
        assert run_coroutine(scenario()) == [7, 7, True, 0]
    finally:
        pool.close()


def test_an_error_in_the_job_frees_its_slot():
    pool = WorkPool("jobs", workers=1, queue=0)

    def fails() -> None:
        raise ValueError("bad")

    async def scenario() -> int:
        with pytest.raises(ValueError):
            await pool.run(fails)
        return await pool.run(lambda: 42)

    try:
        assert run_coroutine(scenario()) == 42
    finally:
        pool.close()
