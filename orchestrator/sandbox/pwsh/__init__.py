"""PowerShell evaluator for the sandbox's documented subset (see docs/sandbox/powershell-subset.md).

Unsupported syntax is an error, never silently skipped: ``ParserError`` for what PowerShell itself
rejects, ``NotImplemented``/``SandboxUnsupportedSyntax`` for valid PowerShell outside the subset.
"""

from orchestrator.sandbox.pwsh.builtins import BUILTINS
from orchestrator.sandbox.pwsh.engine import CommandResolver, Engine, ExternalCommand
from orchestrator.sandbox.runtime import ArgumentValue, ParameterToken

__all__ = [
    "ArgumentValue",
    "CommandResolver",
    "Engine",
    "ExternalCommand",
    "ParameterToken",
    "builtin_command_names",
]


def builtin_command_names() -> frozenset[str]:
    """The commands the evaluator implements itself (Where-Object, Select-Object, ...)."""
    return frozenset(BUILTINS)
