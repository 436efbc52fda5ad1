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

import codegen  # noqa: E402
import foundation  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE, help="folder for REPORT.md and plots")
    parser.add_argument("--realdata", type=Path,
                        default=Path(os.environ.get("DLP2C_REALDATA", HERE.parent.parent / "shared" / "realdata")),
                        help="the shared real-data folder (sections that need it are skipped without it)")
    parser.add_argument("--repeat", type=int, default=5, help="timing repetitions (median reported)")
    parser.add_argument("--random-graphs", type=int, default=1000, help="random grammar graphs to generate and verify")
    parser.add_argument("--latency-runs", type=int, default=200, help="generations per target for the latency figures")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    realdata = args.realdata if args.realdata.is_dir() else None

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    sections = []
    print("foundation: importing and shape-checking real networks ...", flush=True)
    sections.append(foundation.report(foundation.run(realdata, args.repeat), args.out))
    print("codegen: latency, random graphs, real models through all four targets ...", flush=True)
    sections.append(codegen.report(codegen.run(realdata, args.latency_runs, args.random_graphs), args.out))

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


if __name__ == "__main__":
    main()
