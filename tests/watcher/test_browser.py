"""The status page in headless Chromium (Debian's, through Playwright), on the embedded default:
local folder + local launcher running the real ``hotfolder work`` (the real posture pipeline on a
small synthetic clip from tests/data/synthetic).

The screenshots are kept in ``test-artifacts/`` (gitignored)."""

import shutil
import threading
import time
from pathlib import Path

import pytest

from config import load_settings
from pod_launcher.local_launcher import LocalLauncher
from watcher.daemon import WatcherService, build_context, run_watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TOKEN = "browser-test-token-0123456789"
CLIP = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "bodyA_side.mp4"


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def watcher(tmp_path):
    root = tmp_path / "hotfolder-data"
    settings = load_settings(
        local={"root": str(root)},
        drive={"settle_seconds": 2, "claim_pause": 0.5, "lease_seconds": 60},
        worker={"idle_grace": 1, "heartbeat": 1, "scratch_dir": str(root / "scratch")},
        watcher={"state_dir": str(root / "state"), "poll_seconds": 3600},  # polls only on "Check now"
        web={"host": "127.0.0.1", "port": 0, "token": TOKEN},
    )
    (root / "inbox").mkdir(parents=True)
    shutil.copy(CLIP, root / "inbox" / "assembly line 2.mp4")
    launcher = LocalLauncher(settings)  # `python -m hotfolder work`
    service = WatcherService(build_context(settings, launcher=launcher))
    stop = threading.Event()
    thread = threading.Thread(target=run_watch, args=(settings, service, stop), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while (service.web_server is None or service.last_result is None) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.web_server is not None, "the page did not start"
    yield service
    stop.set()
    thread.join(20)
    for w in launcher.list_workers():
        launcher.terminate(w.id)


# Every word in the page's table cells and buttons, and whether it is drawn on more than one line box.
SPLIT_WORDS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('td, th, button')) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /\\S+/g; let m;
      while ((m = re.exec(node.textContent))) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        if (tops.size > 1) out.push(m[0]);
      }
    }
  }
  return out;
}"""


def test_status_page_login_check_now_done_and_report(browser, watcher, tmp_path):
    url = watcher.web_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    # Without the token: every page and action is refused.
    anon = browser.new_context()
    page = anon.new_page()
    page.goto(url)
    assert page.url.endswith("/login")
    for path in ("check-now", "stop-workers", "retry/x.mp4"):
        assert page.request.post(url + path, form={"csrf": "guess"}).status == 403
    assert page.request.get(url + "api/status").status == 401
    page.fill("#token", "wrong-token")
    page.click("button[type=submit]")
    assert page.locator("text=Wrong token").is_visible()
    anon.close()

    # With the token, on a phone-sized screen.
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(url)
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(url)
    waiting = page.locator("#waiting")
    assert "assembly line 2.mp4" in waiting.inner_text()
    page.screenshot(path=str(ARTIFACTS / "watcher-status-pending.png"), full_page=True)

    time.sleep(2.5)  # let the video settle (drive.settle_seconds = 2)
    done = page.locator("#done tr[data-video='assembly line 2.mp4']")
    deadline = time.monotonic() + 120
    while not done.count() and time.monotonic() < deadline:
        page.click("#check-now")
        page.wait_for_load_state()
        assert "Checking the folder" in page.content() or done.count()
        time.sleep(1.5)
    assert done.count(), page.inner_text("main")
    assert "hotfolder-worker" in page.inner_text("#events")  # the launch is in the recent events
    assert "Overall:" in done.inner_text(), "the worker's key verdicts are shown"
    page.screenshot(path=str(ARTIFACTS / "watcher-status-done.png"), full_page=True)

    with page.expect_download() as dl:
        done.locator("a.report").click()
    saved = tmp_path / "report.xlsx"
    dl.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK", "the report link serves the Excel file"
    assert dl.value.suggested_filename.endswith(".xlsx")

    # Desktop-sized too: in a 1280-px window no word of a table cell or a button breaks across lines.
    page.set_viewport_size({"width": 1280, "height": 900})
    split = page.evaluate(SPLIT_WORDS)
    assert split == [], f"words broken across lines at 1280 px: {split}"
    page.screenshot(path=str(ARTIFACTS / "watcher-status-desktop.png"), full_page=True)
    ctx.close()
