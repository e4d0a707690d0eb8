import asyncio

from eigen_kernel.scheduler import DeviceQueue, EventBus


async def test_device_queue_is_fifo_with_slots():
    q = DeviceQueue("d", slots=1)
    order = []

    async def worker(i, hold):
        await q.acquire()
        order.append(i)
        await hold.wait()
        q.release()

    holds = [asyncio.Event() for _ in range(4)]
    tasks = []
    for i in range(4):
        tasks.append(asyncio.create_task(worker(i, holds[i])))
        await asyncio.sleep(0)
    assert q.depth == 4 and order == [0]
    for h in holds:
        h.set()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3]
    assert q.depth == 0 and q.busy == 0


async def test_cancelled_waiter_leaves_queue_consistent():
    q = DeviceQueue("d", slots=1)
    await q.acquire()
    waiter = asyncio.create_task(q.acquire())
    await asyncio.sleep(0)
    assert q.depth == 2
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    assert q.depth == 1
    q.release()
    assert q.busy == 0
    await asyncio.wait_for(q.acquire(), 1)


async def test_event_bus_wakes_only_subscribers():
    bus = EventBus()
    with bus.subscribe(["a"]) as wa, bus.subscribe(["b"]) as wb:
        bus.publish("a")
        assert wa.is_set() and not wb.is_set()
    bus.publish("a")  # no subscribers left: must not fail
