"""``vforensics serve``: the API over real HTTP on this machine, with the uploads watcher standing in
for the EventBridge rule, and its Swagger UI rendered by a real browser (Debian's chromium)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile

import pytest
import requests

from vforensics.local.server import MAX_BODY_BYTES, ApiServer

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def server(engine):
    with ApiServer(engine, port=0, poll_s=0.2) as running:
        yield running


def test_an_upload_through_the_served_api_is_analysed_and_its_files_linked(server, root):
    ticket = requests.post(
        f"{server.url}/uploads", json={"file_name": "iphone4.jpg", "content_type": "image/jpeg"}, timeout=30
    )
    assert ticket.status_code == 201, ticket.text
    form = ticket.json()
    data = (root / "samples" / "iphone4.jpg").read_bytes()
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("iphone4.jpg", data)}, timeout=30)
    assert posted.status_code in (200, 201, 204), posted.text

    deadline, status = time.monotonic() + 300, {}
    while time.monotonic() < deadline:
        status = requests.get(f"{server.url}{form['status_url']}", timeout=30).json()
        if status["status"] in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.5)
    assert status["status"] == "COMPLETED", status
    archive = requests.get(status["links"]["report.zip"], timeout=30)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        assert json.loads(zipped.read("report.json"))["id"] == status["analysis_id"]


def test_a_body_over_the_lambda_limit_is_refused_unread(server):
    answer = requests.post(
        f"{server.url}/metadata",
        data=b"x" * (MAX_BODY_BYTES + 1),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "FILE_TOO_LARGE"


def test_swagger_ui_renders_every_route_offline_in_a_real_browser(server):
    if CHROMIUM is None:
        if os.environ.get("VF_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required (VF_REQUIRE_BROWSER=1): apt-get install chromium")
        pytest.skip("Debian's chromium is not installed (make browser)")
    page = requests.get(f"{server.url}/docs", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "https://" not in page.text.split("<script>", 1)[0], "the page loads something from the network"
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom", f"{server.url}/docs"],
            capture_output=True, text=True, timeout=120,
        ).stdout  # fmt: skip
    assert "Visual Forensics API" in dom, dom[-2000:]
    for path in ("/uploads/{upload_id}", "/analyses/{analysis_id}", "/metadata", "/compare", "/health"):
        assert f'data-path="{path}"' in dom, path
