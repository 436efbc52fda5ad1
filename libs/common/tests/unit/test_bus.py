"""The in-process bus keeps Kafka's contract: groups see every message, commits survive a restart."""

from __future__ import annotations

import threading

import pytest
from dlp2c.common.bus import BusError, MemoryBus, open_bus


def test_each_group_sees_every_message_in_order() -> None:
    bus = MemoryBus()
    for k in range(5):
        bus.publish("t", "p", f"m{k}".encode())
    a, b = bus.consumer(["t"], "a"), bus.consumer(["t"], "b")
    assert [m.value for m in a.poll(0, 10)] == [f"m{k}".encode() for k in range(5)]
    assert [m.offset for m in b.poll(0, 2)] == [0, 1]
    assert [m.offset for m in b.poll(0, 10)] == [2, 3, 4]
    assert a.poll(0) == []


def test_uncommitted_messages_come_back_to_a_restarted_consumer() -> None:
    bus = MemoryBus()
    for k in range(3):
        bus.publish("t", "p", bytes([k]))
    first = bus.consumer(["t"], "g")
    got = first.poll(0, 10)
    first.commit(got[0])  # the worker finished only the first one, then died
    again = bus.consumer(["t"], "g")
    assert [m.offset for m in again.poll(0, 10)] == [1, 2]
    assert bus.lag("g", ["t"]) == 2
    again.commit(got[2])
    assert bus.lag("g", ["t"]) == 0
    assert bus.consumer(["t"], "g").poll(0) == []


def test_rewind_returns_to_the_last_commit() -> None:
    bus = MemoryBus()
    bus.publish("t", "p", b"x")
    consumer = bus.consumer(["t"], "g")
    assert len(consumer.poll(0)) == 1
    consumer.rewind()
    assert len(consumer.poll(0)) == 1


def test_poll_wakes_when_a_message_arrives() -> None:
    bus = MemoryBus()
    consumer = bus.consumer(["t"], "g")
    timer = threading.Timer(0.1, bus.publish, ("t", "p", b"late"))
    timer.start()
    got = consumer.poll(10.0)
    timer.join()
    assert [m.value for m in got] == [b"late"]


def test_bus_urls() -> None:
    assert isinstance(open_bus("memory://"), MemoryBus)
    with pytest.raises(BusError, match="unknown bus scheme"):
        open_bus("amqp://localhost")
    with pytest.raises(BusError, match="names its brokers"):
        open_bus("kafka://")
