"""The project's error tree and its exit codes.

Every failure that leaves a module of this project as an exception is one of these classes, so
the CLI can map it to an exit code, a workflow can decide whether to retry, and the operator gets
a message that says what happened, why, and what to do (``hint``)::

    OrchestratorError                      exit 1   (root; never raised directly)
    ├── OperatorError                      exit 2   bad input or configuration; fix and re-run
    │   ├── ConfigError                             settings file / env / flag is wrong
    │   ├── TemplateError                           a PowerShell template cannot be rendered
    │   │   ├── UnknownTemplate                     no template by that name
    │   │   └── TemplateParameterError              missing / undeclared / badly typed value
    │   └── UsageError                              command line misuse
    ├── HostError                          exit 4   talking to the PowerShell host failed
    │   ├── TransientHostError             exit 4   refused / reset / dropped / 5xx   retryable
    │   ├── HostTimeout                    exit 4   our deadline or a read timeout   retryable*
    │   ├── AuthenticationFailed           exit 5   401, bad credentials, Kerberos/NTLM
    │   └── EndpointError                  exit 7   reachable but unusable: TLS, configuration
    │                                               name, restricted endpoint, WS-Man fault
    └── ScriptError                        exit 6   the script ran and ended Failed

    * HostTimeout: the pipeline was stopped, but a cmdlet may have acted before the deadline.
      Retry only steps that re-check the mailbox first.

Rules that keep the tree useful:

* Lower-layer exceptions (requests, pypsrp) are mapped once, at the boundary
  (``orchestrator.session``), and kept as ``__cause__``. Unknown exceptions are bugs and propagate.
* ``retryable`` is a class attribute: the decision belongs to the kind of failure, not the call site.
* Exit codes live in :class:`ExitCode` and nowhere else; all are non-negative because Windows Task
  Scheduler shows a negative code as an unreadable 0xFFFFFFFF-style number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from orchestrator.results import InvokeResult, PSErrorInfo

__all__ = [
    "AuthenticationFailed",
    "ConfigError",
    "EndpointError",
    "ExitCode",
    "HostError",
    "HostTimeout",
    "OperatorError",
    "OrchestratorError",
    "ScriptError",
    "TemplateError",
    "TemplateParameterError",
    "TransientHostError",
    "UnknownTemplate",
    "UsageError",
    "exit_code_for",
]


class ExitCode(IntEnum):
    """Process exit codes, the one place they are named (documented in docs/configuration.md).

    Chosen so a scheduled task can branch on them: 4 means "try again later", 5 and 7 mean "a
    person must fix the host side", 2 means "fix the command line or the config file".
    """

    OK = 0
    FAILED = 1  # generic failure (an OrchestratorError without a more specific code)
    USAGE = 2  # operator error: configuration, template input, command line
    PARTIAL = 3  # the run finished but some mailboxes failed (decided by workflows)
    HOST_UNREACHABLE = 4  # connection refused/reset, 5xx, timeouts: transient, retry later
    AUTHENTICATION = 5  # credentials rejected: retrying will not help (and may lock the account)
    SCRIPT_ERROR = 6  # the PowerShell script ran and failed
    ENDPOINT = 7  # host reachable but unusable: TLS, configuration name, restricted endpoint
    INTERNAL = 70  # a bug: unexpected exception (70 = EX_SOFTWARE, spelled out for Windows)
    INTERRUPTED = 130  # Ctrl+C (128 + SIGINT, the shell convention)


class OrchestratorError(Exception):
    """Root of every error this project raises on purpose.

    ``message`` says what happened; ``hint`` says what to do about it; ``details`` carries
    structured context (host, port, key, source...) for the JSON log and for tests.
    """

    exit_code: ClassVar[ExitCode] = ExitCode.FAILED
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details: dict[str, object] = dict(details or {})

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nhint: {self.hint}"
        return self.message

    def render(self) -> str:
        """Multi-line text for a person on a console (the CLI prints this on stderr)."""
        lines = [f"error: {self.message}"]
        for key, value in self.details.items():
            lines.append(f"  {key}: {value}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def to_log(self) -> dict[str, Any]:
        """Structured fields for the JSON log (no secrets are ever put in errors)."""
        return {
            "error_type": type(self).__name__,
            "error": self.message,
            "hint": self.hint,
            "details": {k: str(v) for k, v in self.details.items()},
            "exit_code": int(self.exit_code),
            "retryable": self.retryable,
        }


# --- operator errors: fix the input and run again -------------------------------------------


class OperatorError(OrchestratorError):
    """The operator's input or configuration is wrong; nothing was sent to the host."""

    exit_code = ExitCode.USAGE


class ConfigError(OperatorError):
    """A setting is missing, malformed or unsafe; the message names the key and its source.

    ``problems`` lists each problem separately ("key (from source): what to do") so the operator
    can fix them all in one pass.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: Mapping[str, object] | None = None,
        problems: Sequence[str] = (),
    ) -> None:
        super().__init__(message, hint=hint, details=details)
        self.problems: list[str] = list(problems) or [message]


class TemplateError(OperatorError):
    """A PowerShell template cannot be rendered with the values given."""


class UnknownTemplate(TemplateError):
    """No template by that name is shipped with this version."""


class TemplateParameterError(TemplateError):
    """A template value is missing, undeclared by the script's param() block, or badly typed."""


class UsageError(OperatorError):
    """The command line was used wrongly (conflicting flags, missing argument...)."""


# --- host errors: talking to the PowerShell jump host ---------------------------------------


class HostError(OrchestratorError):
    """Talking to the PowerShell host failed; subclasses say whether retrying can help."""

    exit_code = ExitCode.HOST_UNREACHABLE


class TransientHostError(HostError):
    """Connection refused, reset or dropped, HTTP 5xx, transient WS-Man fault. Retry later."""

    retryable = True


class HostTimeout(HostError):
    """Our own deadline passed (the pipeline was stopped) or the host stopped answering.

    Retryable with care: a cmdlet may already have acted before the deadline, so workflows
    re-check the mailbox read-only before repeating a step.
    """

    retryable = True


class AuthenticationFailed(HostError):
    """The host rejected the credentials (401, Kerberos/NTLM failure). Retrying will not help
    and may lock the account."""

    exit_code = ExitCode.AUTHENTICATION


class EndpointError(HostError):
    """The host answered but cannot be used as configured: TLS verification failed, the
    configuration name does not exist, the endpoint refuses scripts, a non-transient WS-Man
    fault. A person must fix the host or the settings."""

    exit_code = ExitCode.ENDPOINT


# --- the script itself ----------------------------------------------------------------------


class ScriptError(OrchestratorError):
    """The PowerShell script ran and ended Failed; ``records`` holds every error record."""

    exit_code = ExitCode.SCRIPT_ERROR

    def __init__(
        self,
        message: str,
        *,
        records: Sequence[PSErrorInfo] = (),
        result: InvokeResult | None = None,
        hint: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, hint=hint, details=details)
        self.records: tuple[PSErrorInfo, ...] = tuple(records)
        self.result = result

    def render(self) -> str:
        text = super().render()
        extra = [f"  [{r.fq_error_id}] {r.message}" for r in self.records]
        return "\n".join([text, *extra]) if extra else text


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code for any exception reaching the top of the CLI.

    Project errors carry their own; Ctrl+C is INTERRUPTED; anything else is a bug (INTERNAL).
    """
    if isinstance(exc, OrchestratorError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.INTERNAL
