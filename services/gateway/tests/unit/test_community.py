"""The website's API over a real HTTP server: accounts and sessions, CSRF, ratings, versions, diffs,
publishing, the catalogue, and the editor's checks and imports."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dlp2c.common.bus import MemoryBus
from dlp2c.common.db import Database
from dlp2c.common.events import Topic, decode
from dlp2c.common.graph import Graph
from dlp2c.common.storage import FileStorage
from dlp2c.gateway.app import create_app
from dlp2c.gateway.server import BackgroundServer
from dlp2c.gateway.settings import GatewaySettings

PAPER = "b" * 64


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graph(units: int = 8) -> Graph:
    graph = Graph("net")
    x = graph.add("Input", {"shape": [16]}, id="in")
    x = graph.add("Dense", {"units": units}, inputs=[x], id="fc1", name="fc1")
    graph.add("Dense", {"units": 2}, inputs=[x], id="out", name="scores")
    return graph


class Site:
    def __init__(self, tmp: Path) -> None:
        self.bus = MemoryBus()
        self.db = Database(f"sqlite:///{tmp / 'db.sqlite'}")
        self.storage = FileStorage(tmp / "store")
        self.db.submit(PAPER, "k")
        self.db.set_paper(PAPER, status="tables_read", title="A <script>alert(1)</script> Network",
                          authors=["Ada Lovelace"], arxiv_id="1409.1556")
        key = f"papers/{PAPER}/designs/d/graph.json"
        self.storage.put(key, _graph().dumps().encode())
        self.design = self.db.add_design(PAPER, "table", "Table 1", "Table 1", key, 3)
        self.server = BackgroundServer(create_app(self.storage, self.db, self.bus, GatewaySettings()), port=_port())

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=10)

    def logged_in(self, name: str = "ada") -> tuple[httpx.Client, str]:
        http = self.client()
        http.post("/v1/auth/signup", json={"name": name, "password": "correct horse"})
        body = http.post("/v1/auth/login", json={"name": name, "password": "correct horse"}).json()
        return http, body["csrf"]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    s = Site(tmp_path)
    with s.server:
        yield s


def test_sign_up_log_in_and_sessions(site: Site) -> None:
    http = site.client()
    assert http.post("/v1/auth/signup", json={"name": "ada", "password": "correct horse"}).status_code == 201
    assert http.post("/v1/auth/signup", json={"name": "ada", "password": "another one"}).status_code == 409
    assert http.post("/v1/auth/signup", json={"name": "<b>", "password": "correct horse"}).status_code == 400
    assert http.post("/v1/auth/login", json={"name": "ada", "password": "wrong pass"}).status_code == 401
    assert http.get("/v1/auth/me").status_code == 401
    login = http.post("/v1/auth/login", json={"name": "ada", "password": "correct horse"})
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    me = http.get("/v1/auth/me").json()
    assert me["user"]["name"] == "ada" and me["csrf"] == login.json()["csrf"]
    assert http.post("/v1/auth/logout").status_code == 403  # no CSRF token
    assert http.post("/v1/auth/logout", headers={"X-CSRF-Token": me["csrf"]}).status_code == 200
    assert http.get("/v1/auth/me").status_code == 401
    with site.db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
    assert stored.startswith("scrypt$") and "correct horse" not in stored


def test_one_rating_per_user_and_csrf(site: Site) -> None:
    ada, csrf = site.logged_in("ada")
    url = f"/v1/designs/{site.design}/rating"
    assert ada.put(url, json={"stars": 4}).status_code == 403
    assert site.client().put(url, json={"stars": 4}, headers={"X-CSRF-Token": csrf}).status_code == 401
    assert ada.put(url, json={"stars": 4}, headers={"X-CSRF-Token": csrf}).json() == {
        "count": 1, "average": 4.0, "mine": 4}
    assert ada.put(url, json={"stars": 2}, headers={"X-CSRF-Token": csrf}).json()["count"] == 1
    bob, bob_csrf = site.logged_in("bob")
    assert bob.put(url, json={"stars": 5}, headers={"X-CSRF-Token": bob_csrf}).json() == {
        "count": 2, "average": 3.5, "mine": 5}
    assert bob.put(url, json={"stars": 6}, headers={"X-CSRF-Token": bob_csrf}).status_code == 422
    assert site.client().get(url).json()["mine"] is None


def test_versions_diffs_and_publishing(site: Site) -> None:
    ada, csrf = site.logged_in()
    url = f"/v1/designs/{site.design}/versions"
    edited = _graph(units=32).to_json()
    edited["nodes"].insert(2, {"id": "drop", "op": "Dropout", "params": {"rate": 0.5}})
    edited["edges"] = [{"src": "in", "dst": "fc1"}, {"src": "fc1", "dst": "drop"}, {"src": "drop", "dst": "out"}]
    saved = ada.post(url, json={"graph": edited, "message": "wider, with dropout"}, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 201 and saved.json()["version"] == 2 and saved.json()["params"] == 16 * 32 + 32 + 66
    broken = json.loads(json.dumps(edited))
    broken["nodes"][0]["params"]["shape"] = [4, 4, 4]
    refused = ada.post(url, json={"graph": broken}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 400 and "fc1" in refused.json()["error"]["where"]
    history = site.client().get(url).json()
    assert history["published"] == 1
    assert [(v["version"], v["author"]) for v in history["versions"]] == [(1, "dlp2c"), (2, "ada")]
    diff = site.client().get(f"/v1/designs/{site.design}/diff?a=1&b=2").json()
    assert diff["added"] == [{"id": "drop", "op": "Dropout", "name": None}]
    assert diff["changed"] == [{"id": "fc1", "changes": {"params.units": [8, 32]}}]
    assert ["fc1", "drop"] in diff["edges_added"] and ["fc1", "out"] in diff["edges_removed"]
    assert ada.post(f"/v1/designs/{site.design}/publish", json={"version": 2},
                    headers={"X-CSRF-Token": csrf}).status_code == 200
    assert site.db.design(site.design)["version"] == 2
    [event] = [decode(m.value).design_found for m in site.bus.messages(Topic.DESIGNS)]
    assert event.design_id == site.design and "/versions/" in event.graph_key


def test_the_catalogue_searches_and_sorts(site: Site) -> None:
    for k in range(3):
        paper = str(k) * 64
        site.db.submit(paper, "k")
        site.db.set_paper(paper, status="tables_read", title=f"Paper {k}", authors=[f"Author {k}"])
    http = site.client()
    everything = http.get("/v1/catalogue").json()
    assert everything["total"] == 4 and everything["papers"][0]["title"] == "Paper 2"
    assert [p["id"] for p in http.get("/v1/catalogue?q=lovelace").json()["papers"]] == [PAPER]
    assert http.get("/v1/catalogue?q=1409.1556").json()["total"] == 1
    ada, csrf = site.logged_in()
    ada.put(f"/v1/designs/{site.design}/rating", json={"stars": 5}, headers={"X-CSRF-Token": csrf})
    best = http.get("/v1/catalogue?sort=rating").json()["papers"][0]
    assert best["id"] == PAPER and best["rating"] == 5.0 and best["votes"] == 1
    assert http.get("/v1/catalogue?sort=nonsense").status_code == 422
    page = http.get("/v1/catalogue?limit=2&offset=2").json()
    assert len(page["papers"]) == 2 and page["total"] == 4
    assert best["title"] == "A <script>alert(1)</script> Network"  # data, escaped by whoever renders it
    assert best["thumbnail"] is None  # no figure was read in this paper
    site.db.add_figures(PAPER, [{"figure_id": "figure-2", "label": "Figure 2", "status": "read",
                                 "overlay_key": "o.png"}])
    best = http.get("/v1/catalogue?sort=rating").json()["papers"][0]
    assert best["thumbnail"] == f"/v1/papers/{PAPER}/figures/figure-2/overlay.png"


def test_the_editor_check_names_the_broken_node(site: Site) -> None:
    http = site.client()
    ok = http.post("/v1/editor/check", json={"graph": _graph().to_json()}).json()
    assert ok["valid"] and ok["shapes"]["out"] == [2] and ok["params"] == 16 * 8 + 8 + 18
    broken = _graph().to_json()
    broken["nodes"][0]["params"]["shape"] = [4, 4, 4]
    bad = http.post("/v1/editor/check", json={"graph": broken}).json()
    assert not bad["valid"] and bad["error"]["node"] == "fc1" and "Flatten" in bad["error"]["hint"]


def test_the_editor_imports_model_files(site: Site) -> None:
    prototxt = Path(__file__).parents[4] / "libs/cli/src/dlp2c/cli/examples/lenet5.prototxt"
    http = site.client()
    imported = http.post("/v1/editor/import", files={"model": ("../../etc/lenet.prototxt", prototxt.read_bytes())})
    assert imported.status_code == 200 and imported.json()["valid"] and imported.json()["params"] == 61_706
    refused = http.post("/v1/editor/import", files={"model": ("model.exe", b"MZ")})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_file"
