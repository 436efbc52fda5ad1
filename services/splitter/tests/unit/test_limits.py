"""Bad input: each kind of broken or hostile PDF gets its own error code; nothing crashes or hangs."""

from __future__ import annotations

import random
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from dlp2c.common.errors import Dlp2cError
from dlp2c.splitter import isolate, sample
from dlp2c.splitter.isolate import split_isolated
from dlp2c.splitter.limits import Limits, SplitError
from dlp2c.splitter.split import Split, split
from pypdf import PdfReader, PdfWriter


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample.write_sample(tmp_path_factory.mktemp("paper") / "tinynet.pdf")


def _code(path: Path, limits: Limits | None = None) -> str:
    with pytest.raises(SplitError) as caught:
        split(path, limits=limits)
    assert str(path) in str(caught.value)  # the error says where
    return caught.value.code


def test_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_text("<html>not a paper</html>")
    assert _code(path) == "not_pdf"


def test_empty_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert _code(path) == "empty"
    assert _code(tmp_path / "missing.pdf") == "not_pdf"


def test_too_large_and_too_many_pages(good: Path) -> None:
    assert _code(good, Limits(max_bytes=1000)) == "too_large"
    assert _code(good, Limits(max_pages=1)) == "too_many_pages"


def test_encrypted(good: Path, tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(good))
    writer.encrypt(user_password="secret", owner_password="owner")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert _code(path) == "encrypted"


def test_huge_page(tmp_path: Path) -> None:
    path = tmp_path / "poster.pdf"
    fig = plt.figure(figsize=(100, 4))
    fig.savefig(path)
    plt.close(fig)
    assert _code(path) == "page_too_large"


def test_garbage_after_header(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(random.Random(0).randrange(256) for _ in range(5000)))
    assert _code(path) == "corrupt"


def test_isolated_split_matches_in_process(good: Path, tmp_path: Path) -> None:
    inside = split(good)
    outside = split_isolated(good, tmp_path)
    assert [t.grid() for t in outside.tables] == [t.grid() for t in inside.tables]
    assert (tmp_path / "manifest.json").is_file()


def test_isolated_split_brings_back_the_childs_error(good: Path, tmp_path: Path) -> None:
    # The parent's checks pass (a good PDF); the child fails, on an output folder it cannot create.
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(SplitError) as caught:
        split_isolated(good, blocked / "out")
    assert caught.value.code == "output" and caught.value.where == str(blocked / "out")
    assert "cannot write the output folder" in caught.value.message


def test_isolated_split_is_killed_when_its_time_is_up(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolate, "STARTUP_SECONDS", 0.0)
    with pytest.raises(SplitError) as caught:
        split_isolated(good, limits=Limits(seconds_per_page=0.0))  # no time at all: the child is killed
    assert caught.value.code == "timeout"


def _mutate(data: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(5)
    buf = bytearray(data)
    if kind == 0:  # truncate
        return bytes(buf[: rng.randrange(16, len(buf))])
    if kind == 1:  # flip bytes
        for _ in range(rng.randrange(1, 40)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        return bytes(buf)
    if kind == 2:  # duplicate a chunk
        a = rng.randrange(len(buf))
        b = min(len(buf), a + rng.randrange(1, 4000))
        return bytes(buf[:b] + buf[a:b] + buf[b:])
    if kind == 3:  # delete a chunk
        a = rng.randrange(len(buf))
        return bytes(buf[:a] + buf[a + rng.randrange(1, 2000):])
    # rewrite a number (object offsets, lengths, sizes)
    text = bytes(buf)
    digits = [i for i in range(len(text) - 1) if text[i:i + 1].isdigit()]
    for i in rng.sample(digits, min(10, len(digits))):
        buf[i] = ord(str(rng.randrange(10)))
    return bytes(buf)


def test_fuzz_500_mutated_pdfs(good: Path, tmp_path: Path) -> None:
    data = good.read_bytes()
    rng = random.Random(20261125)
    outcomes = {"result": 0, "error": 0}
    limits = Limits(seconds_per_page=20)
    for k in range(500):
        path = tmp_path / f"m{k}.pdf"
        path.write_bytes(_mutate(data, rng))
        try:
            result = split(path, limits=limits)
        except Dlp2cError as exc:
            assert exc.code in {"not_pdf", "empty", "corrupt", "encrypted", "page_too_large", "image_bomb"}, exc
            assert exc.message
            outcomes["error"] += 1
        else:
            assert isinstance(result, Split)
            outcomes["result"] += 1
    assert outcomes["result"] + outcomes["error"] == 500
    assert outcomes["result"] > 0 and outcomes["error"] > 0  # the mutations reach both outcomes
