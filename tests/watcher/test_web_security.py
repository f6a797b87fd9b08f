"""The page's sessions, login throttling, cookies behind TLS, local times, verdict colours and API
status codes (issue 16)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from fastapi.testclient import TestClient

from tests.watcher.test_web import TOKEN, FakeActions
from watcher.web import ActionError, LoginThrottle, create_app, format_when, verdict_class


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _login(client: TestClient, token: str = TOKEN):
    page = client.get("/login")
    return client.post("/login", data={"token": token, "csrf": _csrf(page.text)}, follow_redirects=False)


def test_logout_ends_the_session_on_the_server_even_for_a_copied_cookie(tmp_path):
    client = TestClient(create_app(FakeActions(), TOKEN))
    assert _login(client).status_code == 303
    copied = dict(client.cookies)
    page = client.get("/")
    assert page.status_code == 200
    client.post("/logout", data={"csrf": _csrf(page.text)}, follow_redirects=False)
    thief = TestClient(client.app, cookies=copied)
    assert thief.get("/", follow_redirects=False).status_code == 303  # back to the login page
    assert thief.get("/api/status").status_code == 401


def test_wrong_tokens_are_throttled_per_address():
    clock = [1000.0]
    app = create_app(FakeActions(), TOKEN, throttle=LoginThrottle(limit=5, window=60, clock=lambda: clock[0]))
    client = TestClient(app)
    codes = [_login(client, "wrong").status_code for _ in range(30)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    r = _login(client)  # even the right token waits: the address is blocked for the window
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    clock[0] += 61
    assert _login(client).status_code == 303


def test_cookie_is_secure_behind_tls_only():
    plain = TestClient(create_app(FakeActions(), TOKEN))
    assert "secure" not in _login(plain).headers["set-cookie"].lower()
    tls = TestClient(create_app(FakeActions(), TOKEN, secure_cookie=True), base_url="https://testserver")
    cookie = _login(tls).headers["set-cookie"].lower()
    assert "; secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_times_in_the_configured_zone_and_verdicts_coloured():
    t = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
    assert format_when(t, __import__("zoneinfo").ZoneInfo("Europe/Prague")) == "2026-11-22 09:00:00 CET"
    client = TestClient(create_app(FakeActions(), TOKEN, zone="Europe/Prague"))
    _login(client)
    html = client.get("/").text
    assert "09:00:00 CET" in html and "UTC" not in html
    assert '<li class="verdict good">Overall: acceptable</li>' in html
    assert verdict_class("Trunk: conditionally acceptable") == "neutral"
    assert verdict_class("Neck: unacceptable") == "bad" and verdict_class("Arms: category 3") == "bad"


class FailingActions(FakeActions):
    def retry(self, file_id):
        raise ActionError(f"Could not retry {file_id}: gone", 404)

    def stop_workers(self):
        raise ActionError("Could not list workers: 503", 502)


def test_failed_api_actions_answer_4xx_5xx_and_the_page_shows_why():
    client = TestClient(create_app(FailingActions(), TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = client.post("/api/retry/x.mp4", headers=auth)
    assert r.status_code == 404 and "gone" in r.json()["error"]
    assert client.post("/api/stop-workers", headers=auth).status_code == 502
    assert client.post("/api/check-now", headers=auth).status_code == 200
    _login(client)
    page = client.get("/")
    r = client.post("/retry/x.mp4", data={"csrf": _csrf(page.text)})
    assert r.status_code == 200 and "Could not retry x.mp4" in r.text
