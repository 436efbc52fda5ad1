"""What the splitter takes out of a paper: figures and tables with their captions and page boxes.

These types are the hand-off between the splitter and the stages after it (figure classification,
flow detection, table reading), so they live here and travel as JSON. Boxes are in PDF points
(1/72 inch) with the origin at the page's top left, the way a reader measures a page; table cells
keep theirs, so a later stage (or a person) can point at the exact cell a layer was read from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Box:
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.top, other.top), max(self.x1, other.x1),
                   max(self.bottom, other.bottom))

    @classmethod
    def enclosing(cls, boxes: list[Box]) -> Box:
        """The smallest box holding every one of ``boxes`` (at least one)."""
        return cls(min(b.x0 for b in boxes), min(b.top for b in boxes), max(b.x1 for b in boxes),
                   max(b.bottom for b in boxes))

    def to_json(self) -> list[float]:
        return [round(self.x0, 2), round(self.top, 2), round(self.x1, 2), round(self.bottom, 2)]

    @classmethod
    def from_json(cls, data: Any) -> Box:
        x0, top, x1, bottom = (float(v) for v in data)
        return cls(x0, top, x1, bottom)


@dataclass(frozen=True)
class Cell:
    """One cell of a table grid; a merged cell spans columns ``col`` to ``col_end`` inclusive."""

    row: int
    col: int
    text: str
    box: Box
    col_end: int = -1

    @property
    def last_col(self) -> int:
        return self.col if self.col_end < 0 else self.col_end

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row": self.row, "col": self.col, "text": self.text, "box": self.box.to_json()}
        if self.last_col != self.col:
            out["col_end"] = self.last_col
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cell:
        return cls(int(data["row"]), int(data["col"]), str(data["text"]), Box.from_json(data["box"]),
                   int(data.get("col_end", -1)))


@dataclass
class Table:
    label: str  # "Table 1"
    caption: str
    page: int  # 1-based
    box: Box
    n_rows: int
    n_cols: int
    cells: list[Cell] = field(default_factory=list)
    engine: str = ""  # what drew the grid: lattice (camelot, ruled), words (text positions), stream (camelot)

    def grid(self) -> list[list[str]]:
        """Rows of texts; a merged cell's text appears in every column it spans."""
        rows = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for cell in self.cells:
            for col in range(cell.col, cell.last_col + 1):
                rows[cell.row][col] = cell.text
        return rows

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "caption": self.caption, "page": self.page, "box": self.box.to_json(),
                "n_rows": self.n_rows, "n_cols": self.n_cols,
                "cells": [c.to_json() for c in self.cells], "engine": self.engine}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Table:
        return cls(str(data["label"]), str(data["caption"]), int(data["page"]), Box.from_json(data["box"]),
                   int(data["n_rows"]), int(data["n_cols"]), [Cell.from_json(c) for c in data.get("cells", [])],
                   str(data.get("engine", "")))


@dataclass
class PaperFigure:
    label: str  # "Figure 2"
    caption: str
    page: int  # 1-based
    box: Box
    kind: str  # raster | vector | mixed | text: what the region is drawn with
    image: str = ""  # the crop's file name, relative to the split's folder
    dpi: int = 0
    words: list[dict[str, Any]] = field(default_factory=list)  # embedded text: {"text", "box"} in points

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "caption": self.caption, "page": self.page, "box": self.box.to_json(),
                "kind": self.kind, "image": self.image, "dpi": self.dpi, "words": self.words}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PaperFigure:
        return cls(str(data["label"]), str(data["caption"]), int(data["page"]), Box.from_json(data["box"]),
                   str(data["kind"]), str(data.get("image", "")), int(data.get("dpi", 0)),
                   list(data.get("words", [])))
