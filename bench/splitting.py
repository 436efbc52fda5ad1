"""PDF splitting and tables (issue 6): speed over the real papers, what each yields, and the design
tables of the papers the issue names read into graphs."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from pathlib import Path

COUNTS = Path(__file__).parent / "data" / "real_figure_counts.tsv"
NAMED = {  # paper file (in papers/) -> the design table the issue names
    "1409.1556.pdf": "Table 1",
    "MobileNets Efficient Convolutional Neural Networks for Mobile Vision Applications.pdf": "Table 1",
    "ShuffleNet An Extremely Efficient Convolutional Neural Network for Mobile Devices.pdf": "Table 1",
    "YOLOv3 An Incremental Improvement.pdf": "Table 1",
    "1502.01852v1.pdf": "Table 1",
    "ResNet-Deep Residual Learning for Image Recognition.pdf": "Table 1",
    "ResNeXt Aggregated Residual Transformations for Deep Neural Networks.pdf": "Table 1",
}


def run(realdata: Path | None) -> dict:
    from dlp2c.common.inference import infer
    from dlp2c.splitter.limits import SplitError
    from dlp2c.splitter.split import split
    from dlp2c.tables.kind import classify
    from dlp2c.tables.read import read_table

    if realdata is None:
        return {}
    pdfs = sorted((realdata / "papers").glob("*.pdf")) + sorted((realdata / "negatives").glob("*.pdf"))
    papers, named = [], {}
    for pdf in pdfs:
        started = time.perf_counter()
        try:
            result = split(pdf)
        except SplitError as exc:
            papers.append({"paper": pdf.name, "error": exc.code})
            continue
        seconds = time.perf_counter() - started
        tables_started = time.perf_counter()
        kinds = [classify(t) for t in result.tables]
        for table, kind in zip(result.tables, kinds, strict=True):
            designs = read_table(table, kind)
            if pdf.name in NAMED and (table.label == NAMED[pdf.name] or kind.design):
                named.setdefault(pdf.name, []).extend(
                    {"table": table.label, "design": d.name, "valid": d.graph is not None and not d.error,
                     "ops": dict(Counter(n.op for n in d.graph.nodes)) if d.graph is not None else {},
                     "params": infer(d.graph).total_params if d.graph is not None and not d.error else None,
                     "notes": d.notes, "error": d.error, "left_out": d.left_out} for d in designs)
        papers.append({"paper": pdf.name, "negative": pdf.parent.name == "negatives", "pages": result.meta.pages,
                       "seconds": seconds, "figures": len(result.figures), "tables": len(result.tables),
                       "figure_labels": [f.label for f in result.figures],
                       "engines": dict(Counter(t.engine for t in result.tables)),
                       "design_tables": [t.label for t, k in zip(result.tables, kinds, strict=True) if k.design],
                       "table_seconds": time.perf_counter() - tables_started})
    return {"papers": papers, "named": named}


def figure_scores(papers: list[dict]) -> dict:
    """Precision and recall of the figures found against the hand count: a figure is right when its number
    is one the paper has and its crop was not judged wrong by looking."""
    truth = {}
    for line in COUNTS.read_text().splitlines():
        if line.startswith("#") or line.startswith("paper\t"):
            continue
        paper, true, bad, _ = [*line.split("\t"), "", ""][:4]
        truth[paper] = (int(true), {b for b in bad.split(";") if b})
    found = right = total = 0
    for p in papers:
        if p["paper"] not in truth or "figure_labels" not in p:
            continue
        true, bad = truth[p["paper"]]
        total += true
        labels = set(p["figure_labels"])
        found += len(labels)
        right += sum(1 for label in labels if label not in bad
                     and label.split()[-1].isdigit() and 1 <= int(label.split()[-1]) <= true)
    return {"papers": len(truth), "true": total, "found": found, "right": right,
            "precision": right / max(found, 1), "recall": right / max(total, 1)}


def report(res: dict, out: Path) -> str:
    lines = ["## PDF splitting and tables (issue 6)", ""]
    if not res:
        return "\n".join([*lines, "Real data was not found; nothing measured.", ""])
    ok = [p for p in res["papers"] if "error" not in p]
    pages = sum(p["pages"] for p in ok)
    seconds = sum(p["seconds"] for p in ok)
    tables = sum(p["tables"] for p in ok)
    table_seconds = sum(p["table_seconds"] for p in ok)
    per_paper = [p["seconds"] for p in ok]
    scores = figure_scores(res["papers"])
    res["figure_scores"] = scores
    (out / "splitting.json").write_text(json.dumps(res, indent=0) + "\n")

    def designs_in(negative: bool) -> int:
        return sum(len(p["design_tables"]) for p in ok if p["negative"] == negative)

    lines += [
        f"{len(res['papers'])} real PDFs ({sum(1 for p in ok if not p['negative'])} design papers and "
        f"{sum(1 for p in ok if p['negative'])} negatives split; {len(res['papers']) - len(ok)} refused), in one "
        "process on this machine (`split()`, crops not rendered).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| pages per second (split: layout, captions, regions, table grids) | {pages / seconds:.1f} |",
        f"| median seconds per paper | {statistics.median(per_paper):.2f} |",
        f"| tables per second (classify + read into graphs) | {tables / max(table_seconds, 1e-9):.0f} |",
        f"| captioned figures found | {sum(p['figures'] for p in ok)} |",
        f"| tables found | {tables} |",
        "| table grids drawn by camelot lattice / our words / camelot stream | "
        + " / ".join(str(sum(p.get("engines", {}).get(e, 0) for p in ok)) for e in ("lattice", "words", "stream"))
        + " |",
        f"| tables called design tables, design papers | {designs_in(False)} |",
        f"| tables called design tables, negatives (goal 0) | {designs_in(True)} |",
        "",
        f"Figures against a count made by looking at all {scores['papers']} papers "
        "(`bench/data/real_figure_counts.tsv`: figures per paper, and the crops judged wrong by looking at each "
        "page with the detected boxes drawn): "
        f"**precision {scores['precision']:.1%}, recall {scores['recall']:.1%}** ({scores['right']} right of "
        f"{scores['found']} found, {scores['true']} in the papers; pdffigures2: 94% / 90%). The splitter was tuned "
        "on these same papers while looking, so these are development figures, not held-out ones.",
        "",
        "Design tables of the papers the issue names:",
        "",
        "| paper | table | design | valid | conv / dw / dense / add | parameters | notes | rows left out |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for paper in NAMED:
        rows = res["named"].get(paper, [])
        if not rows:
            lines.append(f"| {paper[:40]} | {NAMED[paper]} | none read | | | | |")
        for d in rows:
            ops = d["ops"]
            counts = (f"{ops.get('Conv2D', 0)} / {ops.get('DepthwiseConv2D', 0)} / {ops.get('Dense', 0)} / "
                      f"{ops.get('Add', 0)}")
            params = f"{d['params']:,}" if d["params"] is not None else "-"
            valid = "yes" if d["valid"] else "no: " + d["error"][:60]
            left = ", ".join(d.get("left_out", []))[:60].replace("|", "/")
            lines.append(f"| {paper[:40]} | {d['table']} | {d['design']} | {valid} | {counts} | {params} "
                         f"| {len(d['notes'])} | {left} |")
    lines.append("")
    return "\n".join(lines)
