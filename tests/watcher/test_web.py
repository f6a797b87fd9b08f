import os
import re
import stat
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from config import load_settings
from watcher import overview as ov
from watcher.web import create_app, web_token

TOKEN = "test-token-0123456789"


class FakeActions:
    def __init__(self, report_path=None):
        self.calls: list[tuple] = []
        self.report_path = report_path
        now = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
        self.data = ov.Overview(
            now,
            [ov.VideoRow("v1", "waiting <b>.mp4", "pending"),
             ov.VideoRow("v2", "busy.mp4", "processing", progress=42, worker="pod-1"),
             ov.VideoRow("v3", "ok.mp4", "done", report_id="ok - report.xlsx", report_link="/x/ok - report.xlsx",
                         verdicts=["Overall: acceptable"]),
             ov.VideoRow("v4", "bad.mp4", "failed", attempts=1, error="not a video")],
            [ov.WorkerRow("pod-1", "hotfolder-worker-1", "RUNNING", "NVIDIA L4", 0.48, 3600.0, 0.48, now)],
            [ov.EventRow(now, "launched", "worker hotfolder-worker-1 launched")],
        )

    def overview(self):
        return self.data

    def check_now(self):
        self.calls.append(("check_now",))
        return "Checking the folder now."

    def retry(self, file_id):
        self.calls.append(("retry", file_id))
        return f"{file_id} is back in the queue."

    def stop_workers(self):
        self.calls.append(("stop_workers",))
        return "Stopped 1 worker(s)."

    def report_file(self, report_id):
        self.calls.append(("report_file", report_id))
        return self.report_path


@pytest.fixture
def actions(tmp_path):
    report = tmp_path / "ok - report.xlsx"
    report.write_bytes(b"PK\x03\x04 fake xlsx")
    return FakeActions(report)


@pytest.fixture
def client(actions):
    return TestClient(create_app(actions, TOKEN), base_url="http://127.0.0.1")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client) -> str:
    page = client.get("/login")
    r = client.post("/login", data={"token": TOKEN, "csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    return csrf_of(client.get("/").text)


def test_without_login_everything_is_refused(client, actions):
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    for path in ("/check-now", "/retry/v4", "/stop-workers"):
        assert client.post(path, data={"csrf": "x"}).status_code == 403
    assert client.get("/reports/ok - report.xlsx").status_code == 403
    assert client.get("/api/status").status_code == 401
    assert client.get("/api/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
    for path in ("/api/check-now", "/api/retry/v4", "/api/stop-workers"):
        assert client.post(path).status_code == 401
    assert actions.calls == []


def test_wrong_token_is_refused(client):
    page = client.get("/login")
    r = client.post("/login", data={"token": "nope", "csrf": csrf_of(page.text)})
    assert r.status_code == 401 and "Wrong token" in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_without_csrf_is_refused(client):
    client.get("/login")
    assert client.post("/login", data={"token": TOKEN}).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_page_shows_every_section_escaped_and_phone_ready(client):
    login(client)
    html = client.get("/").text
    assert 'name="viewport"' in html
    assert "waiting &lt;b&gt;.mp4" in html and "<b>.mp4" not in html
    assert "42 %" in html and "hotfolder-worker-1" in html and "NVIDIA L4" in html
    assert 'href="/reports/ok%20-%20report.xlsx"' in html and "Overall: acceptable" in html
    assert "not a video" in html and 'action="/retry/v4"' in html
    assert "1 h 00 min" in html and "$0.48" in html
    assert "worker hotfolder-worker-1 launched" in html


def test_actions_need_the_session_csrf_token(client, actions):
    csrf = login(client)
    assert client.post("/check-now", data={}).status_code == 403
    assert client.post("/check-now", data={"csrf": "forged"}).status_code == 403
    assert actions.calls == []
    r = client.post("/check-now", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert "Checking the folder now." in client.get("/").text  # flash message
    client.post("/retry/v4", data={"csrf": csrf})
    client.post("/stop-workers", data={"csrf": csrf})
    assert actions.calls == [("check_now",), ("retry", "v4"), ("stop_workers",)]


def test_report_download_and_logout(client, actions):
    csrf = login(client)
    r = client.get("/reports/ok - report.xlsx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    client.post("/logout", data={"csrf": csrf})
    assert client.get("/reports/ok - report.xlsx").status_code == 403
    assert client.post("/check-now", data={"csrf": csrf}).status_code == 403


def test_json_api_with_bearer_token(client, actions):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    data = client.get("/api/status", headers=auth).json()
    assert data["counts"] == {"waiting": 0, "pending": 1, "processing": 1, "done": 1, "failed": 1}
    assert data["videos"][1]["progress"] == 42 and data["workers"][0]["gpu_type"] == "NVIDIA L4"
    assert data["at"] == "2026-11-22T08:00:00.000000Z"
    assert client.post("/api/check-now", headers=auth).json() == {"message": "Checking the folder now."}
    assert client.post("/api/retry/v4", headers=auth).status_code == 200
    assert actions.calls == [("check_now",), ("retry", "v4")]


def test_session_cookie_is_strict_and_httponly(client):
    r = client.get("/login")
    cookie = r.headers["set-cookie"].lower()
    assert "samesite=strict" in cookie and "httponly" in cookie


def test_generated_token_is_written_0600_and_reused(tmp_path):
    settings = load_settings(watcher={"state_dir": str(tmp_path / "state")})
    token = web_token(settings)
    path = tmp_path / "state" / "web-token"
    assert path.read_text().strip() == token and len(token) >= 24
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert web_token(settings) == token
    configured = load_settings(web={"token": "from-config-123456"}, watcher={"state_dir": str(tmp_path / "s2")})
    assert web_token(configured) == "from-config-123456"
    assert not (tmp_path / "s2" / "web-token").exists()
