"""A table's grid from the positions of its text.

Most tables in deep-learning papers are ruled only at the top and bottom (booktabs), so the grid
comes from the text: rows are phrases on one line, columns are the x-ranges that the fullest rows
agree on. A phrase that covers several columns (VGG's `maxpool` under all six configurations) is
one merged cell, which the table reader applies to every column it spans.
"""

from __future__ import annotations

from dlp2c.common.document import Box, Cell, Table
from dlp2c.splitter.layout import Phrase

CELL_GAP = 0.45  # inside a table, a gap wider than this many font sizes separates cells (word spaces are ~0.3)


def _cells(phrase: Phrase) -> list[Phrase]:
    """``phrase`` cut where its words leave a cell-sized gap (YOLOv3's `32 3 x 3 256 x 256`)."""
    if len(phrase.words) < 2:
        return [phrase]
    parts: list[list[tuple[str, Box]]] = [[phrase.words[0]]]
    for word in phrase.words[1:]:
        if word[1].x0 - parts[-1][-1][1].x1 > CELL_GAP * phrase.size:
            parts.append([])
        parts[-1].append(word)
    if len(parts) == 1:
        return [phrase]
    return [Phrase(" ".join(t for t, _ in part), Box.enclosing([b for _, b in part]), phrase.size, phrase.body, part)
            for part in parts]


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


def _merge(spans: list[tuple[float, float]]) -> list[list[float]]:
    merged: list[list[float]] = []
    for x0, x1 in sorted(spans):
        if merged and x0 <= merged[-1][1] + 1.0:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return merged


def _columns(rows: list[list[Phrase]]) -> list[tuple[float, float]]:
    """Columns from the fullest rows; rows nearly as full add only columns of their own, so a header
    that spans several columns (ShuffleNet's `Output channels (g groups)`) does not fuse them."""
    most = max(len(r) for r in rows)
    fullest = [r for r in rows if len(r) >= max(2, round(0.8 * most))] or rows
    merged = _merge([(p.box.x0, p.box.x1) for r in fullest for p in r])
    fuller = [r for r in rows if len(r) >= max(2, round(0.6 * most)) and r not in fullest]
    extra = [(p.box.x0, p.box.x1) for r in fuller for p in r
             if not any(min(p.box.x1, b) - max(p.box.x0, a) > 0 for a, b in merged)]
    merged = _merge([(a, b) for a, b in merged] + extra)
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
        return Table(label, caption, page, box, 0, 0, [], "words")
    rows = _rows([cell for p in phrases for cell in _cells(p)])
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
        rest = [p for p in row if _covered(p.box, columns)[0] > 0]
        if len(columns) >= 4 and len(rest) == 1 and len(row) > 1:
            # One value centred under every column but the first (PReLU's `4096` beside `fc1`): merged too.
            middle = (columns[1][0] + columns[-1][1]) / 2
            span = _covered(rest[0].box, columns)
            if span[0] == span[1] and abs(rest[0].center_x - middle) <= 0.08 * (columns[-1][1] - columns[1][0]) \
                    and not columns[span[0]][0] - 2 <= rest[0].box.x0 <= rest[0].box.x1 <= columns[span[0]][1] + 2:
                groups.pop(span)
                groups[(1, len(columns) - 1)] = rest
        for (first, last), members in sorted(groups.items()):
            text = " ".join(m.text for m in members)
            cells.append(Cell(r, first, text, Box.enclosing([m.box for m in members]), last if last != first else -1))
    return Table(label, caption, page, box, len(rows), len(columns), cells, "words")
