"""A reader for protobuf text format (what Caffe's .prototxt files are), schema-free.

Reading without Caffe's schema lets one reader take BVLC Caffe, its V1 ``layers {}`` syntax and the
forks' extra fields (``ceil_mode``), and lets the importer name an unknown field instead of failing
in a generated parser. Values keep their source line for error messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dlp2c.common.errors import ModelImportError

_TOKEN = re.compile(
    r"""(?P<ws>\s+|\#[^\n]*)
      | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<num>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?[fF]?(?![A-Za-z_]))
      | (?P<ident>[-+]?[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<punct>[{}<>\[\]:,;])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
MAX_DEPTH = 64


@dataclass
class Message:
    """An ordered list of (field, value); a value is a scalar or a nested Message."""

    fields: list[tuple[str, Any]] = field(default_factory=list)
    line: int = 0

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self.fields:
            if k == key:
                return v
        return default

    def all(self, key: str) -> list[Any]:
        return [v for k, v in self.fields if k == key]

    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for k, _ in self.fields:
            seen.setdefault(k)
        return list(seen)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __contains__(self, key: str) -> bool:
        return any(k == key for k, _ in self.fields)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    line: int


def _tokens(text: str, source: str) -> Iterator[_Tok]:
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ModelImportError(f"unexpected character {text[pos]!r}", f"{source}:{line}")
        kind = m.lastgroup or ""
        if kind != "ws":
            yield _Tok(kind, m.group(), line)
        line += m.group().count("\n")
        pos = m.end()


def _scalar(tok: _Tok) -> Any:
    if tok.kind == "str":
        body = tok.text[1:-1]
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)
    if tok.kind == "num":
        raw = tok.text.rstrip("fF")
        return float(raw) if any(c in raw for c in ".eE") else int(raw)
    lowered = tok.text.lower()
    if lowered in ("true", "t"):
        return True
    if lowered in ("false", "f"):
        return False
    if lowered in ("inf", "infinity", "-inf", "-infinity", "nan"):
        return float(lowered.replace("infinity", "inf"))
    return tok.text  # an enum identifier such as MAX or TEST


def parse(text: str, source: str = "prototxt") -> Message:
    """Parse a whole text-format message; errors name the line."""
    toks = list(_tokens(text, source))
    pos = 0

    def where(i: int) -> str:
        return f"{source}:{toks[min(i, len(toks) - 1)].line}" if toks else source

    def message(close: str | None, depth: int, line: int) -> Message:
        nonlocal pos
        if depth > MAX_DEPTH:
            raise ModelImportError(f"messages nested deeper than {MAX_DEPTH}", where(pos))
        msg = Message(line=line)
        while True:
            if pos >= len(toks):
                if close is None:
                    return msg
                raise ModelImportError(f"missing {close!r} before the end of the file", where(pos))
            tok = toks[pos]
            if close is not None and tok.text == close:
                pos += 1
                return msg
            if tok.kind != "ident":
                raise ModelImportError(f"expected a field name, got {tok.text!r}", where(pos))
            name, pos = tok.text, pos + 1
            has_colon = pos < len(toks) and toks[pos].text == ":"
            if has_colon:
                pos += 1
            if pos >= len(toks):
                raise ModelImportError(f"field {name!r} has no value", where(pos))
            nxt = toks[pos]
            if nxt.text in ("{", "<"):
                pos += 1
                msg.fields.append((name, message("}" if nxt.text == "{" else ">", depth + 1, nxt.line)))
            elif nxt.text == "[" and has_colon:
                pos += 1
                while toks[pos].text != "]":
                    msg.fields.append((name, _scalar(toks[pos])))
                    pos += 1
                    if toks[pos].text == ",":
                        pos += 1
                pos += 1
            elif has_colon and nxt.kind in ("str", "num", "ident"):
                value = _scalar(nxt)
                pos += 1
                while nxt.kind == "str" and pos < len(toks) and toks[pos].kind == "str":  # "a" "b" concatenates
                    value += _scalar(toks[pos])
                    pos += 1
                msg.fields.append((name, value))
            else:
                raise ModelImportError(f"field {name!r} has no value (got {nxt.text!r})", where(pos))
            if pos < len(toks) and toks[pos].text in (",", ";"):
                pos += 1

    return message(None, 0, 1)
