"""What one paper may cost, and the error a paper gets when it asks for more.

A service splits thousands of papers from the open web; one hostile or broken file must cost a
bounded amount of memory and time and come back as an error with a stable code, never take the
process down.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlp2c.common.errors import Dlp2cError


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100 * 1024 * 1024  # a paper PDF is rarely over 30 MB
    max_pages: int = 300
    seconds_per_page: float = 20.0
    max_page_inches: float = 60.0  # a page side; A0 is 46.8 inches
    max_image_pixels: int = 150_000_000  # a declared image size above this is a decompression bomb
    dpi: int = 200


class SplitError(Dlp2cError):
    """The PDF cannot be split. Codes: not_pdf, empty, too_large, too_many_pages, encrypted, corrupt,
    page_too_large, image_bomb, timeout, crashed, output (the output folder cannot be written)."""

    code = "split"
