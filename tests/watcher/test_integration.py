"""The watcher end to end with the real adapters: Drive emulator + DriveStore, RunPod emulator + the
real runpod SDK, a real SMTP server. Pods run ``hotfolder work`` with the quick analyzer
(tests/support/quick_worker.py: the real worker loop and storage protocol, a fast stand-in for
the posture pipeline) so the test is about the watcher, not about MediaPipe's speed."""

import base64
import sys

import pytest

from config import load_settings
from tests.support.runpod_emulator import RunpodEmulator
from tests.support.smtp_server import SmtpServer
from watcher.daemon import WatcherService, build_context, run_once
from watcher.poll import poll

pytestmark = pytest.mark.slow


def secret_ref(rp, token) -> str:
    """The Drive token as a RunPod secret (the default way it reaches pods); returns its reference."""
    rp.secrets["hf_drive_token"] = base64.b64encode(token.read_bytes()).decode()
    return "{{ RUNPOD_SECRET_hf_drive_token }}"


def test_three_videos_one_launch_three_done_mails_and_no_resend(drive_emulator, tmp_path, monkeypatch):
    emu = drive_emulator
    token = tmp_path / "drive-token.json"
    emu.write_token(token)
    for i in range(3):
        emu.add_file(f"station {i + 1}.mp4", f"video {i}".encode() * 100)
    quick = [sys.executable, "-m", "tests.support.quick_worker"]
    with RunpodEmulator(tmp_path / "runpod", command=quick) as rp, SmtpServer(tmp_path) as smtp:
        monkeypatch.setenv("RUNPOD_API_BASE_URL", rp.url)
        settings = load_settings(
            storage={"backend": "drive"},
            drive=emu.drive_settings(token, settle_seconds=1, lease_seconds=60, claim_pause=0.5),
            launcher={"backend": "runpod", "max_workers": 1, "idle_timeout": 300},
            runpod={"api_key": rp.api_key, "image": "hotfolder:test", "drive_token_secret": secret_ref(rp, token)},
            worker={"idle_grace": 1, "heartbeat": 2},
            mail=smtp.mail_settings(),
            watcher={"state_dir": str(tmp_path / "state"), "poll_seconds": 1, "once_timeout": 240},
            web={"enabled": False},
        )
        lines: list[str] = []
        code = run_once(settings, WatcherService(build_context(settings)), out=lines.append)
        pod_logs = rp.logs()
        assert code == 0, "\n".join(lines) + "\n" + pod_logs
        assert len(rp.creates()) == 1, "one launch for three videos"
        assert rp.pods == {}, "no worker alive at the end: every pod was terminated (nothing bills)"
        [pod_id] = rp.terminated
        rp.wait_terminated(pod_id, timeout=30)  # and its container has stopped
        assert sum(line.startswith("done") for line in lines) == 3, lines
        assert all("https://drive.google.com/file/d/" in line for line in lines if line.startswith("done"))

        msgs = smtp.wait_for(4)
        kinds = sorted(m["X-Hotfolder-Event"].split(":")[0] for m in msgs)
        assert kinds == ["done", "done", "done", "started"], [m["Subject"] for m in msgs]
        done_subjects = sorted(m["Subject"] for m in msgs if m["X-Hotfolder-Event"].startswith("done"))
        assert done_subjects == [f"[hotfolder] Report ready: station {i}.mp4" for i in (1, 2, 3)]

        # A restarted watcher: nothing new to say, nothing sent again, nothing launched.
        ctx = build_context(settings)
        for _ in range(2):
            r = poll(ctx)
            assert r.error is None and r.launched == [] and r.outcomes == []
        ctx.history.close()
        assert len(smtp.wait_for(5, timeout=1.0)) == 4
        assert len(rp.creates()) == 1


def test_growing_video_on_drive_is_not_launched_for_until_settled(drive_emulator, tmp_path, monkeypatch):
    from tests.watcher.fakes import Clock

    emu = drive_emulator
    token = tmp_path / "drive-token.json"
    emu.write_token(token)
    vid = emu.add_file("still uploading.mp4", b"x" * 1000)
    quick = [sys.executable, "-m", "tests.support.quick_worker"]
    with RunpodEmulator(tmp_path / "runpod", command=quick) as rp:
        monkeypatch.setenv("RUNPOD_API_BASE_URL", rp.url)
        settings = load_settings(
            storage={"backend": "drive"}, drive=emu.drive_settings(token, settle_seconds=30),
            launcher={"backend": "runpod"}, runpod={"api_key": rp.api_key, "image": "hotfolder:test", "drive_token_secret": secret_ref(rp, token)},
            watcher={"state_dir": str(tmp_path / "state")}, web={"enabled": False},
        )
        clock = Clock()
        ctx = build_context(settings, clock=clock)
        for size in range(2, 8):  # a sync client appending: a new size (and checksum) every poll
            emu.set_content(vid, b"x" * (1000 * size))
            clock.advance(20)
            r = poll(ctx)
            assert r.launched == [] and [v.name for v in r.unsettled] == ["still uploading.mp4"]
        clock.advance(29)
        assert poll(ctx).launched == [], "unchanged for 29 s < drive.settle_seconds"
        assert rp.creates() == []
        clock.advance(2)
        r = poll(ctx)
        assert len(r.launched) == 1 and len(rp.creates()) == 1
        ctx.launcher.terminate(r.launched[0].id)
        ctx.history.close()
