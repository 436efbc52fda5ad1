"""Splitting in a child process: one hostile PDF costs bounded time and memory, never the service.

pdfium (every page) and camelot's pdfminer (ruled tables) parse untrusted bytes, native and pure
Python; neither can be interrupted from inside. The child has an address-space limit; the parent
waits for at most ``seconds_per_page`` per page (plus start-up) and kills the child when the time
is up.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import resource
import time
from pathlib import Path
from typing import Any

from dlp2c.splitter.document import check_file
from dlp2c.splitter.limits import Limits, SplitError
from dlp2c.splitter.split import Split, split

MEMORY_LIMIT = 6 * 2**30
STARTUP_SECONDS = 30.0
# Children fork from a server process that has imported the splitter (and camelot, 1.5 s of pandas and
# OpenCV) once, instead of each paper's child importing them again; the server holds no state of ours.
CONTEXT = mp.get_context("forkserver")
CONTEXT.set_forkserver_preload(["dlp2c.splitter.split", "camelot"])


def _child(path: str, out: str | None, limits: Limits, answers: Any) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        answers.put({"ok": split(path, out, limits).to_json()})
    except SplitError as exc:
        answers.put({"error": exc.to_dict()})
    except MemoryError:
        answers.put({"error": {"code": "too_much_memory", "message": f"splitting needed more than "
                                                                      f"{MEMORY_LIMIT / 2**30:.0f} GiB"}})
    except Exception as exc:  # a parser's own failure on a malformed file
        answers.put({"error": {"code": "corrupt", "message": f"the PDF could not be parsed: "
                                                             f"{type(exc).__name__}: {exc}"[:500]}})


def split_isolated(path: Path | str, out: Path | str | None = None, limits: Limits | None = None) -> Split:
    """:func:`split` in a child process under ``limits``; raises SplitError (with its code) on failure."""
    limits = limits or Limits()
    path = Path(path)
    pages = check_file(path, limits)  # cheap checks in the parent: a clear error without a child
    budget = STARTUP_SECONDS + limits.seconds_per_page * pages
    answers = CONTEXT.Queue()
    child = CONTEXT.Process(target=_child, args=(str(path), None if out is None else str(out), limits, answers),
                            daemon=True)
    child.start()
    deadline = time.monotonic() + budget
    answer = None
    try:
        while answer is None and time.monotonic() < deadline:
            try:
                answer = answers.get(timeout=min(0.25, max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                if not child.is_alive():
                    try:
                        answer = answers.get(timeout=1.0)
                    except queue.Empty:
                        break
    finally:
        timed_out = answer is None and child.is_alive()
        if timed_out:
            child.kill()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()
    if timed_out:
        raise SplitError(f"splitting took longer than {budget:.0f} s ({limits.seconds_per_page:.0f} s per page)",
                         str(path), code="timeout")
    if answer is None:
        raise SplitError(f"the splitter stopped (exit code {child.exitcode}) on this PDF", str(path), code="crashed")
    if "error" in answer:
        error = answer["error"]
        raise SplitError(error["message"], error.get("where", str(path)), error.get("hint", ""), code=error["code"])
    return Split.from_json(answer["ok"])
