"""The error tree: relations, retry flags, exit codes, messages that say what to do."""

from __future__ import annotations

import pytest

from orchestrator import errors as e
from orchestrator.results import InvokeResult, PSErrorInfo

ALL = [
    e.OrchestratorError,
    e.OperatorError,
    e.ConfigError,
    e.TemplateError,
    e.UnknownTemplate,
    e.TemplateParameterError,
    e.UsageError,
    e.HostError,
    e.TransientHostError,
    e.HostTimeout,
    e.AuthenticationFailed,
    e.EndpointError,
    e.ScriptError,
]


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (e.ConfigError, e.OperatorError),
        (e.TemplateError, e.OperatorError),
        (e.UnknownTemplate, e.TemplateError),
        (e.TemplateParameterError, e.TemplateError),
        (e.UsageError, e.OperatorError),
        (e.TransientHostError, e.HostError),
        (e.HostTimeout, e.HostError),
        (e.AuthenticationFailed, e.HostError),
        (e.EndpointError, e.HostError),
        (e.HostError, e.OrchestratorError),
        (e.ScriptError, e.OrchestratorError),
        (e.OperatorError, e.OrchestratorError),
    ],
)
def test_tree(child: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(child, parent)


def test_branches_are_disjoint() -> None:
    assert not issubclass(e.ScriptError, e.HostError)
    assert not issubclass(e.HostError, e.OperatorError)
    assert not issubclass(e.AuthenticationFailed, e.TransientHostError)


def test_retryable_flags() -> None:
    retryable = {cls for cls in ALL if cls.retryable}
    assert retryable == {e.TransientHostError, e.HostTimeout}


def test_exit_codes() -> None:
    codes = [int(c) for c in e.ExitCode]
    assert len(codes) == len(set(codes)) and all(0 <= c <= 255 for c in codes)
    assert (int(e.ExitCode.OK), int(e.ExitCode.USAGE), int(e.ExitCode.PARTIAL)) == (0, 2, 3)
    assert e.ConfigError.exit_code == e.UsageError.exit_code == e.ExitCode.USAGE
    assert e.TransientHostError.exit_code == e.HostTimeout.exit_code == e.ExitCode.HOST_UNREACHABLE
    assert e.AuthenticationFailed.exit_code == e.ExitCode.AUTHENTICATION
    assert e.EndpointError.exit_code == e.ExitCode.ENDPOINT
    assert e.ScriptError.exit_code == e.ExitCode.SCRIPT_ERROR
    assert all(isinstance(cls.exit_code, e.ExitCode) for cls in ALL)


def test_exit_code_for() -> None:
    assert e.exit_code_for(e.UsageError("x")) == e.ExitCode.USAGE
    assert e.exit_code_for(KeyboardInterrupt()) == e.ExitCode.INTERRUPTED
    assert e.exit_code_for(ZeroDivisionError()) == e.ExitCode.INTERNAL


def test_message_hint_details() -> None:
    err = e.TransientHostError(
        "connection to jump01:5986 refused", hint="is WinRM listening?", details={"host": "jump01:5986"}
    )
    assert str(err) == "connection to jump01:5986 refused\nhint: is WinRM listening?"
    rendered = err.render()
    assert rendered.startswith("error: connection to jump01:5986 refused")
    assert "host: jump01:5986" in rendered and "hint: is WinRM listening?" in rendered
    log = err.to_log()
    assert log["error_type"] == "TransientHostError" and log["retryable"] is True and log["exit_code"] == 4
    assert str(e.UsageError("plain")) == "plain"


def test_config_error_lists_problems() -> None:
    assert e.ConfigError("one").problems == ["one"]
    assert e.ConfigError("two", problems=["a", "b"]).problems == ["a", "b"]


def test_script_error_carries_records() -> None:
    record = PSErrorInfo("Mailbox not found", "NotFound,Get-Mailbox", "ObjectNotFound")
    result = InvokeResult(name="inventory", state="Failed", errors=[record])
    with pytest.raises(e.ScriptError) as info:
        result.raise_if_failed()
    err = info.value
    assert err.records == (record,) and err.result is result
    assert "inventory" in err.message and "Mailbox not found" in err.message
    assert "[NotFound,Get-Mailbox] Mailbox not found" in err.render()
    assert err.hint


def test_completed_with_non_terminating_errors_does_not_raise() -> None:
    result = InvokeResult(name="x", state="Completed", errors=[PSErrorInfo("m", "id", "NotSpecified")])
    assert result.raise_if_failed() is result
    assert not result.ok
    assert InvokeResult(name="x", state="Completed").ok
