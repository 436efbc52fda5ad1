"""Flow detection on drawn figures: boxes found where they are, edges with their direction."""

import cv2
import numpy as np
import pytest
from dlp2c.flow.detect import FlowError, detect, ink_mask, solid_mask
from dlp2c.flow.score import iou, match

BOXES = {"input": (150, 20, 330, 70), "conv": (40, 140, 220, 190), "pool": (260, 140, 440, 190),
         "concat": (150, 260, 330, 310)}
EDGES = [("input", "conv"), ("input", "pool"), ("conv", "concat"), ("pool", "concat")]


def arrow(image: np.ndarray, start: tuple[int, int], end: tuple[int, int]) -> None:
    """A line with a filled arrowhead, as Graphviz draws one (open, two-stroke heads are not read yet)."""
    cv2.line(image, start, end, (0, 0, 0), 2)
    direction = np.subtract(end, start) / np.hypot(*np.subtract(end, start))
    normal = np.array([-direction[1], direction[0]])
    base = np.array(end) - 16 * direction
    cv2.fillPoly(image, [np.array([end, base + 6 * normal, base - 6 * normal], np.int32)], (0, 0, 0))


def figure(fill: tuple[int, int, int] | None = None, boxes: dict = BOXES) -> np.ndarray:
    image = np.full((340, max(b[2] for b in boxes.values()) + 40, 3), 255, np.uint8)
    for name, (x0, y0, x1, y1) in boxes.items():
        if fill is not None:
            cv2.rectangle(image, (x0, y0), (x1, y1), fill, thickness=-1)
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 0, 0), thickness=2)
        cv2.putText(image, name, (x0 + 20, y0 + 33), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    for tail, head in EDGES:
        t, h = boxes[tail], boxes[head]
        start = ((t[0] + t[2]) // 2, t[3])
        end = ((h[0] + h[2]) // 2, h[1])
        arrow(image, start, end)
    return image


@pytest.mark.parametrize("fill", [None, (80, 80, 255)])
def test_boxes_and_directed_edges_of_a_branching_figure(fill) -> None:
    flow = detect(figure(fill))
    found = {n.id: n.box for n in flow.nodes}
    matched = match(BOXES, found)
    assert len(flow.nodes) == 4 and len(matched) == 4
    assert all(iou(BOXES[t], found[f]) > 0.8 for t, f in matched.items())
    edges = {(e.tail, e.head) for e in flow.edges}
    assert edges == {(matched[t], matched[h]) for t, h in EDGES}


def test_a_face_enclosed_by_branches_is_not_a_node() -> None:
    # the branches and the two nodes they join enclose an empty region: it must stay background
    flow = detect(figure())
    assert all(iou(n.box, (220, 70, 260, 260)) < 0.2 for n in flow.nodes)


def test_noise_in_an_enclosed_face_does_not_make_it_a_node() -> None:
    # a wide face between the branches, with the specks JPEG leaves in it: they are not a label
    boxes = {"input": (250, 20, 430, 70), "conv": (40, 140, 220, 190), "pool": (460, 140, 640, 190),
             "concat": (250, 260, 430, 310)}
    image = figure(boxes=boxes)
    rng = np.random.default_rng(3)
    for x, y in zip(rng.integers(300, 380, 40), rng.integers(110, 220, 40), strict=True):
        image[y:y + 2, x:x + 2] = 90
    flow = detect(image)
    matched = match(boxes, {n.id: n.box for n in flow.nodes})
    assert len(flow.nodes) == 4 and len(matched) == 4
    assert {(e.tail, e.head) for e in flow.edges} == {(matched[t], matched[h]) for t, h in EDGES}


def test_specks_inside_a_fill_are_letters_and_on_the_page_are_noise() -> None:
    # small dark letters on a dark fill merge with its rim and leave specks: the fill's colour,
    # unlike the page's, says the region is a node's inside
    image = np.full((200, 400), 255, np.uint8)
    cv2.rectangle(image, (100, 60), (300, 120), 110, thickness=-1)
    cv2.rectangle(image, (100, 60), (300, 120), 0, thickness=1)
    rng = np.random.default_rng(4)
    for x, y in zip(rng.integers(130, 270, 12), rng.integers(80, 100, 12), strict=True):
        image[y:y + 2, x:x + 2] = 30
    ink = cv2.morphologyEx(ink_mask(image), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    inside = (slice(70, 110), slice(120, 280))
    assert solid_mask(ink, 10.0, image)[inside].all()
    assert (solid_mask(ink, 10.0, np.full_like(image, 255))[inside] > 0).mean() < 0.05  # the specks alone


def test_garbage_gives_an_empty_result_or_a_clear_error() -> None:
    assert detect(np.full((200, 300), 255, np.uint8)).nodes == []  # blank
    assert detect(np.zeros((1, 1, 3), np.uint8)).nodes == []  # one pixel
    noise = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    detect(noise)  # a photo-like image: whatever it finds, it returns
    with pytest.raises(FlowError, match="8-bit"):
        detect(np.zeros((10, 10), np.float32))
    with pytest.raises(FlowError, match="more than"):
        detect(np.zeros((8000, 8000), np.uint8))


def _arrow(image: np.ndarray, points: list[tuple[int, int]]) -> None:
    """A polyline ending in a filled arrowhead at its last point."""
    cv2.polylines(image, [np.array(points, np.int32)], False, (0, 0, 0), 2)
    end, before = np.array(points[-1]), np.array(points[-2])
    direction = (end - before) / np.hypot(*(end - before))
    normal = np.array([-direction[1], direction[0]])
    base = end - 16 * direction
    cv2.fillPoly(image, [np.array([end, base + 6 * normal, base - 6 * normal], np.int32)], (0, 0, 0))


def test_octagons_and_boxes_are_told_apart_whatever_joins_their_sides() -> None:
    # Caffe's look, left to right: layer box -> blob octagon -> layer box, a second arrow reaching
    # the last box off its middle; opening squares off the octagon's tips, its outline does not lie
    image = np.full((160, 760, 3), 255, np.uint8)
    cv2.rectangle(image, (20, 50), (200, 110), (0, 0, 0), 2)
    octagon = np.array([(290, 50), (410, 50), (450, 70), (450, 90), (410, 110), (290, 110), (250, 90), (250, 70)])
    cv2.polylines(image, [octagon], True, (0, 0, 0), 2)
    cv2.rectangle(image, (540, 50), (720, 110), (0, 0, 0), 2)
    for x0, y0, text in ((40, 88, "conv1"), (300, 88, "conv1"), (560, 88, "relu1")):
        cv2.putText(image, text, (x0, y0), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    _arrow(image, [(200, 80), (250, 80)])
    _arrow(image, [(450, 80), (540, 80)])
    _arrow(image, [(470, 10), (500, 62), (540, 62)])
    flow = detect(image)
    nodes = sorted(flow.nodes, key=lambda n: n.box[0])
    assert [n.shape for n in nodes] == ["box", "octagon", "box"]
    assert abs(nodes[1].box[0] - 250) <= 3 and abs(nodes[1].box[2] - 451) <= 3  # tip to tip
    assert {(e.tail, e.head) for e in flow.edges} == {(nodes[0].id, nodes[1].id), (nodes[1].id, nodes[2].id)}


def test_a_line_that_passes_by_a_box_does_not_join_it() -> None:
    # a long skip from the top box to the bottom one grazes the middle box's corner
    image = np.full((420, 420, 3), 255, np.uint8)
    boxes = {"top": (120, 20, 300, 70), "middle": (20, 170, 200, 220), "bottom": (120, 340, 300, 390)}
    for name, (x0, y0, x1, y1) in boxes.items():
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 0, 0), 2)
        cv2.putText(image, name, (x0 + 20, y0 + 33), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    _arrow(image, [(260, 70), (212, 160), (212, 230), (240, 340)])
    flow = detect(image)
    matched = match(boxes, {n.id: n.box for n in flow.nodes})
    assert {(e.tail, e.head) for e in flow.edges} == {(matched["top"], matched["bottom"])}


def test_an_arrow_drawn_short_of_its_box_still_joins_it() -> None:
    # as Matplotlib draws them: the arrow leaves its box and stops a few pixels before the next one
    image = np.full((300, 300, 3), 255, np.uint8)
    boxes = {"a": (40, 20, 260, 80), "b": (40, 200, 260, 260)}
    for name, (x0, y0, x1, y1) in boxes.items():
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 0, 0), 2)
        cv2.putText(image, name, (x0 + 20, y0 + 40), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
    _arrow(image, [(150, 82), (150, 193)])
    flow = detect(image)
    matched = match(boxes, {n.id: n.box for n in flow.nodes})
    assert {(e.tail, e.head) for e in flow.edges} == {(matched["a"], matched["b"])}


def test_a_short_arrow_between_close_nodes_points_the_right_way() -> None:
    # a left-right layout packed tight, as Graphviz draws one: the arrow's head is in reach of its
    # tail node too, and the head node (higher on the page) comes first in the raster order
    boxes = {"tail": (20, 90, 300, 150), "head": (334, 60, 614, 120)}
    image = np.full((200, 640, 3), 255, np.uint8)
    for name, (x0, y0, x1, y1) in boxes.items():
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 0, 0), thickness=2)
        cv2.putText(image, name, (x0 + 20, y0 + 38), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    _arrow(image, [(300, 105), (334, 105)])
    flow = detect(image)
    matched = match(boxes, {n.id: n.box for n in flow.nodes})
    assert len(matched) == 2
    assert [(e.tail, e.head) for e in flow.edges] == [(matched["tail"], matched["head"])]


def test_an_arrowhead_on_an_octagons_cut_corner_still_gives_the_direction() -> None:
    # Caffe's blobs are octagons; Graphviz aims an arrow at the outline, so one coming in at a slant
    # ends on a cut corner, in the rectangle the node is filled out to
    image = np.full((260, 900, 3), 255, np.uint8)
    for x0, y0, x1, y1, name in ((40, 150, 220, 210, "conv1"), (660, 60, 840, 120, "relu1")):
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 0, 0), 2)
        cv2.putText(image, name, (x0 + 30, y0 + 38), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    octagon = np.array([(340, 60), (520, 60), (550, 85), (550, 105), (520, 130), (340, 130), (310, 105),
                        (310, 85)], np.int32)
    cv2.polylines(image, [octagon], True, (0, 0, 0), 2)
    cv2.putText(image, "blob1", (385, 105), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    arrow(image, (220, 180), (324, 119))  # onto the lower left corner's slant
    arrow(image, (550, 95), (660, 90))  # out of its tip
    flow = detect(image)
    found = {n.id: n.box for n in flow.nodes}
    matched = match({"conv1": (40, 150, 220, 210), "blob1": (310, 60, 550, 130), "relu1": (660, 60, 840, 120)},
                    found)
    assert len(flow.nodes) == 3 and len(matched) == 3
    assert {(e.tail, e.head) for e in flow.edges} == {(matched["conv1"], matched["blob1"]),
                                                       (matched["blob1"], matched["relu1"])}
