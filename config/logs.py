"""Logging set-up with a filter that masks every configured secret wherever it would appear."""

from __future__ import annotations

import logging
import sys

from config.settings import Settings

_MASK = "***"


class SecretFilter(logging.Filter):
    """Replaces known secret values in log records (message and arguments) with ``***``."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        # Short values would mask ordinary words; real tokens and keys are long.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 8 and secret not in self.secrets:
            self.secrets.append(secret)
            self.secrets.sort(key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, _MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        masked = self.mask(text)
        if masked != text:
            record.msg, record.args = masked, None
        # A traceback prints exception messages and local values: format it here, masked; handlers
        # then use ``exc_text`` as it is.
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self.mask(record.exc_text or _TRACEBACKS.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


_TRACEBACKS = logging.Formatter()


_filter = SecretFilter([])


def secret_filter() -> SecretFilter:
    """The process-wide filter; adapters add secrets they learn at run time (e.g. access tokens)."""
    return _filter


def setup_logging(settings: Settings, verbose: bool = False) -> None:
    for value in (settings.runpod.api_key, settings.mail.password, settings.web.token):
        _filter.add(value.get_secret_value())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(_filter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Client libraries log request URLs and bodies at DEBUG; keep them quiet unless asked.
    for noisy in ("googleapiclient", "urllib3", "httpx", "apscheduler.executors", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
