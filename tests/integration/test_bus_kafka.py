"""The Kafka bus against a real Kafka-protocol broker: delivery, commits, and resuming after a crash."""

from __future__ import annotations

import uuid

import pytest
from dlp2c.common.bus import BusError, KafkaBus, open_bus
from dlp2c.common.settings import InfraSettings

pytestmark = [pytest.mark.connected, pytest.mark.xdist_group("kafka")]


def _poll_all(consumer, want: int, rounds: int = 40) -> list:
    got = []
    for _ in range(rounds):
        got += consumer.poll(1.0, 100)
        if len(got) >= want:
            break
    return got


def test_messages_arrive_and_commits_survive_a_restart(kafka_url: str) -> None:
    bus = open_bus(kafka_url, InfraSettings(kafka_partitions=1))
    assert isinstance(bus, KafkaBus)
    topic, group = f"t-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    bus.ensure_topics([topic])
    bus.ensure_topics([topic])  # a second time is no error
    for k in range(4):
        bus.publish(topic, "paper", f"m{k}".encode())
    bus.flush()
    first = bus.consumer([topic], group)
    got = _poll_all(first, 4)
    assert [m.value for m in got] == [b"m0", b"m1", b"m2", b"m3"]
    first.commit(got[1])  # finished two, then "crashed"
    first.close()
    second = bus.consumer([topic], group)
    again = _poll_all(second, 2)
    assert [m.value for m in again] == [b"m2", b"m3"]
    second.commit(again[-1])
    second.close()
    other = bus.consumer([topic], f"{group}-other")  # another group still sees everything
    assert len(_poll_all(other, 4)) == 4
    other.close()
    bus.close()


def test_an_unreachable_broker_is_a_clear_error() -> None:
    with pytest.raises(BusError, match="cannot reach the Kafka broker"):
        KafkaBus(["127.0.0.1:1"])
