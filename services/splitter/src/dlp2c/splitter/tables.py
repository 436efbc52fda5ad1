"""A table's grid from the positions of its text.

Most tables in deep-learning papers are ruled only at the top and bottom (booktabs), so the grid
comes from the text: rows are phrases on one line, columns are the x-ranges that the fullest rows
agree on. A phrase that covers several columns (VGG's `maxpool` under all six configurations) is
one merged cell, which the table reader applies to every column it spans.
"""

from __future__ import annotations

from dlp2c.common.document import Box, Cell, Table
from dlp2c.splitter.layout import Phrase


def _rows(phrases: list[Phrase]) -> list[list[Phrase]]:
    rows: list[list[Phrase]] = []
    for p in sorted(phrases, key=lambda p: (p.box.top + p.box.bottom) / 2):
        middle = (p.box.top + p.box.bottom) / 2
        if rows:
            last = rows[-1]
            mean = sum((q.box.top + q.box.bottom) / 2 for q in last) / len(last)
            if abs(middle - mean) <= 0.5 * p.size:
                last.append(p)
                continue
        rows.append([p])
    for row in rows:
        row.sort(key=lambda p: p.box.x0)
    return rows


def _columns(rows: list[list[Phrase]]) -> list[tuple[float, float]]:
    most = max(len(r) for r in rows)
    full = [r for r in rows if len(r) >= max(2, round(0.6 * most))] or rows
    spans = sorted((p.box.x0, p.box.x1) for r in full for p in r)
    merged: list[list[float]] = []
    for x0, x1 in spans:
        if merged and x0 <= merged[-1][1] + 1.0:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return [(a, b) for a, b in merged]


def _covered(box: Box, columns: list[tuple[float, float]]) -> tuple[int, int]:
    hit = [i for i, (a, b) in enumerate(columns) if min(box.x1, b) - max(box.x0, a) > 0.25 * min(b - a, box.width)]
    if hit:
        return hit[0], hit[-1]
    center = (box.x0 + box.x1) / 2
    nearest = min(range(len(columns)), key=lambda i: abs((columns[i][0] + columns[i][1]) / 2 - center))
    return nearest, nearest


def table_from_phrases(phrases: list[Phrase], label: str, caption: str, page: int, box: Box) -> Table:
    """The grid of the phrases set inside a table's region (the caption excluded)."""
    if not phrases:
        return Table(label, caption, page, box, 0, 0, [])
    rows = _rows(phrases)
    columns = _columns(rows)
    cells: list[Cell] = []
    for r, row in enumerate(rows):
        groups: dict[tuple[int, int], list[Phrase]] = {}
        for p in row:
            groups.setdefault(_covered(p.box, columns), []).append(p)
        if len(row) == 1 and len(columns) >= 3:
            # A lone phrase centred on the table is a merged cell across every column (\multicolumn).
            middle = (columns[0][0] + columns[-1][1]) / 2
            first, last = next(iter(groups))
            a, b = columns[first]
            one_column = first == last and a - 2 <= row[0].box.x0 <= row[0].box.x1 <= b + 2
            if abs(row[0].center_x - middle) <= 0.08 * (columns[-1][1] - columns[0][0]) and not one_column:
                groups = {(0, len(columns) - 1): row}
        for (first, last), members in sorted(groups.items()):
            text = " ".join(m.text for m in members)
            cells.append(Cell(r, first, text, Box.enclosing([m.box for m in members]), last if last != first else -1))
    return Table(label, caption, page, box, len(rows), len(columns), cells)
