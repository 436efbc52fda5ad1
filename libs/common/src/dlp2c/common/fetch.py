"""An HTTP GET with a size cap read as it streams and a timeout, and errors that say what happened."""

from __future__ import annotations

import urllib.error
import urllib.request

from dlp2c.common.errors import Dlp2cError

USER_AGENT = "dlp2c/0.1 (deep-learning papers to code)"


class FetchError(Dlp2cError):
    code = "fetch_failed"


def get_bytes(url: str, max_bytes: int, timeout_s: float,
              opener: urllib.request.OpenerDirector | None = None) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=timeout_s) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"the answer has {int(declared):,} bytes, more than {max_bytes:,}", url,
                                 code="too_large")
            data = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"the server answered {exc.code} {exc.reason}", url) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(f"cannot fetch: {exc}", url) from exc
    if len(data) > max_bytes:
        raise FetchError(f"the answer is larger than {max_bytes:,} bytes", url, code="too_large")
    return data
