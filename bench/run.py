"""`make bench`: measure speed and accuracy, write bench/REPORT.md and its plots.

Benchmarks are not tests: they report figures, they do not pass or fail. Each section lives in its own
module beside this one and returns Markdown.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import classifier  # noqa: E402
import codegen  # noqa: E402
import figures  # noqa: E402
import foundation  # noqa: E402
import pipeline  # noqa: E402
import simulator  # noqa: E402
import splitting  # noqa: E402
import website  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE, help="folder for REPORT.md and plots")
    parser.add_argument("--realdata", type=Path,
                        default=Path(os.environ.get("DLP2C_REALDATA", HERE.parent.parent / "shared" / "realdata")),
                        help="the shared real-data folder (sections that need it are skipped without it)")
    parser.add_argument("--repeat", type=int, default=5, help="timing repetitions (median reported)")
    parser.add_argument("--random-graphs", type=int, default=1000, help="random grammar graphs to generate and verify")
    parser.add_argument("--latency-runs", type=int, default=200, help="generations per target for the latency figures")
    parser.add_argument("--figure-models", type=int, default=2000,
                        help="fresh simulated models for the figure section (a Keras and a Caffe drawing each)")
    parser.add_argument("--classifier-models", type=int, default=300,
                        help="fresh simulated models (every style) for the classifier section, with twice as many "
                             "other figures")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the figure section")
    parser.add_argument("--pipeline-papers", type=int, default=50,
                        help="papers through the running system (the real PDFs, repeated with different ids)")
    parser.add_argument("--only", choices=("foundation", "codegen", "simulator", "figures", "classifier", "splitting",
                                           "pipeline", "website"),
                        help="run one section and replace only it in an existing REPORT.md")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    realdata = args.realdata if args.realdata.is_dir() else None

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    runs = {
        "foundation": ("importing and shape-checking real networks",
                       lambda: foundation.report(foundation.run(realdata, args.repeat), args.out)),
        "codegen": ("latency, random graphs, real models through all four targets",
                    lambda: codegen.report(codegen.run(realdata, args.latency_runs, args.random_graphs), args.out)),
        "simulator": ("throughput per style, projection of the paper's set, round trips",
                      lambda: simulator.report(simulator.run(), args.out)),
        "figures": ("reading fresh simulated figures: layer, edge and hyper-parameter accuracy",
                    lambda: figures.report(figures.run(args.figure_models, args.workers), args.out)),
        "classifier": ("figure classification: fresh simulated and real figures, CPU time, the paper's Tables 3-5",
                       lambda: classifier.report(classifier.run(args.classifier_models, args.workers, realdata),
                                                 args.out)),
        "splitting": ("PDF splitting and tables: speed on the real papers, design tables read into graphs",
                      lambda: splitting.report(splitting.run(realdata), args.out)),
        "pipeline": ("the running system: papers end to end, embedded and distributed (1 and 2 workers per stage)",
                     lambda: pipeline.report(pipeline.run(realdata, args.pipeline_papers), args.out)),
        "website": ("the editor's code regeneration on InceptionV3 (browser and API), the catalogue at 5,000 papers",
                    lambda: website.report(website.run(), args.out)),
    }
    sections = []
    for name, (what, make) in runs.items():
        if args.only in (None, name):
            print(f"{name}: {what} ...", flush=True)
            sections.append(make())
    if args.only and (args.out / "REPORT.md").is_file():
        _replace_section(args.out / "REPORT.md", sections[0])
        print(f"updated the {args.only} section of {args.out / 'REPORT.md'}")
        return

    header = [
        "# DLPaper2Code benchmark report",
        "",
        f"Written by `make bench` on {started}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}."
        + ("" if realdata else " Real data was not found: its sections are missing."),
        "",
    ]
    (args.out / "REPORT.md").write_text("\n".join(header + sections) + "\n")
    print(f"wrote {args.out / 'REPORT.md'}")


def _replace_section(report: Path, section: str) -> None:
    """Swap the ``## `` block whose title matches the new section's, or append it."""
    title = section.splitlines()[0]
    blocks, current = [], []
    for line in report.read_text().splitlines():
        if line.startswith("## ") and current:
            blocks.append(current)
            current = []
        current.append(line)
    blocks.append(current)
    texts = ["\n".join(b).rstrip("\n") for b in blocks]
    replaced = [section.rstrip("\n") if b and b[0] == title else t for b, t in zip(blocks, texts, strict=True)]
    if title not in (b[0] for b in blocks if b):
        replaced.append(section.rstrip("\n"))
    report.write_text("\n\n".join(replaced) + "\n")


if __name__ == "__main__":
    main()
