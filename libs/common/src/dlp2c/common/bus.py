"""The message bus between stages, chosen by URL: ``memory://`` (one process, the embedded default) or
``kafka://host:port[,host:port]`` (Kafka or any Kafka-protocol broker).

Both give the same at-least-once contract: a consumer in a group sees every message of its topics;
a message stays uncommitted until the worker has stored what it produced and calls :meth:`commit`;
a consumer that starts again (or a second one in the same group, on Kafka) resumes after the last
commit, so a crash redelivers what was not finished and loses nothing.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlparse

from dlp2c.common.errors import Dlp2cError
from dlp2c.common.settings import InfraSettings


class BusError(Dlp2cError):
    code = "bus"
    transient = True  # a broker that is down now may be up on the next try


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: str
    value: bytes


class Consumer(Protocol):
    def poll(self, timeout_s: float = 1.0, max_messages: int = 16) -> list[Message]: ...

    def commit(self, message: Message) -> None: ...

    def close(self) -> None: ...


class Bus(Protocol):
    url: str

    def publish(self, topic: str, key: str, value: bytes) -> None: ...

    def flush(self) -> None: ...

    def consumer(self, topics: Sequence[str], group: str) -> Consumer: ...

    def ensure_topics(self, topics: Iterable[str]) -> None: ...

    def close(self) -> None: ...


class MemoryBus:
    """Topics as append-only lists in this process; groups keep committed offsets, like Kafka's."""

    def __init__(self) -> None:
        self.url = "memory://"
        self._logs: dict[str, list[Message]] = {}
        self._committed: dict[tuple[str, str], int] = {}  # (group, topic) -> next offset
        self._changed = threading.Condition()

    def ensure_topics(self, topics: Iterable[str]) -> None:
        with self._changed:
            for topic in topics:
                self._logs.setdefault(topic, [])

    def publish(self, topic: str, key: str, value: bytes) -> None:
        with self._changed:
            log = self._logs.setdefault(topic, [])
            log.append(Message(topic, 0, len(log), key, value))
            self._changed.notify_all()

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def messages(self, topic: str) -> list[Message]:
        """Everything ever published to ``topic`` (for tests and the embedded runner's report)."""
        with self._changed:
            return list(self._logs.get(topic, []))

    def lag(self, group: str, topics: Iterable[str]) -> int:
        """Messages in ``topics`` that ``group`` has not committed yet."""
        with self._changed:
            return sum(len(self._logs.get(t, [])) - self._committed.get((group, t), 0) for t in topics)

    def consumer(self, topics: Sequence[str], group: str) -> MemoryConsumer:
        return MemoryConsumer(self, list(topics), group)


class MemoryConsumer:
    def __init__(self, bus: MemoryBus, topics: list[str], group: str) -> None:
        self.bus, self.topics, self.group = bus, topics, group
        with bus._changed:
            self._position = {t: bus._committed.get((group, t), 0) for t in topics}

    def _ready(self, max_messages: int) -> list[Message]:
        out: list[Message] = []
        for topic in self.topics:
            log = self.bus._logs.get(topic, [])
            while self._position[topic] < len(log) and len(out) < max_messages:
                out.append(log[self._position[topic]])
                self._position[topic] += 1
        return out

    def poll(self, timeout_s: float = 1.0, max_messages: int = 16) -> list[Message]:
        deadline = time.monotonic() + timeout_s
        with self.bus._changed:
            while True:
                ready = self._ready(max_messages)
                left = deadline - time.monotonic()
                if ready or left <= 0:
                    return ready
                self.bus._changed.wait(left)

    def commit(self, message: Message) -> None:
        with self.bus._changed:
            key = (self.group, message.topic)
            self.bus._committed[key] = max(self.bus._committed.get(key, 0), message.offset + 1)

    def rewind(self) -> None:
        """Go back to the last commit: what a restarted consumer would see (used after a failure)."""
        with self.bus._changed:
            self._position = {t: self.bus._committed.get((self.group, t), 0) for t in self.topics}

    def close(self) -> None:
        return None


class KafkaBus:
    """kafka-python against Kafka or a Kafka-protocol broker (Tansu in the tests)."""

    def __init__(self, servers: list[str], settings: InfraSettings | None = None) -> None:
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        self.settings = settings or InfraSettings()
        self.servers = servers
        self.url = "kafka://" + ",".join(servers)
        try:
            self._producer = KafkaProducer(bootstrap_servers=servers, acks="all", retries=5, linger_ms=5,
                                           max_request_size=8 << 20)
        except KafkaError as exc:
            raise BusError(f"cannot reach the Kafka broker: {exc}", self.url,
                           "check DLP2C_BUS_URL and that the broker is up") from exc

    def ensure_topics(self, topics: Iterable[str]) -> None:
        from kafka.admin import KafkaAdminClient, NewTopic
        from kafka.errors import TopicAlreadyExistsError

        admin = KafkaAdminClient(bootstrap_servers=self.servers)
        try:
            existing = set(admin.list_topics())
            wanted = [NewTopic(t, self.settings.kafka_partitions, 1) for t in topics if t not in existing]
            if wanted:
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics(wanted)
        finally:
            admin.close()

    def publish(self, topic: str, key: str, value: bytes) -> None:
        from kafka.errors import KafkaError

        try:
            self._producer.send(topic, key=key.encode(), value=value).get(timeout=30)
        except KafkaError as exc:
            raise BusError(f"publishing to {topic} failed: {exc}", self.url) from exc

    def flush(self) -> None:
        self._producer.flush(timeout=30)

    def consumer(self, topics: Sequence[str], group: str) -> KafkaConsumerAdapter:
        return KafkaConsumerAdapter(self, list(topics), group)

    def close(self) -> None:
        self._producer.close(timeout=10)


class KafkaConsumerAdapter:
    def __init__(self, bus: KafkaBus, topics: list[str], group: str) -> None:
        from kafka import KafkaConsumer

        s = bus.settings
        self._consumer = KafkaConsumer(*topics, bootstrap_servers=bus.servers, group_id=group,
                                       enable_auto_commit=False, auto_offset_reset="earliest",
                                       session_timeout_ms=s.kafka_session_timeout_ms,
                                       heartbeat_interval_ms=s.kafka_heartbeat_ms,
                                       max_poll_interval_ms=30 * 60 * 1000)

    def poll(self, timeout_s: float = 1.0, max_messages: int = 16) -> list[Message]:
        batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_messages)
        out = [Message(r.topic, r.partition, r.offset, (r.key or b"").decode(errors="replace"), r.value)
               for records in batches.values() for r in records]
        return sorted(out, key=lambda m: (m.topic, m.partition, m.offset))

    def commit(self, message: Message) -> None:
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        self._consumer.commit({TopicPartition(message.topic, message.partition):
                               OffsetAndMetadata(message.offset + 1, "", -1)})

    def close(self) -> None:
        self._consumer.close()


def open_bus(url: str, settings: InfraSettings | None = None) -> Bus:
    """``memory://`` or ``kafka://host:port[,host:port]``."""
    parsed = urlparse(url)
    if parsed.scheme == "memory":
        return MemoryBus()
    if parsed.scheme == "kafka":
        servers = [s for s in parsed.netloc.split(",") if s]
        if not servers:
            raise BusError("a Kafka URL names its brokers: kafka://host:9092", url)
        return KafkaBus(servers, settings)
    raise BusError(f"unknown bus scheme {parsed.scheme!r}", url, "use memory:// or kafka://host:port")
