"""Graphviz in a long-lived helper process, driven through libgvc, so a drawing costs no process start.

Spawning ``dot`` costs about 28 ms before any work (it loads its plugin table each time), and cairo's
PNG writer is the slowest step of a render; at 216,000 images both matter. The helper keeps one
Graphviz context, lays a graph out once, picks the DPI that keeps the image within a pixel budget,
renders the positioned graph (engine ``nop2``, so no second layout) through gd's GIF writer (lossless
for these drawings, which have far fewer than 256 colours) and sends the bytes back.

Graphviz aborts the whole process on some inputs (2.43's orthogonal router: ``Trapezoid-table
overflow``), so it runs in a child: the parent sees the child die, starts a new one and reports the
failure; a child that takes too long is killed the same way.
"""

from __future__ import annotations

import json
import os
import re
import select
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from dlp2c.common.errors import Dlp2cError

_HEADER = struct.Struct("<I")


class GraphvizError(Dlp2cError):
    code = "graphviz"


@dataclass(frozen=True)
class Drawn:
    data: bytes  # the encoded image
    dpi: float  # the DPI it was drawn at
    points: tuple[float, float]  # the layout's bounding box, in points
    # where each node was drawn: (DOT name, box in image pixels x0, y0, x1, y1), and the DOT's edges
    nodes: tuple[tuple[str, tuple[float, float, float, float]], ...] = ()
    edges: tuple[tuple[str, str], ...] = ()


def _dpi_for(bb: tuple[float, float], dpi: float, max_pixels: float, min_dpi: float) -> float:
    """``dpi``, lowered until the drawing fits ``max_pixels`` but never below ``min_dpi``."""
    pad = 8.0  # Graphviz's default margin, 4 points each side
    width_in, height_in = (max(bb[0], 1.0) + pad) / 72.0, (max(bb[1], 1.0) + pad) / 72.0
    fits = (max_pixels / (width_in * height_in)) ** 0.5
    cap = min(32000.0 / width_in, 32000.0 / height_in)  # Graphviz caps a side at 32,767 px
    return min(dpi, max(fits, min_dpi), cap)


def _with_dpi(positioned: str, dpi: float) -> str:
    """The positioned DOT drawn at ``dpi``: a graph attribute set last wins over any earlier one."""
    end = positioned.rindex("}")
    return f"{positioned[:end]}\tgraph [dpi={dpi:.2f}];\n{positioned[end:]}"


def _geometry(layout: dict, dpi: float) -> tuple[list, list]:
    """Node boxes in image pixels and edges by node name, from Graphviz's ``json0`` of a laid-out graph.

    Graphviz puts the layout's lower-left corner at the margin (4 points) and flips y."""
    x0, _y0, _x1, y1 = (float(v) for v in str(layout.get("bb", "0,0,0,0")).split(","))
    scale, pad = dpi / 72.0, 4.0
    objects = layout.get("objects", [])
    nodes = []
    for obj in objects:
        if "pos" not in obj or "width" not in obj:
            continue  # a subgraph, not a node
        x, y = (float(v) for v in obj["pos"].split(","))
        half_w, half_h = float(obj["width"]) * 36.0, float(obj["height"]) * 36.0  # inches -> half points
        cx, cy = (x - x0 + pad) * scale, (y1 - y + pad) * scale
        nodes.append([obj["name"], [round(cx - half_w * scale, 1), round(cy - half_h * scale, 1),
                                    round(cx + half_w * scale, 1), round(cy + half_h * scale, 1)]])
    names = {obj.get("_gvid"): obj.get("name") for obj in objects}
    edges = [[names[e["tail"]], names[e["head"]]] for e in layout.get("edges", [])
             if e.get("tail") in names and e.get("head") in names]
    return nodes, edges


# ---- the child ------------------------------------------------------------------------------------

