"""The S3 store through the minio client against a real S3-protocol server on loopback, and the
simulator writing its dataset there with no code change, only the URL."""

import json

import pytest
from dlp2c.common.storage import S3Storage, StorageError, StorageSettings, open_storage
from dlp2c.simulator.card import write_card
from dlp2c.simulator.dataset import Options, model_key, read_metas, simulate

pytestmark = pytest.mark.connected


def test_put_get_exists_list_under_a_prefix(s3_settings: StorageSettings) -> None:
    store = open_storage("s3://artifacts/run-1", s3_settings)
    assert isinstance(store, S3Storage) and store.url == "s3://artifacts/run-1"
    store.put("models/shard-0000/m000000/graph.json", b'{"a": 1}', "application/json")
    store.put("models/shard-0000/m000000/keras.png", b"\x89PNG" + bytes(5000))
    store.put("card.json", b"{}")
    assert store.get("models/shard-0000/m000000/graph.json") == b'{"a": 1}'
    assert store.exists("card.json") and not store.exists("nothing")
    assert sorted(store.list("models/")) == ["models/shard-0000/m000000/graph.json",
                                            "models/shard-0000/m000000/keras.png"]
    assert sorted(store.list()) == ["card.json", *sorted(store.list("models/"))]
    other = open_storage("s3://artifacts/run-2", s3_settings)
    assert list(other.list()) == []  # prefixes keep runs apart
    with pytest.raises(StorageError, match="no such object"):
        store.get("models/missing.json")
    with pytest.raises(StorageError, match="key"):
        store.put("../run-2/escape", b"x")


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="cannot reach the S3 store") as caught:
        open_storage("s3://x", StorageSettings(s3_endpoint="127.0.0.1:9", s3_region="us-east-1"))
    assert "DLP2C_S3_ENDPOINT" in str(caught.value)


def test_the_simulator_writes_and_resumes_in_s3(s3_settings: StorageSettings, monkeypatch) -> None:
    for name, value in s3_settings.model_dump().items():
        monkeypatch.setenv(f"DLP2C_{name.upper()}", str(value))
    url = "s3://datasets/sim"
    options = Options(n=3, seed=11, styles=("keras", "caffe"), negatives=1)
    run = simulate(url, options, workers=1)
    assert len(run.metas) == 4 and not [m for m in run.metas if "error" in m]
    store = open_storage(url)
    meta = json.loads(store.get(f"{model_key(1)}/meta.json"))
    assert store.get(f"{model_key(1)}/{meta['images'][0]['file']}")[:2] in (b"\x89P", b"\xff\xd8")
    card = write_card(store, read_metas(store), options)
    assert card["models"] == 3 and card["negatives"] == 1
    assert simulate(url, options, workers=1).skipped == 4  # resumed: nothing left to do
