"""Logging: JSON lines with run_id, redaction in both sinks, chatty libraries clamped."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from orchestrator import logging_setup
from orchestrator.config import Secret
from orchestrator.logging_setup import configure_logging, register_secret


@pytest.fixture
def sinks(tmp_path: Path) -> Iterator[tuple[io.StringIO, Path]]:
    console = io.StringIO()
    json_path = tmp_path / "run.jsonl"
    configure_logging(console_level="debug", json_path=json_path, json_level="debug", stream=console)
    structlog.contextvars.clear_contextvars()
    yield console, json_path
    structlog.contextvars.clear_contextvars()
    logging_setup._remove_our_handlers(logging.getLogger())
    logging_setup._forget_secrets()


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_json_lines_carry_run_id_and_utc_timestamp(sinks: tuple[io.StringIO, Path]) -> None:
    console, path = sinks
    structlog.contextvars.bind_contextvars(run_id="run-42", mailbox="ann@contoso.com")
    structlog.get_logger("orchestrator.test").info("step.done", step="inventory", count=3)
    records = lines(path)
    assert len(records) == 1
    rec = records[0]
    assert rec["event"] == "step.done" and rec["run_id"] == "run-42" and rec["mailbox"] == "ann@contoso.com"
    assert rec["level"] == "info" and rec["count"] == 3
    assert str(rec["timestamp"]).endswith("Z")
    assert "step.done" in console.getvalue() and "run-42" in console.getvalue()


def test_stdlib_records_reach_the_json_file(sinks: tuple[io.StringIO, Path]) -> None:
    _, path = sinks
    structlog.contextvars.bind_contextvars(run_id="run-7")
    logging.getLogger("some.library").warning("disk %s is slow", "D:")
    rec = lines(path)[-1]
    assert rec["event"] == "disk D: is slow" and rec["run_id"] == "run-7" and rec["level"] == "warning"


def test_redaction_of_keys_nested_and_registered_values(sinks: tuple[io.StringIO, Path]) -> None:
    console, path = sinks
    register_secret(Secret("Tr0ub4dor&3"))
    register_secret("abc")  # too short to register: would mask innocent text
    log = structlog.get_logger("orchestrator.test")
    log.info(
        "connecting with Tr0ub4dor&3 inside",
        password="p1",
        settings={"winrm": {"Password": "p2", "host": "jump01"}, "api_token": "t"},
        items=["x", "pre-Tr0ub4dor&3-post"],
        certificate_password="p3",
        user_credential="c",
        note="abc stays",
    )
    logging.getLogger("other").error("failed for %s", "Tr0ub4dor&3")
    text_console = console.getvalue()
    text_file = path.read_text(encoding="utf-8")
    for text in (text_console, text_file):
        assert "Tr0ub4dor&3" not in text
        for value in ("p1", "p2", "p3"):
            assert f"'{value}'" not in text and f'"{value}"' not in text
    first = lines(path)[0]
    assert first["event"] == "connecting with ******** inside"
    assert first["password"] == "********" and first["certificate_password"] == "********"
    assert first["settings"] == {"winrm": {"Password": "********", "host": "jump01"}, "api_token": "********"}
    assert first["items"] == ["x", "pre-********-post"]
    assert first["user_credential"] == "********" and first["note"] == "abc stays"
    assert lines(path)[1]["event"] == "failed for ********"


def test_library_loggers_are_clamped_in_every_sink(sinks: tuple[io.StringIO, Path]) -> None:
    console, path = sinks
    logging.getLogger("pypsrp.wsman").setLevel(logging.DEBUG)  # someone lowers it: the filter still holds
    for name in (
        "pypsrp.wsman",
        "pypsrp",
        "requests",
        "urllib3.connectionpool",
        "spnego",
        "requests_credssp",
    ):
        logging.getLogger(name).debug("<s:Envelope> script text and parameters %s", name)
        logging.getLogger(name).info("info from %s", name)
    logging.getLogger("pypsrp.powershell").warning("a real pypsrp warning")
    assert "Envelope" not in console.getvalue() and "Envelope" not in path.read_text(encoding="utf-8")
    assert "info from" not in console.getvalue()
    assert [r["event"] for r in lines(path)] == ["a real pypsrp warning"]
    assert logging.getLogger("pypsrp").level == logging.WARNING


def test_configure_twice_does_not_duplicate(tmp_path: Path, sinks: tuple[io.StringIO, Path]) -> None:
    _, path = sinks
    console2 = io.StringIO()
    configure_logging(console_level="info", json_path=path, stream=console2, console_format="plain")
    configure_logging(console_level="info", json_path=path, stream=console2, console_format="plain")
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_mbxo_handler", False)]
    assert len(ours) == 2
    structlog.get_logger("t").info("once")
    assert [r["event"] for r in lines(path)] == ["once"]
    assert console2.getvalue().count("once") == 1
    assert "\x1b[" not in console2.getvalue()  # not a TTY: no colours


def test_console_levels_and_json_console(tmp_path: Path, sinks: tuple[io.StringIO, Path]) -> None:
    console = io.StringIO()
    path = tmp_path / "b.jsonl"
    configure_logging(
        console_level="warning", json_path=path, json_level="debug", stream=console, console_format="json"
    )
    log = structlog.get_logger("t")
    log.debug("only-in-file")
    log.warning("both", password="x")
    out = [json.loads(line) for line in console.getvalue().splitlines()]
    assert [r["event"] for r in out] == ["both"] and out[0]["password"] == "********"
    assert [r["event"] for r in lines(path)] == ["only-in-file", "both"]


def test_exceptions_are_rendered_and_redacted(sinks: tuple[io.StringIO, Path]) -> None:
    _, path = sinks
    register_secret("VerySecret99")
    try:
        raise RuntimeError("login failed with VerySecret99")
    except RuntimeError:
        structlog.get_logger("t").exception("boom")
    rec = lines(path)[-1]
    assert "RuntimeError" in str(rec["exception"]) and "VerySecret99" not in str(rec["exception"])