def _child() -> None:  # pragma: no cover - runs in the helper process; exercised through Graphviz
    import ctypes
    import ctypes.util

    cgraph = ctypes.CDLL(ctypes.util.find_library("cgraph") or "libcgraph.so.6")
    gvc_lib = ctypes.CDLL(ctypes.util.find_library("gvc") or "libgvc.so.6")
    cgraph.agmemread.restype = ctypes.c_void_p
    cgraph.agmemread.argtypes = [ctypes.c_char_p]
    cgraph.agclose.argtypes = [ctypes.c_void_p]
    cgraph.agget.restype = ctypes.c_char_p
    cgraph.agget.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    gvc_lib.gvContext.restype = ctypes.c_void_p
    gvc_lib.gvLayout.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p]
    gvc_lib.gvFreeLayout.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    gvc_lib.gvRenderData.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
                                     ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_uint)]
    gvc_lib.gvFreeRenderData.argtypes = [ctypes.c_void_p]
    context = gvc_lib.gvContext()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer

    def read_graph(text: bytes) -> int:
        graph = cgraph.agmemread(text)
        if not graph:
            raise ValueError("Graphviz could not parse the DOT text")
        return graph

    def render(graph: int, fmt: bytes) -> bytes:
        data, size = ctypes.c_void_p(), ctypes.c_uint()
        if gvc_lib.gvRenderData(context, graph, fmt, ctypes.byref(data), ctypes.byref(size)) != 0:
            raise ValueError(f"Graphviz could not render {fmt.decode()}")
        try:
            return ctypes.string_at(data, size.value)
        finally:
            gvc_lib.gvFreeRenderData(data)

    def lay_out(graph: int, engine: bytes) -> None:
        if gvc_lib.gvLayout(context, graph, engine) != 0:
            raise ValueError(f"Graphviz could not lay the graph out with {engine.decode()}")

    while True:
        head = stdin.read(_HEADER.size)
        if len(head) < _HEADER.size:
            return
        request = json.loads(stdin.read(_HEADER.unpack(head)[0]))
        try:
            graph = read_graph(request["dot"].encode())
            try:
                lay_out(graph, b"dot")
                bb = [float(v) for v in re.split(r"[ ,]+", (cgraph.agget(graph, b"bb") or b"0,0,1,1").decode().strip())]
                points = (bb[2] - bb[0], bb[3] - bb[1])
                dpi = _dpi_for(points, request["dpi"], request["max_pixels"], request["min_dpi"])
                positioned = render(graph, b"dot").decode()
                gvc_lib.gvFreeLayout(context, graph)
            finally:
                cgraph.agclose(graph)
            graph = read_graph(_with_dpi(positioned, dpi).encode())
            try:
                lay_out(graph, b"nop2")
                image = render(graph, request["format"].encode())
                layout = json.loads(render(graph, b"json0"))
                gvc_lib.gvFreeLayout(context, graph)
            finally:
                cgraph.agclose(graph)
            nodes, edges = _geometry(layout, dpi)
            reply = json.dumps({"dpi": dpi, "points": points, "nodes": nodes, "edges": edges}).encode() + b"\n" + image
            status = b"+"
        except Exception as exc:  # every failure goes back to the parent as text
            reply, status = str(exc).encode(), b"-"
        stdout.write(_HEADER.pack(len(reply) + 1) + status + reply)
        stdout.flush()


# ---- the parent -----------------------------------------------------------------------------------

class Graphviz:
    """One helper process; ``draw`` lays out and renders, starting a new helper after a crash."""

    def __init__(self, timeout_s: float = 120.0, image_format: str = "gif:cairo:gd") -> None:
        self.timeout_s = timeout_s
        self.image_format = image_format
        self._proc: subprocess.Popen[bytes] | None = None
        # a file, not a pipe: Graphviz's warnings can never fill it and block the helper
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as this object
        self.crashes = 0

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._stderr.seek(0)
            self._stderr.truncate()
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from dlp2c.simulator.graphviz import _child; _child()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        return self._proc

    def close(self) -> None:
        """Stop the helper (a later ``draw`` starts a new one)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def __del__(self) -> None:
        self.close()
        self._stderr.close()

    def __enter__(self) -> Graphviz:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def draw(self, dot: str, dpi: float = 96.0, max_pixels: float = 2_000_000, min_dpi: float = 40.0) -> Drawn:
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        request = json.dumps({"dot": dot, "dpi": dpi, "max_pixels": max_pixels, "min_dpi": min_dpi,
                              "format": self.image_format}).encode()
        try:
            proc.stdin.write(_HEADER.pack(len(request)) + request)
            proc.stdin.flush()
            head = self._read(proc, _HEADER.size)
            body = self._read(proc, _HEADER.unpack(head)[0])
        except (BrokenPipeError, GraphvizError) as exc:
            reason = self._crash_reason(proc, exc)
            self.crashes += 1
            self.close()
            raise GraphvizError(reason) from None
        if body[:1] == b"-":
            raise GraphvizError(body[1:].decode(errors="replace"))
        meta, _, image = body[1:].partition(b"\n")
        info = json.loads(meta)
        return Drawn(image, info["dpi"], tuple(info["points"]),
                     tuple((name, tuple(box)) for name, box in info["nodes"]),
                     tuple((tail, head) for tail, head in info["edges"]))

    def _read(self, proc: subprocess.Popen[bytes], size: int) -> bytes:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        chunks, left, deadline = [], size, time.monotonic() + self.timeout_s
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise GraphvizError(f"Graphviz took more than {self.timeout_s:.0f} s")
            chunk = os.read(fd, left)
            if not chunk:
                raise GraphvizError("Graphviz stopped")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _crash_reason(self, proc: subprocess.Popen[bytes], exc: Exception) -> str:
        if proc.poll() is None:
            return str(exc)
        self._stderr.seek(0)
        err = self._stderr.read().decode(errors="replace").strip().splitlines()
        detail = next((line for line in reversed(err) if line.strip()), "")
        return f"Graphviz stopped ({detail[-300:]})" if detail else f"Graphviz stopped (exit {proc.returncode})"
