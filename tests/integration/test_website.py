"""The website in a real browser (Playwright driving Debian's Chromium, headless): catalogue, paper,
design and code, log in, rate, edit (a Dropout dropped between two layers), the code changing, a broken
shape marked on its node and fixed, a version saved and found in the history, and hostile titles shown
as text. Screenshots of every step go to out/test-artifacts/website/."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dlp2c.cli.pipeline import Pipeline
from dlp2c.codegen.server import registration as codegen_service
from dlp2c.common.rpc import build_server
from dlp2c.common.settings import InfraSettings
from dlp2c.gateway.app import create_app
from dlp2c.gateway.server import BackgroundServer
from dlp2c.gateway.settings import GatewaySettings
from dlp2c.splitter.sample import write_sample

from .conftest import free_port

ROOT = Path(__file__).parents[2]
WEB = ROOT / "services" / "gateway" / "web"
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "out" / "test-artifacts" / "website"
XSS = "<script>alert(1)</script>"

pytestmark = [pytest.mark.xdist_group("tensorflow"), pytest.mark.browser]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Pipeline, str]]:
    if not CHROMIUM.is_file():
        pytest.fail("Debian's Chromium is missing: `make sysdeps` installs it (apt-get install chromium)")
    if not (WEB / "dist" / "index.html").is_file():
        subprocess.run(["make", "web"], cwd=ROOT, check=True)
    tmp = tmp_path_factory.mktemp("site")
    pipeline = Pipeline.open(InfraSettings(storage_url=(tmp / "store").as_uri(), db_url=f"sqlite:///{tmp / 'db'}",
                                           bus_url="memory://"), verify_code=False)
    job = pipeline.drain(pipeline.submit(write_sample(tmp / "tinynet.pdf").read_bytes(), "test").job_id)
    assert job["status"] == "done"
    pipeline.db.set_paper(job["paper_id"], title=f"TinyNet {XSS}")  # a hostile title, as a PDF could carry
    grpc_server, grpc_port = build_server([codegen_service()], free_port())
    grpc_server.start()
    stop = threading.Event()
    threads = pipeline.run_threads(stop)
    settings = GatewaySettings(web_dist=str(WEB / "dist"), codegen_target=f"127.0.0.1:{grpc_port}")
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with BackgroundServer(create_app(pipeline.storage, pipeline.db, pipeline.bus, settings), port=free_port()) as srv:
        yield srv.url, pipeline, job["paper_id"]
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    grpc_server.stop(grace=1)
    pipeline.close()


@pytest.fixture(scope="module")
def page(site: tuple[str, Pipeline, str]) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"])
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        tab = context.new_page()
        tab.dialogs = []
        tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
        tab.set_default_timeout(20_000)
        yield tab
        browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_visitor_reads_a_paper_logs_in_rates_and_edits(site: tuple, page) -> None:
    from playwright.sync_api import expect

    url, _pipeline, paper_id = site
    page.goto(url + "/")
    expect(page.get_by_test_id("papers")).to_contain_text(f"TinyNet {XSS}")  # as text, never as markup
    expect(page.locator("img.thumb")).to_have_attribute("src", re.compile(r"/figures/figure-1/overlay\.png$"))
    _shot(page, "01-catalogue")

    page.get_by_text(f"TinyNet {XSS}").click()
    expect(page.get_by_test_id("paper-title")).to_have_text(f"TinyNet {XSS}")
    expect(page.get_by_test_id("design")).to_have_count(2)
    table = page.locator("[data-source=table]")
    expect(table.get_by_test_id("code")).to_contain_text("import keras")
    expect(table.locator(".react-flow__node")).to_have_count(8)
    table.get_by_test_id("tab-pytorch").click()
    expect(table.get_by_test_id("code")).to_contain_text("nn.Module")
    expect(page.get_by_test_id("overlay")).to_be_visible()
    _shot(page, "02-paper")

    page.get_by_test_id("login-link").click()
    page.get_by_test_id("name").fill("ada")
    page.get_by_test_id("password").fill("correct horse battery")
    page.get_by_test_id("signup").click()
    expect(page.get_by_test_id("who")).to_contain_text("ada")
    _shot(page, "03-logged-in")

    page.goto(f"{url}/papers/{paper_id}")
    table = page.locator("[data-source=table]")
    table.get_by_test_id("star-4").click()
    expect(table.get_by_test_id("rating-summary")).to_have_text("4 (1)")
    _shot(page, "04-rated")

    table.get_by_test_id("edit-link").click()
    canvas = page.get_by_test_id("canvas")
    expect(canvas.locator(".react-flow__node")).to_have_count(8)
    expect(page.get_by_test_id("verdict")).to_contain_text("25,578 parameters")
    expect(page.get_by_test_id("editor-code")).not_to_contain_text("Dropout")
    flatten = canvas.get_by_test_id("node-Flatten").bounding_box()
    dense = canvas.get_by_test_id("node-Dense").bounding_box()
    middle = {"x": (flatten["x"] + flatten["width"] / 2 + dense["x"] + dense["width"] / 2) / 2,
              "y": (flatten["y"] + flatten["height"] / 2 + dense["y"] + dense["height"] / 2) / 2}
    box = canvas.bounding_box()
    page.get_by_test_id("palette-Dropout").drag_to(canvas, target_position={"x": middle["x"] - box["x"],
                                                                           "y": middle["y"] - box["y"]})
    expect(canvas.locator(".react-flow__node")).to_have_count(9)
    expect(canvas.locator(".react-flow__edge")).to_have_count(8)  # Flatten -> Dropout -> Dense
    expect(page.get_by_test_id("editor-code")).to_contain_text("Dropout")
    page.get_by_test_id("code-tab-pytorch").click()
    expect(page.get_by_test_id("editor-code")).to_contain_text("nn.Dropout")
    _shot(page, "05-dropout-inserted")

    canvas.get_by_test_id("node-Input").click()
    shape = page.get_by_test_id("param-shape")
    shape.fill("32, 32")  # no channels: the first convolution cannot take it
    shape.press("Enter")
    expect(canvas.get_by_test_id("node-error")).to_be_visible()
    expect(canvas.get_by_test_id("node-Conv2D").first).to_contain_text("Conv2D needs")
    expect(page.get_by_test_id("verdict")).to_contain_text("Conv2D")
    _shot(page, "06-shape-broken")
    shape.fill("32, 32, 3")
    shape.press("Enter")
    expect(canvas.get_by_test_id("node-error")).to_have_count(0)
    expect(page.get_by_test_id("verdict")).to_contain_text("parameters")

    page.get_by_test_id("undo").click()  # undo the fix: broken again; redo: fixed
    expect(canvas.get_by_test_id("node-error")).to_be_visible()
    page.get_by_test_id("redo").click()
    expect(canvas.get_by_test_id("node-error")).to_have_count(0)

    page.get_by_test_id("message").fill("dropout before the classifier")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("status")).to_have_text("saved as version 2")
    _shot(page, "07-saved")

    page.get_by_test_id("history-link").click()
    expect(page.get_by_test_id("version-2")).to_contain_text("dropout before the classifier")
    expect(page.get_by_test_id("version-2")).to_contain_text("ada")
    page.get_by_test_id("pick-1").check()
    page.get_by_test_id("pick-2").check()
    expect(page.get_by_test_id("diff")).to_contain_text("+ Dropout")
    _shot(page, "08-history")
    assert page.dialogs == []  # no script from a title or a name ever ran


def test_a_hostile_layer_name_is_text_in_the_editor(site: tuple, page) -> None:
    from playwright.sync_api import expect

    url, pipeline, paper_id = site
    design = next(d for d in pipeline.db.designs_of(paper_id) if d["source"] == "figure")
    page.goto(f"{url}/designs/{design['id']}/edit")
    canvas = page.get_by_test_id("canvas")
    canvas.get_by_test_id("node-Dense").first.click()
    page.get_by_test_id("param-name").fill(XSS)
    expect(canvas.get_by_test_id("node-Dense").first).to_contain_text(XSS)
    expect(page.get_by_test_id("editor-code")).to_contain_text("Dense")
    _shot(page, "09-hostile-name")
    assert page.dialogs == []


def _inception_v3(folder: Path):
    import keras
    from dlp2c.common.importers import load_model

    path = folder / "inception_v3.json"
    path.write_text(keras.applications.InceptionV3(weights=None).to_json())
    return load_model(path)


def test_a_300_node_design_opens_and_stays_editable(site: tuple, page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    url, pipeline, paper_id = site
    graph = _inception_v3(tmp_path)
    assert len(graph.nodes) >= 300
    key = f"papers/{paper_id}/designs/inception/graph.json"
    pipeline.storage.put(key, graph.dumps().encode())
    design = pipeline.db.add_design(paper_id, "user", "InceptionV3", "InceptionV3 (imported)", key, len(graph.nodes))
    page.goto(f"{url}/designs/{design}/edit")
    expect(page.get_by_test_id("verdict")).to_contain_text("23,851,784 parameters", timeout=60_000)
    canvas = page.get_by_test_id("canvas")
    assert canvas.locator(".react-flow__node").count() > 0
    canvas.get_by_test_id("node-Conv2D").first.click()
    filters = page.get_by_test_id("param-filters")
    before = filters.input_value()
    filters.fill(str(int(before) + 8))
    filters.press("Enter")
    expect(page.get_by_test_id("verdict")).not_to_contain_text("23,851,784", timeout=30_000)
    expect(page.get_by_test_id("verdict")).to_contain_text("parameters")
    page.get_by_test_id("layout").click()
    expect(page.get_by_test_id("verdict")).to_contain_text("parameters")
    _shot(page, "10-inception-v3")
