from eigen_kernel.lifecycle import EventBus


async def test_event_bus_wakes_only_subscribers():
    bus = EventBus()
    with bus.subscribe(["a"]) as wa, bus.subscribe(["b"]) as wb:
        bus.publish("a")
        assert wa.is_set() and not wb.is_set()
    bus.publish("a")  # no subscribers left: must not fail
