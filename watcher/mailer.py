"""E-mail notifications: rendered from Jinja2 templates into the history's outbox, sent over SMTP.

Rendering and queueing happen when the watcher notices an event (in the same transaction as the
state change, see ``History.record_state``); ``Notifier.flush`` then sends whatever is unsent. A
failed send is logged and retried on a later poll: mail never blocks processing. Without
``[mail] host`` the messages go to the log instead.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import jinja2

from config.settings import MailSettings
from drive.model import utcnow
from watcher.history import History, Mail, OutboxMessage

log = logging.getLogger("hotfolder.mail")

TEMPLATES = Path(__file__).parent / "templates" / "mail"
KINDS = ("batch_started", "video_done", "video_failed", "worker_reaped", "digest")
SMTP_TIMEOUT = 30.0
# After this many failed sends a message is given up (logged once more) so the outbox cannot grow forever.
MAX_ATTEMPTS = 20


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=False,  # the html block turns autoescaping on itself
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda v: "n/a" if v is None else f"${v:,.2f}"
    env.filters["duration"] = format_duration
    env.filters["when"] = lambda t: t.strftime("%Y-%m-%d %H:%M UTC") if t else "n/a"
    return env


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h {m:02d} min" if h else (f"{m} min {s:02d} s" if m else f"{s} s")


class Notifier:
    """Renders notifications and delivers the outbox."""

    def __init__(self, settings: MailSettings, history: History, web_url: str | None = None, clock=utcnow,
                 ssl_context: ssl.SSLContext | None = None):
        self.settings = settings
        self.timeout = SMTP_TIMEOUT
        self.ssl_context = ssl_context  # default: the system's trusted CAs (tests pass their own CA)
        self.history = history
        self.web_url = web_url
        self.clock = clock
        self._env = _env()

    @property
    def enabled(self) -> bool:
        return bool(self.settings.host)

    def render(self, kind: str, key: str, **context) -> Mail:
        """A ``Mail`` for ``kind`` (one of ``KINDS``); ``key`` identifies the event (sent once)."""
        if kind not in KINDS:
            raise ValueError(f"unknown notification kind {kind!r}")
        template = self._env.get_template(f"{kind}.j2")
        ctx = template.new_context({"web_url": self.web_url, **context})
        parts = {name: "".join(template.blocks[name](ctx)).strip() for name in ("subject", "text", "html")}
        subject = " ".join(parts["subject"].split())
        return Mail(key, kind, "[hotfolder] " + subject, parts["text"] + "\n", parts["html"] + "\n",
                    list(self.settings.recipients))

    def flush(self) -> int:
        """Send every unsent message; returns how many went out. Never raises."""
        pending = self.history.unsent_mail(MAX_ATTEMPTS)
        if not pending:
            return 0
        if not self.enabled or not self.settings.recipients:
            for msg in pending:
                if self.enabled:
                    log.warning("mail.host is set but mail.recipients is empty; notification only logged")
                log.info("notification: %s\n%s", msg.subject, msg.text_body.rstrip())
                self.history.mark_sent(msg.key, self.clock())
            return 0
        sent = 0
        try:
            with self._connect() as smtp:
                for msg in pending:
                    try:
                        smtp.send_message(self._message(msg))
                    except smtplib.SMTPException as exc:
                        self._failed(msg, exc)
                        continue
                    self.history.mark_sent(msg.key, self.clock())
                    sent += 1
                    log.info("mail sent: %s", msg.subject)
        except (OSError, smtplib.SMTPException) as exc:
            # Connection or login failed: every message waits for the next poll.
            log.warning("cannot send mail via %s:%s (%s); %d message(s) will be retried on the next poll",
                        self.settings.host, self.settings.port, _reason(exc), len(pending) - sent)
            for msg in self.history.unsent_mail(MAX_ATTEMPTS):
                self.history.mark_failed(msg.key, _reason(exc))
        return sent

    def _failed(self, msg: OutboxMessage, exc: Exception) -> None:
        self.history.mark_failed(msg.key, _reason(exc))
        give_up = msg.attempts + 1 >= MAX_ATTEMPTS
        log.warning("mail %r not sent (%s)%s", msg.subject, _reason(exc),
                    "; giving up on it" if give_up else "; will retry")

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = self.ssl_context or ssl.create_default_context()
        if s.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _message(self, msg: OutboxMessage) -> EmailMessage:
        em = EmailMessage()
        em["Subject"] = msg.subject
        em["From"] = self.settings.sender or self.settings.username or f"hotfolder@{self.settings.host}"
        em["To"] = ", ".join(msg.recipients or self.settings.recipients)
        em["Date"] = formatdate(localtime=False)
        em["Message-ID"] = make_msgid(domain="hotfolder")
        # The event key lets a recipient (and the tests) tell messages apart.
        em["X-Hotfolder-Event"] = msg.key
        em.set_content(msg.text_body)
        em.add_alternative(msg.html_body, subtype="html")
        return em


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def digest_due(history: History, digest_hour: int | None, now: datetime) -> str | None:
    """The digest key for today if the daily digest is configured, due and not yet queued."""
    if digest_hour is None or now.hour < digest_hour:
        return None
    key = f"digest:{now.date().isoformat()}"
    return None if history.has_mail(key) else key
