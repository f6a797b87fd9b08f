"""Registered secrets are masked in log messages and in logged tracebacks (issue 16)."""

from __future__ import annotations

import io
import logging

from config.logs import SecretFilter

SECRET = "sk-live-0123456789abcdef"


def _logger(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(SecretFilter([SECRET]))
    log = logging.getLogger("test.secret-mask")
    log.handlers[:] = [handler]
    log.propagate = False
    return log


def test_message_and_traceback_are_masked():
    out = io.StringIO()
    log = _logger(out)
    log.warning("token %s in the message", SECRET)
    try:
        raise RuntimeError(f"request with key={SECRET} refused")
    except RuntimeError:
        log.exception("call failed")
    log.info("stack", stack_info=True)
    text = out.getvalue()
    assert SECRET not in text
    assert "token *** in the message" in text and "key=*** refused" in text and "Traceback" in text


def test_a_record_formatted_twice_stays_masked():
    out = io.StringIO()
    log = _logger(out)
    extra = logging.StreamHandler(out)  # a second handler without the filter sees the masked exc_text
    log.addHandler(extra)
    try:
        raise ValueError(SECRET)
    except ValueError:
        log.error("boom", exc_info=True)
    assert SECRET not in out.getvalue()
