"""``dlp2c crawl``: papers from arXiv by query and date range, submitted to the pipeline."""

from __future__ import annotations

from datetime import date, datetime

import click
from dlp2c.cli.figures import _fail, err, out


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter("a date like 2024-01-31") from None


@click.command()
@click.option("-q", "--query", required=True, help="An arXiv API search query, e.g. 'cat:cs.CV AND abs:network'.")
@click.option("--since", callback=_day, help="First submission date (YYYY-MM-DD).")
@click.option("--until", callback=_day, help="Last submission date (YYYY-MM-DD).")
@click.option("--max", "max_papers", type=click.IntRange(1), default=None, help="Stop after submitting this many.")
@click.option("--run/--no-run", "run_now", default=False, show_default=True,
              help="Also process the submitted papers here (embedded mode); otherwise workers pick them up.")
def crawl(query: str, since: date | None, until: date | None, max_papers: int | None, run_now: bool) -> None:
    """Find papers on arXiv (the Atom API), fetch their PDFs and submit each new one to the pipeline.

    One request every DLP2C_ARXIV_DELAY_S seconds (3 by default, as arXiv asks). The crawl's position is
    kept in the database: run the same command again to go on where it stopped. A paper is submitted
    once, whatever crawl finds it again.

    \b
    Examples:
      dlp2c crawl -q "cat:cs.CV AND abs:architecture" --since 2024-01-01 --until 2024-01-31 --max 200
      DLP2C_BUS_URL=kafka://broker:9092 dlp2c crawl -q "cat:cs.LG" --since 2024-06-01
    """
    from dlp2c.cli.pipeline import STAGE_NAMES, Pipeline
    from dlp2c.common.errors import Dlp2cError
    from dlp2c.crawler.crawl import Crawler

    try:
        pipeline = Pipeline.open(stages=STAGE_NAMES if run_now else ())
    except Dlp2cError as exc:
        _fail(exc)
    try:
        crawler = Crawler(pipeline.db, lambda pdf, source: pipeline.submit(pdf, source))
        report = crawler.crawl(query, since, until, max_papers,
                               on_paper=lambda r: err.print(f"\r{len(r.submitted)} submitted, {r.skipped} seen "
                                                            f"before, {len(r.failed)} failed of {r.total}", end=""))
        err.print()
        if run_now:
            for paper in report.submitted:
                row = pipeline.db.crawled(paper)
                jobs = pipeline.db.jobs_of(row["paper_id"]) if row else []
                if jobs:
                    pipeline.drain(jobs[-1]["id"])
    except Dlp2cError as exc:
        _fail(exc)
    finally:
        pipeline.close()
    out.print(f"{len(report.submitted)} papers submitted, {report.skipped} seen before, {len(report.failed)} failed; "
              f"{report.total} match; " + ("crawl complete" if report.done else "run again to go on"))
    for paper, reason in list(report.failed.items())[:20]:
        err.print(f"[yellow]{paper}[/] {reason}", highlight=False)
