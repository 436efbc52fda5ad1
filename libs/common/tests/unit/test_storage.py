"""The file store: keys that stay inside it, atomic writes, listing; URLs choose the store."""

from pathlib import Path

import pytest
from dlp2c.common.storage import FileStorage, StorageError, check_key, open_storage


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "a\\b", "a/./b", "",
                                 "x\x00y", "name with space", "a/b/", "~/.ssh/id_rsa", "C:/x"])
def test_keys_that_could_leave_the_store_are_refused(key: str) -> None:
    with pytest.raises(StorageError, match="key"):
        check_key(key)


def test_put_get_exists_list(tmp_path: Path) -> None:
    store = FileStorage(tmp_path / "s")
    store.put("models/shard-0000/m000001/graph.json", b"{}")
    store.put("models/shard-0000/m000001/keras.png", b"\x89PNG")
    store.put("card.json", b"[]")
    assert store.get("models/shard-0000/m000001/graph.json") == b"{}"
    assert store.exists("card.json") and not store.exists("nope.json")
    assert sorted(store.list("models/")) == ["models/shard-0000/m000001/graph.json",
                                            "models/shard-0000/m000001/keras.png"]
    assert len(list(store.list())) == 3
    assert not list((tmp_path / "s").rglob(".tmp-*"))  # no temporary files left behind
    with pytest.raises(StorageError, match="no such object"):
        store.get("models/missing.json")
    with pytest.raises(StorageError):
        store.put("../outside.txt", b"x")
    assert not (tmp_path / "outside.txt").exists()


def test_urls_choose_the_store(tmp_path: Path) -> None:
    assert isinstance(open_storage(tmp_path / "a"), FileStorage)
    assert open_storage(f"file://{tmp_path}/b").root == tmp_path / "b"
    with pytest.raises(StorageError, match="unknown storage scheme 'ftp'"):
        open_storage("ftp://host/x")
    with pytest.raises(StorageError, match="names its bucket"):
        open_storage("s3:///prefix")
