"""`dlp2c run`: the sample paper in, a figure read and fused with its table, code for every target
built and run, a report; the same PDF again runs nothing; a bad file is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from dlp2c.cli.main import cli
from dlp2c.common.bus import MemoryBus
from dlp2c.common.events import Topic, decode
from dlp2c.common.settings import InfraSettings

pytestmark = pytest.mark.xdist_group("tensorflow")


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("paper") / "tinynet.pdf"
    assert CliRunner().invoke(cli, ["sample", str(path)]).exit_code == 0
    return path


@pytest.fixture(scope="module")
def finished(sample_pdf: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("run") / "tinynet"
    result = CliRunner().invoke(cli, ["run", str(sample_pdf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "paper.json").read_text())


def test_the_figure_is_read_and_fused_with_the_table(finished: tuple[Path, dict]) -> None:
    out, summary = finished
    assert summary["paper"]["title"].startswith("TinyNet") and summary["paper"]["status"] == "tables_read"
    [figure] = summary["figures"]
    assert figure["status"] == "read" and figure["style"] == "box2d" and figure["layers"] >= 7
    assert (out / figure["overlay"]).is_file()
    designs = {d["source"]: d for d in summary["designs"]}
    assert set(designs) == {"table", "figure"}
    assert designs["figure"]["params"] == designs["table"]["params"] == 25_578
    assert "hyper-parameters from Table 1" in designs["figure"]["notes"]


def test_every_target_was_written_and_ran(finished: tuple[Path, dict]) -> None:
    out, summary = finished
    for design in summary["designs"]:
        folder = out / design["folder"]
        assert design["status"] == "generated" and design["failed_targets"] == []
        assert {t for t, c in design["checks"].items() if c["ok"]} == {"keras", "caffe", "pytorch", "onnx"}
        assert (folder / "keras" / "model.py").is_file() and (folder / "caffe" / "deploy.prototxt").is_file()
        assert (folder / "graph.json").is_file() and (folder / "code.zip").is_file()


def test_the_report_shows_the_paper(finished: tuple[Path, dict]) -> None:
    out, _ = finished
    page = (out / "report.html").read_text()
    assert "TinyNet: A Small Convolutional Network" in page and "figures/figure-1.overlay.png" in page
    assert page.count("ran</span>") == 8  # 2 designs x 4 targets


def test_the_same_pdf_again_runs_nothing(sample_pdf: Path, finished: tuple[Path, dict]) -> None:
    out, summary = finished
    result = CliRunner().invoke(cli, ["run", str(sample_pdf), "-o", str(out), "--no-verify"])
    assert result.exit_code == 0 and "processed before" in result.output
    assert json.loads((out / "paper.json").read_text())["designs"] == summary["designs"]


def test_a_file_that_is_not_a_pdf_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.pdf"
    bad.write_text("just text")
    result = CliRunner().invoke(cli, ["run", str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "not a PDF" in result.output


def test_a_truncated_pdf_fails_its_job_with_the_reason(sample_pdf: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(sample_pdf.read_bytes()[:900])
    result = CliRunner().invoke(cli, ["run", str(broken), "-o", str(tmp_path / "out"), "--no-verify"])
    assert result.exit_code == 2, result.output
    summary = json.loads((tmp_path / "out" / "paper.json").read_text())
    assert summary["paper"]["status"] == "failed" and summary["paper"]["error"]


def test_the_pipeline_publishes_each_finished_design(sample_pdf: Path, tmp_path: Path) -> None:
    from dlp2c.cli.pipeline import Pipeline

    settings = InfraSettings(storage_url=(tmp_path / "store").as_uri(), db_url=f"sqlite:///{tmp_path / 'db'}",
                             bus_url="memory://")
    pipeline = Pipeline.open(settings, verify_code=False)
    try:
        job = pipeline.submit(sample_pdf.read_bytes(), "test")
        assert pipeline.drain(job.job_id)["status"] == "done"
        assert isinstance(pipeline.bus, MemoryBus)
        finished = [decode(m.value) for m in pipeline.bus.messages(Topic.FINISHED)]
        assert len(finished) == 2 and all(e.trace_id == job.trace_id for e in finished)
        for event in finished:
            keys = event.design_finished.code_keys
            assert pipeline.storage.exists(keys["all"]) and pipeline.storage.exists(event.design_finished.graph_key)
            assert set(keys) == {"all", "keras", "caffe", "pytorch", "onnx"}
        assert pipeline.bus.messages(Topic.DEAD) == []
    finally:
        pipeline.close()
