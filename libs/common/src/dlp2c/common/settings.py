"""Where the pipeline's infrastructure lives, chosen by URL, embedded by default.

    DLP2C_STORAGE_URL  file://./data (a folder)       or s3://bucket/prefix (MinIO)
    DLP2C_BUS_URL      memory:// (in this process)     or kafka://host:9092[,host2:9092]
    DLP2C_DB_URL       sqlite:///./data/dlp2c.sqlite   or postgresql://user@host:5432/db

The same services run on either set: only these settings change, never the code.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class InfraSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DLP2C_")

    storage_url: str = "file://./data"
    bus_url: str = "memory://"
    db_url: str = "sqlite:///./data/dlp2c.sqlite"
    # Workers: how often a failing message is tried before it goes to the dead-letter topic, and the
    # first back-off (doubled on every try).
    max_attempts: int = 4
    backoff_s: float = 0.5
    # Kafka consumer group timings (Tansu and Kafka both honour them; a join takes about half the
    # session timeout).
    kafka_session_timeout_ms: int = 6000
    kafka_heartbeat_ms: int = 2000
    kafka_partitions: int = 3
