import logging
from types import SimpleNamespace as NS

import pytest

from config import load_settings
from tests.support.smtp_server import SmtpServer, free_port
from watcher.history import History
from watcher.mailer import Notifier, format_duration


def notifier(mail_settings: dict, history: History, server: SmtpServer | None = None) -> Notifier:
    settings = load_settings(mail=mail_settings)
    ctx = server.client_context() if server and server.cert else None
    return Notifier(settings.mail, history, web_url="http://watcher.example.test/", ssl_context=ctx)


def done_mail(n: Notifier, key="done:v1:1", name="line 3 <left>.mp4"):
    return n.render("video_done", key, video=NS(name=name), report_link="https://drive.google.com/file/d/R1/view",
                    report_name=None, verdicts=["Overall: conditionally acceptable"], done_folder="Done")


def test_done_mail_has_text_and_html_and_reaches_every_recipient(tmp_path):
    with SmtpServer(tmp_path) as server:
        h = History(None)
        n = notifier(server.mail_settings(), h, server)
        assert h.enqueue_mail(done_mail(n))
        assert n.flush() == 1
        [msg] = server.wait_for(1)
        assert msg["Subject"] == "[hotfolder] Report ready: line 3 <left>.mp4"
        assert msg["X-Hotfolder-Event"] == "done:v1:1"
        assert server.envelopes[0] == ("hotfolder@example.test", ["safety@example.test", "lead@example.test"])
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "https://drive.google.com/file/d/R1/view" in text and "conditionally acceptable" in text
        assert "line 3 &lt;left&gt;.mp4" in html and "<left>" not in html, "names are escaped in HTML"
        assert n.flush() == 0, "a sent message is not sent again"
    assert len(server.messages) == 1


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_and_login(tmp_path, tls):
    with SmtpServer(tmp_path, tls=tls, auth=("robot", "s3cret-password")) as server:
        h = History(None)
        n = notifier(server.mail_settings(username="robot", password="s3cret-password"), h, server)
        h.enqueue_mail(done_mail(n))
        assert n.flush() == 1
        assert len(server.wait_for(1)) == 1


def test_wrong_password_is_logged_and_retried(tmp_path, caplog):
    with SmtpServer(tmp_path, tls="starttls", auth=("robot", "right-password")) as server:
        h = History(None)
        n = notifier(server.mail_settings(username="robot", password="wrong-password"), h, server)
        n.timeout = 3  # smtplib tries every AUTH mechanism; aiosmtpd stalls on the last one
        h.enqueue_mail(done_mail(n))
        with caplog.at_level(logging.WARNING):
            assert n.flush() == 0
        assert "retried" in caplog.text and "wrong-password" not in caplog.text
        assert [m.attempts for m in h.unsent_mail()] == [1]


def test_server_down_then_up_sends_each_message_once(tmp_path, caplog):
    h = History(None)
    port = free_port()
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "sender": "hf@example.test",
                "recipients": ["a@example.test"]}
    n = notifier(settings, h)
    h.enqueue_mail(done_mail(n, "done:a:1", "a.mp4"))
    h.enqueue_mail(done_mail(n, "done:b:1", "b.mp4"))
    with caplog.at_level(logging.WARNING):
        assert n.flush() == 0  # nobody listens: logged, kept
    assert "will be retried on the next poll" in caplog.text
    assert len(h.unsent_mail()) == 2

    server = SmtpServer(tmp_path)
    server.port = port
    server.controller.port = port
    with server:
        server.reject_next = 1  # the first message gets a temporary 451
        assert n.flush() == 1
        assert n.flush() == 1
        assert n.flush() == 0
        msgs = server.wait_for(2)
    assert sorted(m["X-Hotfolder-Event"] for m in msgs) == ["done:a:1", "done:b:1"]


def test_without_host_notifications_go_to_the_log(caplog):
    h = History(None)
    n = notifier({}, h)
    assert not n.enabled
    h.enqueue_mail(done_mail(n))
    with caplog.at_level(logging.INFO, logger="hotfolder.mail"):
        n.flush()
    assert "Report ready: line 3 <left>.mp4" in caplog.text
    assert h.unsent_mail() == []


def test_every_kind_renders():
    h = History(None)
    n = notifier({"recipients": ["a@example.test"]}, h)
    w = NS(id="pod-1", name="hotfolder-worker-1", gpu_type="NVIDIA L4", cost_per_hour=0.44, uptime_s=5400.0,
           cost_estimate=0.66)
    started = n.render("batch_started", "k1", worker=w, videos=[NS(name="a.mp4"), NS(name="b.mp4")])
    assert "2 videos" in started.subject and "NVIDIA L4" in started.text_body and "b.mp4" in started.html_body
    failed = n.render("video_failed", "k2", video=NS(name="x.mp4"), reason="not a video: no video stream",
                      attempts=1, advice="Export it again.", failed_folder="Failed")
    assert "not a video" in failed.text_body and "Export it again." in failed.text_body
    assert "x.mp4 - error.txt" in failed.text_body and "Retry" in failed.text_body
    reaped = n.render("worker_reaped", "k3", worker=w, reason="idle", reason_text="no lease renewed for 900 s")
    assert "1 h 30 min" in reaped.text_body and "$0.66" in reaped.text_body
    assert format_duration(75) == "1 min 15 s"
