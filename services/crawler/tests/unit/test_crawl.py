"""The crawler against a local server that answers in the arXiv API's format and serves real papers'
PDFs from ../shared/realdata: paging, the polite delay, de-duplication, resuming, bad answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

import pytest
from dlp2c.common.db import Database, Submission
from dlp2c.common.errors import Dlp2cError
from dlp2c.crawler.arxiv import FeedError, parse_feed, query_url
from dlp2c.crawler.crawl import Crawler
from dlp2c.crawler.settings import CrawlerSettings

PAPERS = {"1409.1556": "1409.1556.pdf", "1502.01852": "1502.01852v1.pdf", "1511.05952": "1511.05952v4.pdf",
          "1411.4389": "1411.4389.pdf", "1706.03762": "1706.03762v7.pdf"}
# the feed lists 1409.1556 twice (v6, then v5 on a later page): one paper, submitted once
FEED = [("1409.1556", "v6"), ("1502.01852", "v1"), ("1511.05952", "v4"), ("1409.1556", "v5"), ("1411.4389", "v3"),
        ("1706.03762", "v7"), ("9999.99999", "v1")]  # the last one's PDF is missing on the server


def _feed(entries: list[tuple[str, str]], start: int, total: int, base: str) -> bytes:
    items = "".join(
        f"<entry><id>http://arxiv.org/abs/{i}{v}</id><title>Paper &amp; {escape(i)}</title>"
        f"<published>2015-01-01T00:00:00Z</published>"
        f"<link title=\"pdf\" href=\"{base}/pdf/{i}{v}\" rel=\"related\" type=\"application/pdf\"/></entry>"
        for i, v in entries)
    return (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            f'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><opensearch:totalResults>{total}'
            f"</opensearch:totalResults><opensearch:startIndex>{start}</opensearch:startIndex>{items}</feed>").encode()


class ArxivLike(BaseHTTPRequestHandler):
    papers_dir: Path
    queries: list[dict] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/api/query":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            ArxivLike.queries.append(query)
            start, size = int(query["start"]), int(query["max_results"])
            base = f"http://127.0.0.1:{self.server.server_port}"
            body = _feed(FEED[start:start + size], start, len(FEED), base)
            self._send(200, body, "application/atom+xml")
        elif url.path.startswith("/pdf/"):
            paper = url.path[5:].rsplit("v", 1)[0]
            name = PAPERS.get(paper)
            if name is None:
                self._send(404, b"no such paper", "text/plain")
            else:
                self._send(200, (self.papers_dir / name).read_bytes(), "application/pdf")
        else:
            self._send(404, b"", "text/plain")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def arxiv(realdata: Path) -> Iterator[str]:
    ArxivLike.papers_dir = realdata / "papers"
    ArxivLike.queries = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ArxivLike)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class Recorder:
    """The pipeline's submit, recording what arrives (the PDFs are real: they must start with %PDF)."""

    def __init__(self) -> None:
        self.sources: list[str] = []

    def __call__(self, pdf: bytes, source: str) -> Submission:
        assert pdf.startswith(b"%PDF-")
        self.sources.append(source)
        return Submission(f"job-{len(self.sources)}", f"{len(self.sources):064d}", "t", True)


def _crawler(tmp_path: Path, base: str, waits: list[float], mirror: bool = True) -> tuple[Crawler, Recorder, Database]:
    db = Database(f"sqlite:///{tmp_path / 'crawl.sqlite'}")
    recorder = Recorder()
    settings = CrawlerSettings(arxiv_api_url=base + "/api/query", arxiv_page_size=3, arxiv_delay_s=0.05,
                               arxiv_pdf_url=base + "/pdf/{id}" if mirror else "")
    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    crawler = Crawler(db, recorder, settings, sleep=sleep)
    return crawler, recorder, db


def test_a_crawl_pages_submits_each_paper_once_and_records_failures(arxiv: str, tmp_path: Path) -> None:
    waits: list[float] = []
    crawler, recorder, db = _crawler(tmp_path, arxiv, waits)
    report = crawler.crawl("cat:cs.CV", date(2014, 1, 1), date(2018, 12, 31))
    assert report.done and report.pages == 3 and report.total == 7
    assert recorder.sources == ["arxiv:1409.1556v6", "arxiv:1502.01852v1", "arxiv:1511.05952v4",
                                "arxiv:1411.4389v3", "arxiv:1706.03762v7"]
    assert report.skipped == 1 and list(report.failed) == ["9999.99999"] and "404" in report.failed["9999.99999"]
    assert db.crawled("9999.99999")["status"] == "failed"
    assert [int(q["start"]) for q in ArxivLike.queries] == [0, 3, 6]
    assert "submittedDate:[201401010000 TO 201812312359]" in ArxivLike.queries[0]["search_query"]
    assert waits and all(w <= 0.05 for w in waits)  # every request after the first waited its turn
    again = crawler.crawl("cat:cs.CV", date(2014, 1, 1), date(2018, 12, 31))
    # a finished crawl asks once for what came after its last page, and submits nothing again
    assert again.done and again.pages == 1 and again.submitted == [] and len(recorder.sources) == 5
    assert int(ArxivLike.queries[-1]["start"]) == 7


def test_a_stopped_crawl_goes_on_where_it_stopped(arxiv: str, tmp_path: Path) -> None:
    crawler, recorder, _ = _crawler(tmp_path, arxiv, [])
    first = crawler.crawl("cat:cs.LG", max_pages=1)
    assert not first.done and len(recorder.sources) == 3
    rest = crawler.crawl("cat:cs.LG")
    assert rest.done and [int(q["start"]) for q in ArxivLike.queries] == [0, 3, 6]
    assert len(recorder.sources) == 5 and rest.skipped == 1


def test_pdf_links_off_arxiv_are_refused(arxiv: str, tmp_path: Path) -> None:
    crawler, recorder, _ = _crawler(tmp_path, arxiv, [], mirror=False)  # the feed links 127.0.0.1, not arxiv.org
    report = crawler.crawl("cat:cs.AI", max_pages=1)
    assert recorder.sources == [] and all("off arXiv" in r for r in report.failed.values())


def test_bad_feeds_are_clear_errors() -> None:
    with pytest.raises(FeedError, match="not an Atom feed"):
        parse_feed(b"<html>rate limited</html")
    with pytest.raises(FeedError, match="expected an Atom feed"):
        parse_feed(b"<html/>")
    page = parse_feed(_feed([("1409.1556", "")], 0, 1, "https://arxiv.org"))
    assert page.entries[0].arxiv_id == "1409.1556" and page.entries[0].version == ""
    assert page.entries[0].title == "Paper & 1409.1556"
    url = query_url("https://export.arxiv.org/api/query", "all:cnn", 100, 50)
    assert "start=100" in url and "max_results=50" in url
    assert isinstance(FeedError("x"), Dlp2cError) and FeedError.transient
