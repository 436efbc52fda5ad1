"""A finished paper, out of the store into a folder a person can open: figures with their overlays,
every design's graph and code, a summary in JSON and an HTML report.

    DIR/report.html                 the paper at a glance: figures, what was read, designs, code, checks
    DIR/paper.json                  the same as data
    DIR/figures/figure-2.png        each figure, and figure-2.overlay.png where it was read
    DIR/designs/<name>/             graph.json, README.md, keras/ caffe/ pytorch/ onnx/, verify.json

Every text shown comes from the PDF, OCR or users: it is escaped, never markup. Folder names are
made of the design's source and number, reduced to safe characters.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from dlp2c.common.db import Database
from dlp2c.common.storage import Storage, StorageError

TARGET_TITLES = {"keras": "Keras", "caffe": "Caffe", "pytorch": "PyTorch", "onnx": "ONNX"}


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "design"
    slug, k = base, 1
    while slug in taken:
        k += 1
        slug = f"{base}-{k}"
    taken.add(slug)
    return slug


def _copy(storage: Storage, key: str, target: Path) -> bool:
    """The object at ``key`` into ``target`` (one read, no existence check first); False when there is none."""
    if not key:
        return False
    try:
        data = storage.get(key)
    except StorageError:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return True


def export(storage: Storage, db: Database, paper_id: str, out: Path) -> dict[str, Any]:
    """Write the paper's results under ``out``; returns the summary (also written as paper.json)."""
    paper = db.paper(paper_id)
    if paper is None:
        raise KeyError(paper_id)
    out.mkdir(parents=True, exist_ok=True)
    figures = []
    for row in sorted(db.figures_of(paper_id), key=lambda r: (r["page"], r["figure_id"])):
        entry = {k: row[k] for k in ("figure_id", "label", "caption", "page", "status", "p_design", "style",
                                     "layers", "edges", "error")}
        if _copy(storage, row["image_key"], out / "figures" / f"{row['figure_id']}.png"):
            entry["image"] = f"figures/{row['figure_id']}.png"
        if _copy(storage, row["overlay_key"], out / "figures" / f"{row['figure_id']}.overlay.png"):
            entry["overlay"] = f"figures/{row['figure_id']}.overlay.png"
        figures.append(entry)
    designs, taken = [], set()
    for row in db.designs_of(paper_id):
        label = row["ref"] if row["source"] == "figure" or row["name"] in ("", row["ref"]) else row["name"]
        slug = _slug(label, taken)
        folder = out / "designs" / slug
        entry = {k: row[k] for k in ("id", "source", "ref", "name", "status", "layers", "params", "notes", "error",
                                     "failed_targets")}
        entry["folder"] = f"designs/{slug}"
        _copy(storage, row["graph_key"], folder / "graph.json")
        code_prefix = row["graph_key"].rsplit("/", 1)[0] + "/code/" if row["graph_key"] else ""
        files = []
        if code_prefix:
            for key in storage.list(code_prefix):
                rel = key[len(code_prefix):]
                if rel == "graph.json":
                    continue
                _copy(storage, key, folder / rel)
                files.append(rel)
        entry["files"] = sorted(files)
        verify_path = folder / "verify.json"
        entry["checks"] = json.loads(verify_path.read_text())["checks"] if verify_path.is_file() else {}
        designs.append(entry)
    tables_key = f"{paper['manifest_key'].rsplit('/', 1)[0]}/tables.json" if paper["manifest_key"] else ""
    tables = json.loads(storage.get(tables_key)) if tables_key and storage.exists(tables_key) else []
    summary = {"paper": {k: paper[k] for k in ("id", "title", "authors", "arxiv_id", "pages", "status", "error")},
               "figures": figures, "tables": tables, "designs": designs}
    (out / "paper.json").write_text(json.dumps(summary, indent=1) + "\n")
    (out / "report.html").write_text(render_html(summary), encoding="utf-8")
    return summary


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem} .meta{color:#666} table{border-collapse:collapse;margin:.5rem 0}
td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
.ok{color:#1a7f37} .bad{color:#c62828} .dim{color:#777} .fig{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.fig img{max-width:520px;max-height:420px;border:1px solid #ccc} section{margin-top:2rem}
code{background:#f4f4f4;padding:0 .2rem} ul.notes{margin:.2rem 0;padding-left:1.2rem;color:#555;font-size:.9em}
"""


def render_html(summary: dict[str, Any]) -> str:
    paper = summary["paper"]
    parts = [f"<!doctype html><html lang=en><meta charset=utf-8><title>{_e(paper['title'] or 'paper')}</title>",
             f"<style>{STYLE}</style><h1>{_e(paper['title'] or '(no title found)')}</h1>",
             f"<p class=meta>{_e(', '.join(paper['authors']))}"
             + (f" &middot; arXiv:{_e(paper['arxiv_id'])}" if paper["arxiv_id"] else "")
             + f" &middot; {_e(paper['pages'])} pages &middot; sha256 <code>{_e(paper['id'][:16])}</code></p>"]
    if paper["error"]:
        parts.append(f"<p class=bad>{_e(paper['error'])}</p>")
    designs = summary["designs"]
    parts.append(f"<section><h2>Designs ({len(designs)})</h2><table><tr><th>design</th><th>from</th><th>layers</th>"
                 "<th>parameters</th><th>code</th><th>checks</th></tr>")
    for d in designs:
        title = d["name"] if d["name"] and d["name"] != d["ref"] else d["ref"]
        code = " ".join(f"<a href='{_e(d['folder'])}/{t}/'>{TARGET_TITLES[t]}</a>" for t in TARGET_TITLES
                        if any(f.startswith(t + "/") for f in d["files"]))
        checks = " ".join(f"<span class={'ok' if c['ok'] else 'bad'}>{TARGET_TITLES.get(t, _e(t))} "
                          f"{'ran' if c['ok'] else 'failed'}</span>" for t, c in d["checks"].items())
        status = "" if d["status"] == "generated" else f"<div class=bad>{_e(d['status'])}: {_e(d['error'])}</div>"
        notes = "".join(f"<li>{_e(n)}</li>" for n in d["notes"][:12])
        params = "" if d["params"] is None else f"{d['params']:,}"
        parts.append(f"<tr><td><a href='{_e(d['folder'])}/graph.json'>{_e(title)}</a>{status}"
                     f"{f'<ul class=notes>{notes}</ul>' if notes else ''}</td><td>{_e(d['source'])} "
                     f"{_e(d['ref'])}</td><td>{_e(d['layers'])}</td>"
                     f"<td>{params}</td><td>{code}</td>"
                     f"<td>{checks or '<span class=dim>not run</span>'}</td></tr>")
    parts.append("</table></section>")
    figures = summary["figures"]
    parts.append(f"<section><h2>Figures ({len(figures)})</h2>")
    for f in figures:
        verdict = {"other": "not a network design", "read": f"design ({_e(f['style'])}); read: {f['layers']} layers, "
                   f"{f['edges']} connections", "unread": "design; not read", "failed": "failed",
                   "design": "design", "detected": "design; nodes found", "found": "waiting"}.get(f["status"],
                                                                                                 f["status"])
        p = "" if f["p_design"] is None else f" (P(design) = {f['p_design']:.2f})"
        images = "".join(f"<img alt='{_e(f['label'])} {kind}' src='{_e(f[kind])}'>" for kind in ("image", "overlay")
                         if kind in f)
        error = f"<div class=dim>{_e(f['error'])}</div>" if f["error"] else ""
        parts.append(f"<h3>{_e(f['label'])} <span class=dim>page {_e(f['page'])}</span></h3>"
                     f"<p>{_e(f['caption'])}</p><p><b>{verdict}</b>{p}</p>{error}<div class=fig>{images}</div>")
    parts.append("</section>")
    tables = summary["tables"]
    parts.append(f"<section><h2>Tables ({len(tables)})</h2><table><tr><th>table</th><th>kind</th>"
                 "<th>designs</th></tr>")
    for t in tables:
        kind = t.get("kind", {})
        parts.append(f"<tr><td>{_e(t['label'])} <span class=dim>{_e(t['caption'][:160])}</span></td>"
                     f"<td>{_e(kind.get('kind', ''))} {_e(kind.get('major', ''))}</td>"
                     f"<td>{len(t.get('designs', []))}</td></tr>")
    parts.append("</table></section></html>")
    return "\n".join(parts)
