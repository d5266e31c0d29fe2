"""Variable and function scopes: PowerShell's dynamic scoping, one chain per run.

Reading a variable walks from the current scope up to the global one; assigning without a scope
modifier writes the current scope (so a function's assignments do not leak to its caller);
``$script:`` and ``$global:`` name the script and global scopes. Every ``Engine.run_*`` call builds
its own chain, which is what makes one ``Engine`` safe to share between threads.
"""

from __future__ import annotations

from typing import Any

from orchestrator.sandbox.pwsh import ast


class Scope:
    __slots__ = ("functions", "parent", "vars")

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.vars: dict[str, Any] = {}
        self.functions: dict[str, ast.FunctionDef] = {}

    def find(self, name: str) -> Scope | None:
        key = name.lower()
        scope: Scope | None = self
        while scope is not None:
            if key in scope.vars:
                return scope
            scope = scope.parent
        return None

    def has(self, name: str) -> bool:
        return self.find(name) is not None

    def lookup(self, name: str, default: Any = None) -> Any:
        scope = self.find(name)
        return scope.vars[name.lower()] if scope is not None else default

    def assign(self, name: str, value: Any) -> None:
        self.vars[name.lower()] = value

    def remove(self, name: str) -> None:
        self.vars.pop(name.lower(), None)

    def function(self, name: str) -> ast.FunctionDef | None:
        key = name.lower()
        scope: Scope | None = self
        while scope is not None:
            if key in scope.functions:
                return scope.functions[key]
            scope = scope.parent
        return None

    def define_function(self, definition: ast.FunctionDef) -> None:
        self.functions[definition.name.lower()] = definition
