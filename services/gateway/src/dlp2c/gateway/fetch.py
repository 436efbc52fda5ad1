"""Fetching a PDF named by a URL or an arXiv id, within limits.

The URL comes from a user: only http(s), no credentials in it, a size cap read as it streams, a
timeout, and no private, loopback or link-local address (so the gateway cannot be used to reach
inside the cluster) unless the settings allow them.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import urllib.request
from urllib.parse import urlparse

from dlp2c.common.fetch import FetchError, get_bytes

ARXIV_ID = re.compile(r"^(?:arXiv:)?((?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?)$", re.IGNORECASE)


def arxiv_url(arxiv_id: str, template: str) -> str:
    match = ARXIV_ID.match(arxiv_id.strip())
    if not match:
        raise FetchError(f"{arxiv_id[:60]!r} is not an arXiv id", "arxiv_id", "like 1409.1556 or cs/0112017",
                         code="bad_url")
    return template.replace("{id}", match.group(1))


def check_callback(url: str, allow_private: bool) -> None:
    """A callback URL is POSTed to by the workers: http(s), no credentials, a public address."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise FetchError("callback_url must be an http(s) URL", "callback_url", code="bad_submission")
    if parsed.username or parsed.password:
        raise FetchError("a callback URL with credentials in it is refused", "callback_url", code="bad_submission")
    try:
        _check_host(parsed.hostname, allow_private)
    except FetchError as exc:
        raise FetchError(exc.message, "callback_url", exc.hint, code="bad_submission") from exc


def _check_host(host: str, allow_private: bool) -> None:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host!r}: {exc}", "url", code="bad_url") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not allow_private and (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                                  or ip.is_multicast or ip.is_unspecified):
            raise FetchError(f"{host!r} resolves to a non-public address", "url",
                             "submit the PDF itself, or set DLP2C_ALLOW_PRIVATE_URLS for a lab mirror", code="bad_url")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Each redirect's target passes the same checks as the URL given."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        parsed = urlparse(newurl)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise FetchError("redirected to a URL that is not http(s)", newurl)
        _check_host(parsed.hostname, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_pdf(url: str, max_bytes: int, timeout_s: float, allow_private: bool = False) -> bytes:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise FetchError("only http and https URLs can be fetched", "url", code="bad_url")
    if parsed.username or parsed.password:
        raise FetchError("a URL with credentials in it is refused", "url", code="bad_url")
    _check_host(parsed.hostname, allow_private)
    return get_bytes(url, max_bytes, timeout_s, urllib.request.build_opener(_CheckedRedirects(allow_private)))
