"""Plain result types for one PowerShell invocation (no pypsrp types ever leave the session).

Workflows and ``orchestrator.core`` read these; they are plain dataclasses so they can be built
in tests by hand, compared, and written to the journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from orchestrator.errors import ScriptError

__all__ = ["InvocationState", "InvokeResult", "PSErrorInfo"]

InvocationState = Literal["Completed", "Failed", "Stopped"]


@dataclass(frozen=True)
class PSErrorInfo:
    """One PowerShell ErrorRecord, terminating or not.

    ``message`` is the exception text (what ``$_.Exception.Message`` shows), ``fq_error_id`` the
    FullyQualifiedErrorId (stable, match on it rather than on the message text), ``category`` the
    ErrorCategory name (``ObjectNotFound``...), ``reason`` the exception type's short name,
    ``exception_type`` its full name, ``target`` the target object as text, ``activity`` the
    cmdlet that wrote it.
    """

    message: str
    fq_error_id: str
    category: str
    reason: str | None = None
    exception_type: str | None = None
    target: str | None = None
    activity: str | None = None


@dataclass
class InvokeResult:
    """What one script produced: state, flattened output, every error record and warning.

    ``errors`` holds non-terminating errors too: a Completed state with errors is normal for
    Exchange cmdlets, so callers must look at both.
    """

    name: str
    state: InvocationState
    output: list[object] = field(default_factory=list)
    errors: list[PSErrorInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        """Completed without any error record (terminating or not)."""
        return self.state == "Completed" and not self.errors

    def raise_if_failed(self) -> InvokeResult:
        """Raise :class:`ScriptError` when the pipeline ended Failed or Stopped; else return self.

        Non-terminating errors on a Completed pipeline do not raise: the workflow decides.
        """
        if self.state == "Completed":
            return self
        first = self.errors[0].message if self.errors else "no error record was returned"
        raise ScriptError(
            f"script {self.name!r} ended {self.state}: {first}",
            records=self.errors,
            result=self,
            hint="see the error records below; the JSON log has the full details",
            details={"script": self.name, "state": self.state},
        )
