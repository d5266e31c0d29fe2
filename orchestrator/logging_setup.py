"""Logging: structlog for our code, stdlib logging for libraries, one pipeline for both.

Two sinks:

* console (stderr): readable key=value lines for the person at the keyboard; colours only on a TTY;
* JSON lines file (optional, append, UTF-8): one object per line with an ISO-8601 UTC timestamp,
  for the SIEM and for after-the-fact audits of irreversible work.

Every record passes a **redaction processor** just before the renderers: keys that look like
secrets (password, secret, token, credential...) are masked, nested dicts and lists included, and
any value registered with :func:`register_secret` is masked wherever it appears inside a string.

pypsrp logs whole WS-Man envelopes at DEBUG (script text and parameter values, base64), and
requests/urllib3/spnego/requests_credssp log auth exchanges: they are clamped to WARNING on the
loggers *and* filtered on every handler, so ``--log-level debug`` never leaks them.

``run_id``, ``mailbox`` etc. are bound with ``structlog.contextvars.bind_contextvars`` and appear
in both sinks. No WatchedFileHandler: it does not work on Windows (files cannot be moved while
open there, and rotation is the SIEM agent's job).
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

__all__ = [
    "CLAMPED_LOGGERS",
    "MASK",
    "clamp_library_loggers",
    "configure_logging",
    "redact_event",
    "register_secret",
]

MASK = "********"
CLAMPED_LOGGERS = ("pypsrp", "requests", "urllib3", "requests_credssp", "spnego", "requests_kerberos")
SENSITIVE_KEY = re.compile(
    r"password|passwd|secret|token|credential|certificate_password|authorization", re.I
)
MIN_SECRET_LENGTH = 4  # shorter values would mask innocent text everywhere and cannot be real secrets

_HANDLER_MARK = "_mbxo_handler"
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secret_pattern: re.Pattern[str] | None = None


# --------------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------------


def register_secret(value: object) -> None:
    """Mask ``value`` wherever it appears in any later log line (both sinks).

    Accepts a str or anything with ``reveal()`` (``config.Secret``). Values shorter than
    MIN_SECRET_LENGTH characters are ignored.
    """
    global _secret_pattern
    reveal = getattr(value, "reveal", None)
    text = reveal() if callable(reveal) else value
    if not isinstance(text, str) or len(text) < MIN_SECRET_LENGTH:
        return
    with _secrets_lock:
        _secrets.add(text)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
        _secret_pattern = re.compile("|".join(re.escape(s) for s in ordered))


def _forget_secrets() -> None:
    """Tests only: start with an empty registry."""
    global _secret_pattern
    with _secrets_lock:
        _secrets.clear()
        _secret_pattern = None


def _redact_value(value: Any, pattern: re.Pattern[str] | None) -> Any:
    if isinstance(value, str):
        return pattern.sub(MASK, value) if pattern is not None else value
    if isinstance(value, dict):
        return {k: MASK if _is_sensitive(k, v) else _redact_value(v, pattern) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v, pattern) for v in value)
    if isinstance(value, BaseException | Path) or value is None:
        return value
    if pattern is not None and not isinstance(value, bool | int | float):
        text = str(value)  # e.g. an object whose str() embeds a secret
        masked = pattern.sub(MASK, text)
        return masked if masked != text else value
    return value


def _is_sensitive(key: object, value: object) -> bool:
    return isinstance(key, str) and bool(SENSITIVE_KEY.search(key)) and value is not None


def redact_event(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask secret-looking keys and registered secret values."""
    pattern = _secret_pattern
    out: EventDict = {}
    for key, value in event_dict.items():
        if key.startswith("_"):  # structlog internals (_record, _from_structlog)
            out[key] = value
        elif _is_sensitive(key, value):
            out[key] = MASK
        else:
            out[key] = _redact_value(value, pattern)
    return out


# --------------------------------------------------------------------------------------------
# Library clamping
# --------------------------------------------------------------------------------------------


class _ClampFilter(logging.Filter):
    """Drop records below WARNING from chatty libraries even if someone lowered their level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        name = record.name
        return not any(name == lib or name.startswith(lib + ".") for lib in CLAMPED_LOGGERS)


def clamp_library_loggers() -> None:
    """Set pypsrp/requests/urllib3/spnego/requests_credssp loggers to WARNING (idempotent)."""
    for name in CLAMPED_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def _level(name: str) -> int:
    value = logging.getLevelName(name.upper())
    if not isinstance(value, int):
        raise ValueError(f"unknown log level {name!r}; use debug, info, warning, error or critical")
    return value


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _wants_colours(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    if not callable(isatty) or not isatty():
        return False
    return sys.platform != "win32" or importlib.util.find_spec("colorama") is not None


def _remove_our_handlers(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()


def _make_handler(handler: logging.Handler, level: int, processors: Iterable[Processor]) -> logging.Handler:
    handler.setLevel(level)
    handler.addFilter(_ClampFilter())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_shared_processors(),
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *processors],
        )
    )
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(
    *,
    console_level: str = "info",
    json_path: Path | None = None,
    json_level: str = "debug",
    console_format: Literal["auto", "plain", "json"] = "auto",
    stream: TextIO | None = None,
) -> None:
    """Route structlog and stdlib logging to the console and (optionally) a JSON-lines file.

    Idempotent: calling it again replaces the handlers it installed before (and closes the old
    file), so tests and the CLI can reconfigure freely. ``stream`` defaults to ``sys.stderr`` at
    call time (machine output owns stdout).
    """
    out = stream if stream is not None else sys.stderr
    console_lvl = _level(console_level)
    json_lvl = _level(json_level)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )

    root = logging.getLogger()
    _remove_our_handlers(root)

    console_renderer: Processor
    if console_format == "json":
        console_renderer = structlog.processors.JSONRenderer(default=str)
    else:
        colours = console_format == "auto" and _wants_colours(out)
        console_renderer = structlog.dev.ConsoleRenderer(colors=colours)
    root.addHandler(
        _make_handler(
            logging.StreamHandler(out),
            console_lvl,
            [structlog.processors.format_exc_info, redact_event, console_renderer],
        )
    )

    lowest = console_lvl
    if json_path is not None:
        file_handler = logging.FileHandler(json_path, mode="a", encoding="utf-8", delay=False)
        root.addHandler(
            _make_handler(
                file_handler,
                json_lvl,
                [
                    structlog.processors.format_exc_info,
                    redact_event,
                    structlog.processors.JSONRenderer(default=str, ensure_ascii=False),
                ],
            )
        )
        lowest = min(lowest, json_lvl)

    root.setLevel(lowest)
    clamp_library_loggers()
    logging.captureWarnings(True)  # library warnings (InsecureRequestWarning...) reach the JSON file
