"""Error records the evaluator produces, spelled the way PowerShell spells them.

Every failure the evaluator reports is a ``runtime.PSTerminatingError`` carrying a
``runtime.ErrorRecord`` so that the endpoint serialises it exactly like a cmdlet's error. The
helpers here keep the texts and FullyQualifiedErrorIds in one place; the doc page
``docs/sandbox/powershell-subset.md`` lists them.
"""

from __future__ import annotations

from typing import Any

from orchestrator.sandbox.runtime import ErrorCategory, ErrorRecord, PSTerminatingError

PARSE_EXCEPTION = "System.Management.Automation.ParseException"
RUNTIME_EXCEPTION = "System.Management.Automation.RuntimeException"
BINDING_EXCEPTION = "System.Management.Automation.ParameterBindingException"
VALIDATION_EXCEPTION = "System.Management.Automation.ParameterBindingValidationException"
TRANSFORM_EXCEPTION = "System.Management.Automation.ParameterBindingArgumentTransformationException"
NOT_IMPLEMENTED_EXCEPTION = "System.NotImplementedException"
COMMAND_NOT_FOUND_EXCEPTION = "System.Management.Automation.CommandNotFoundException"


class ScriptTerminatingError(PSTerminatingError):
    """A terminating error that ends the whole script unless a ``try`` catches it.

    PowerShell has two kinds of terminating error: *statement*-terminating ones (a binding error,
    a method call on ``$null``) abort only the current statement and the script goes on, while
    ``throw`` and errors promoted by ``-ErrorAction Stop`` / ``$ErrorActionPreference = 'Stop'``
    unwind the script. A plain ``PSTerminatingError`` is the first kind; this subclass the second.
    """


def parse_error(error_id: str, message: str) -> PSTerminatingError:
    """Syntax that PowerShell itself rejects (the script never starts)."""
    record = ErrorRecord(
        message=message,
        fq_error_id=error_id,
        category=ErrorCategory.ParserError,
        exception_type=PARSE_EXCEPTION,
    )
    return ScriptTerminatingError(record)


def unsupported(construct: str, line: int) -> PSTerminatingError:
    """Valid PowerShell outside the sandbox's subset: an error, never silently skipped."""
    record = ErrorRecord(
        message=f"The sandbox does not implement {construct} (line {line}).",
        fq_error_id="SandboxUnsupportedSyntax",
        category=ErrorCategory.NotImplemented,
        exception_type=NOT_IMPLEMENTED_EXCEPTION,
    )
    return ScriptTerminatingError(record)


def unsupported_runtime(construct: str) -> PSTerminatingError:
    """Like ``unsupported`` for constructs only recognisable while running (no line known)."""
    record = ErrorRecord(
        message=f"The sandbox does not implement {construct}.",
        fq_error_id="SandboxUnsupportedSyntax",
        category=ErrorCategory.NotImplemented,
        exception_type=NOT_IMPLEMENTED_EXCEPTION,
    )
    return ScriptTerminatingError(record)


def runtime_error(
    error_id: str,
    message: str,
    *,
    category: ErrorCategory = ErrorCategory.InvalidOperation,
    exception_type: str = RUNTIME_EXCEPTION,
    target: Any = None,
) -> PSTerminatingError:
    """A statement-terminating runtime error (``RuntimeException`` unless told otherwise)."""
    return PSTerminatingError(
        ErrorRecord(
            message=message,
            fq_error_id=error_id,
            category=category,
            exception_type=exception_type,
            target_object=target,
        )
    )


def binding_error(
    error_id: str,
    message: str,
    command: str,
    *,
    exception_type: str = BINDING_EXCEPTION,
    category: ErrorCategory = ErrorCategory.InvalidArgument,
    target: Any = None,
) -> PSTerminatingError:
    """A parameter binding error: fq id ``<ErrorId>,<Command>`` (just the id for a script)."""
    fq = f"{error_id},{command}" if command else error_id
    return PSTerminatingError(
        ErrorRecord(
            message=message,
            fq_error_id=fq,
            category=category,
            exception_type=exception_type,
            target_object=target,
            activity=command,
        )
    )


def command_not_found(name: str) -> PSTerminatingError:
    message = (
        f"The term '{name}' is not recognized as a name of a cmdlet, function, script file, or "
        "executable program. Check the spelling of the name, or if a path was included, verify "
        "that the path is correct and try again."
    )
    return PSTerminatingError(
        ErrorRecord(
            message=message,
            fq_error_id="CommandNotFoundException",
            category=ErrorCategory.ObjectNotFound,
            exception_type=COMMAND_NOT_FOUND_EXCEPTION,
            target_object=name,
        )
    )


def invalid_cast(value_text: str, type_name: str, detail: str, *, value_type: str = "") -> PSTerminatingError:
    """``Cannot convert value "x" to type "T". Error: "..."`` (InvalidCastParseTargetInvocation)."""
    if detail:
        message = f'Cannot convert value "{value_text}" to type "{type_name}". Error: "{detail}"'
        error_id = "InvalidCastParseTargetInvocation"
    else:
        shown = value_type or value_text
        message = f'Cannot convert the "{value_text}" value of type "{shown}" to type "{type_name}".'
        error_id = "ConvertToFinalInvalidCastException"
    return runtime_error(error_id, message, category=ErrorCategory.InvalidArgument)
