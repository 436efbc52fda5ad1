"""Crawling arXiv: page through the API's answer for a query and date range, fetch each new paper's
PDF and submit it to the pipeline.

Polite: one request (API page or PDF) per ``arxiv_delay_s``. Resumable: the next page's offset is saved
in the database after every page, so a crawl stopped anywhere starts again where it was. De-duplicated:
a paper (its id without version) is submitted once across every crawl; a PDF that fails is recorded
with the reason and tried again by the next crawl.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlparse

from dlp2c.common.db import Database, Submission
from dlp2c.common.errors import Dlp2cError
from dlp2c.common.fetch import get_bytes
from dlp2c.crawler.arxiv import Entry, parse_feed, query_url
from dlp2c.crawler.settings import CrawlerSettings

log = logging.getLogger("dlp2c.crawler")
Submit = Callable[[bytes, str], Submission]


@dataclass
class CrawlReport:
    crawl_id: str
    total: int = 0
    pages: int = 0
    submitted: list[str] = field(default_factory=list)  # arXiv ids sent to the pipeline this time
    skipped: int = 0  # seen before (this crawl or another)
    failed: dict[str, str] = field(default_factory=dict)  # arXiv id -> reason
    done: bool = False


class Crawler:
    def __init__(self, db: Database, submit: Submit, settings: CrawlerSettings | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.db, self.submit, self.settings = db, submit, settings or CrawlerSettings()
        self.sleep, self.clock = sleep, clock
        self._last_request: float | None = None

    def _polite_get(self, url: str, max_bytes: int) -> bytes:
        if self._last_request is not None:
            wait = self.settings.arxiv_delay_s - (self.clock() - self._last_request)
            if wait > 0:
                self.sleep(wait)
        try:
            return get_bytes(url, max_bytes, self.settings.fetch_timeout_s)
        finally:
            self._last_request = self.clock()

    def _pdf_url(self, entry: Entry) -> str:
        if self.settings.arxiv_pdf_url:
            return self.settings.arxiv_pdf_url.replace("{id}", entry.arxiv_id + entry.version)
        host = urlparse(entry.pdf_url).hostname or ""
        if not (host == "arxiv.org" or host.endswith(".arxiv.org")):
            raise Dlp2cError(f"the feed's PDF link points off arXiv ({host or 'no host'})", entry.arxiv_id,
                             code="bad_feed")
        return entry.pdf_url

    def crawl(self, query: str, since: date | None = None, until: date | None = None,
              max_papers: int | None = None, max_pages: int | None = None,
              on_paper: Callable[[CrawlReport], None] | None = None) -> CrawlReport:
        key = f"{query}\0{since}\0{until}"
        crawl_id = hashlib.sha256(key.encode()).hexdigest()[:32]
        state = self.db.crawl(crawl_id, f"{query} [{since or ''} .. {until or ''}]")
        report = CrawlReport(crawl_id, total=state["total"] or 0)
        start = state["start"]
        while True:
            if max_pages is not None and report.pages >= max_pages:
                break
            url = query_url(self.settings.arxiv_api_url, query, start, self.settings.arxiv_page_size, since, until)
            page = parse_feed(self._polite_get(url, 50 * 1024 * 1024))
            report.pages += 1
            report.total = page.total
            for entry in page.entries:
                if max_papers is not None and len(report.submitted) >= max_papers:
                    break
                self._one(entry, crawl_id, report)
                if on_paper is not None:
                    on_paper(report)
            if max_papers is not None and len(report.submitted) >= max_papers:
                break  # this page is not finished: the next crawl reads it again (seen papers are skipped)
            start += len(page.entries)
            finished = not page.entries or start >= page.total
            self.db.save_crawl(crawl_id, start=start, total=page.total, status="done" if finished else "running",
                               submitted=state["submitted"] + len(report.submitted))
            if finished:
                report.done = True
                break
        return report

    def _one(self, entry: Entry, crawl_id: str, report: CrawlReport) -> None:
        seen = self.db.crawled(entry.arxiv_id)
        if seen is not None and seen["status"] == "submitted":
            report.skipped += 1
            return
        try:
            pdf = self._polite_get(self._pdf_url(entry), self.settings.max_pdf_bytes)
            submission = self.submit(pdf, f"arxiv:{entry.arxiv_id}{entry.version}")
        except Dlp2cError as exc:
            report.failed[entry.arxiv_id] = str(exc)
            self.db.mark_crawled(entry.arxiv_id, crawl_id, "", "failed", str(exc))
            log.warning("arXiv %s not submitted: %s", entry.arxiv_id, exc)
            return
        self.db.mark_crawled(entry.arxiv_id, crawl_id, submission.paper_id, "submitted")
        report.submitted.append(entry.arxiv_id)
