"""The arXiv API's answer (an Atom feed) read into entries, and the query for a date range.

The feed comes from the network: it is parsed as data (no external entities; Python's expat refuses
entity expansion bombs), and only the fields we need are kept.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from dlp2c.common.errors import Dlp2cError

ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_ID = re.compile(r"arxiv\.org/abs/(.+?)(v\d+)?$")


class FeedError(Dlp2cError):
    code = "bad_feed"
    transient = True  # an API that answered badly may answer well on the next try


@dataclass(frozen=True)
class Entry:
    arxiv_id: str  # without version: one paper however often revised
    version: str  # "v6", or "" when the feed gives none
    title: str
    published: str
    pdf_url: str


@dataclass(frozen=True)
class Page:
    total: int
    start: int
    entries: list[Entry]


def query_url(api: str, query: str, start: int, size: int, since: date | None = None,
              until: date | None = None) -> str:
    search = query
    if since or until:
        low = (since or date(1991, 1, 1)).strftime("%Y%m%d") + "0000"
        high = (until or date(2100, 1, 1)).strftime("%Y%m%d") + "2359"
        search = f"({query}) AND submittedDate:[{low} TO {high}]"
    return api + "?" + urlencode({"search_query": search, "start": start, "max_results": size,
                                  "sortBy": "submittedDate", "sortOrder": "ascending"})


def parse_feed(xml: bytes) -> Page:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise FeedError(f"the arXiv API answered with something that is not an Atom feed: {exc}") from exc
    if root.tag != f"{ATOM}feed":
        raise FeedError(f"expected an Atom feed, got <{root.tag}>")
    total = int(root.findtext(f"{OPENSEARCH}totalResults", "0") or 0)
    start = int(root.findtext(f"{OPENSEARCH}startIndex", "0") or 0)
    entries = []
    for item in root.findall(f"{ATOM}entry"):
        match = _ID.search((item.findtext(f"{ATOM}id") or "").strip())
        if not match:  # an API error is itself an entry, without an abs id
            continue
        pdf = next((link.get("href", "") for link in item.findall(f"{ATOM}link")
                    if link.get("title") == "pdf" or link.get("type") == "application/pdf"), "")
        title = " ".join((item.findtext(f"{ATOM}title") or "").split())
        entries.append(Entry(match.group(1), match.group(2) or "", title[:500],
                             (item.findtext(f"{ATOM}published") or "").strip(), pdf))
    return Page(total, start, entries)
