"""Statement execution: flow control, pipelines, commands, functions, try/catch.

Error semantics follow PowerShell's two kinds of terminating error. A *statement*-terminating
error (a binding error, ``$null.M()``, a cmdlet's ThrowTerminatingError) aborts the statement and
is written to the error stream, and the script goes on -- unless a ``try`` is active anywhere up
the call stack (then ``catch`` gets it) or ``$ErrorActionPreference`` is ``Stop`` (then it becomes
script-terminating). ``throw`` and ``-ErrorAction Stop`` are script-terminating from the start.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from orchestrator.sandbox.pwsh import ast
from orchestrator.sandbox.pwsh.binder import Token, bind_script_block
from orchestrator.sandbox.pwsh.conversions import to_string, truthy
from orchestrator.sandbox.pwsh.errors import (
    RUNTIME_EXCEPTION,
    ScriptTerminatingError,
    command_not_found,
    runtime_error,
    unsupported_runtime,
)
from orchestrator.sandbox.pwsh.evaluator import MISSING, Evaluator
from orchestrator.sandbox.pwsh.operators import dotnet_regex, equals, wildcard_regex
from orchestrator.sandbox.pwsh.operators import matches_table as _matches_table
from orchestrator.sandbox.pwsh.parse_commands import UNSUPPORTED_COMMANDS
from orchestrator.sandbox.pwsh.scope import Scope
from orchestrator.sandbox.pwsh.streams import CommandStreams
from orchestrator.sandbox.pwsh.values import CommandInfo, ExceptionView, ScriptBlockValue, exception_chain
from orchestrator.sandbox.runtime import (
    ArgumentValue,
    ErrorCategory,
    ErrorRecord,
    Hashtable,
    ParameterToken,
    PSTerminatingError,
)

Emit = Callable[[Any], None]


class BreakSignal(Exception):
    def __init__(self, label: str | None) -> None:
        super().__init__(label)
        self.label = label


class ContinueSignal(BreakSignal):
    pass


class ReturnSignal(Exception):
    pass


class ExitSignal(Exception):
    pass


def _label_matches(signal: BreakSignal, label: str | None) -> bool:
    return signal.label is None or (label is not None and signal.label.lower() == label.lower())


class Interpreter(Evaluator):
    """Runs statements; ``Evaluator`` (its base) evaluates expressions."""

    # ------------------------------------------------------------------------- blocks
    def exec_block(self, statements: Sequence[ast.Statement], scope: Scope, emit: Emit) -> None:
        for statement in statements:
            self.exec_statement(statement, scope, emit)

    def exec_statement(self, statement: ast.Statement, scope: Scope, emit: Emit) -> None:
        self.state.check_stop()
        try:
            self._exec(statement, scope, emit)
        except ScriptTerminatingError:
            raise
        except PSTerminatingError as error:
            if self.state.try_depth > 0:
                raise
            action = self.state.preference(scope, "ErrorActionPreference")
            if action == "Stop":
                raise ScriptTerminatingError(error.record) from None
            if action != "Ignore":
                self.state.record_error(error.record)
            if action == "Continue":
                self.state.runtime.write_error(error.record)
        except RecursionError:
            raise ScriptTerminatingError(
                ErrorRecord(
                    "The script failed due to call depth overflow.",
                    "CallDepthOverflow",
                    ErrorCategory.InvalidOperation,
                    "System.Management.Automation.ScriptCallDepthException",
                )
            ) from None

    def _exec(self, statement: ast.Statement, scope: Scope, emit: Emit) -> None:
        if isinstance(statement, ast.Pipeline):
            self.run_pipeline(statement, scope, emit)
        elif isinstance(statement, ast.Assign):
            self.assign(statement, scope)
        elif isinstance(statement, ast.If):
            self._if(statement, scope, emit)
        elif isinstance(statement, ast.ForEach):
            self._foreach(statement, scope, emit)
        elif isinstance(statement, ast.For):
            self._for(statement, scope, emit)
        elif isinstance(statement, ast.While):
            self._loop(
                statement.label,
                statement.body,
                scope,
                emit,
                lambda: truthy(self.statement_value(statement.condition, scope)),
                None,
            )
        elif isinstance(statement, ast.DoLoop):
            self._do(statement, scope, emit)
        elif isinstance(statement, ast.Switch):
            self._switch(statement, scope, emit)
        elif isinstance(statement, ast.Try):
            self._try(statement, scope, emit)
        elif isinstance(statement, ast.Throw):
            self._throw(statement, scope)
        elif isinstance(statement, ast.Return):
            if statement.value is not None:
                self.exec_statement(statement.value, scope, emit)
            raise ReturnSignal()
        elif isinstance(statement, ast.Exit):
            if statement.value is not None:
                self.statement_value(statement.value, scope)
            raise ExitSignal()
        elif isinstance(statement, ast.Continue):
            raise ContinueSignal(statement.label)
        elif isinstance(statement, ast.Break):
            raise BreakSignal(statement.label)
        elif isinstance(statement, ast.FunctionDef):
            scope.define_function(statement)
        else:  # pragma: no cover - the parser produces only the nodes above
            raise unsupported_runtime(type(statement).__name__)

    # ---------------------------------------------------------------------- statements
    def assign(self, statement: ast.Assign, scope: Scope) -> Any:
        value = self.statement_value(statement.value, scope)
        if statement.op != "=":
            current = self.eval(statement.target, scope)
            value = self.binary_value(statement.op[0], current, value, scope)
        self.store(statement.target, value, scope)
        return value

    def _if(self, statement: ast.If, scope: Scope, emit: Emit) -> None:
        for condition, body in statement.clauses:
            if truthy(self.statement_value(condition, scope)):
                self.exec_block(body, scope, emit)
                return
        if statement.else_body is not None:
            self.exec_block(statement.else_body, scope, emit)

    def _loop(
        self,
        label: str | None,
        body: list[ast.Statement],
        scope: Scope,
        emit: Emit,
        condition: Callable[[], bool] | None,
        step: Callable[[], None] | None,
        *,
        check_first: bool = True,
    ) -> None:
        first = True
        while True:
            self.state.check_stop()
            if condition is not None and (check_first or not first) and not condition():
                return
            first = False
            try:
                self.exec_block(body, scope, emit)
            except ContinueSignal as signal:
                if not _label_matches(signal, label):
                    raise
            except BreakSignal as signal:
                if _label_matches(signal, label):
                    return
                raise
            if step is not None:
                step()

    def _foreach(self, statement: ast.ForEach, scope: Scope, emit: Emit) -> None:
        value = self.statement_value(statement.iterable, scope)
        items = value if isinstance(value, list | tuple) else ([] if value is None else [value])
        iterator = iter(list(items))
        sentinel = object()

        def advance() -> bool:
            item = next(iterator, sentinel)
            if item is sentinel:
                return False
            scope.assign(statement.variable, item)
            return True

        self._loop(statement.label, statement.body, scope, emit, advance, None)

    def _for(self, statement: ast.For, scope: Scope, emit: Emit) -> None:
        if statement.init is not None:
            self.exec_statement(statement.init, scope, emit)
        cond = statement.condition
        step = statement.step

        def condition() -> bool:
            return cond is None or truthy(self.statement_value(cond, scope))

        def do_step() -> None:
            if step is not None:
                self.exec_statement(step, scope, emit)

        self._loop(statement.label, statement.body, scope, emit, condition, do_step)

    def _do(self, statement: ast.DoLoop, scope: Scope, emit: Emit) -> None:
        def condition() -> bool:
            result = truthy(self.statement_value(statement.condition, scope))
            return not result if statement.until else result

        self._loop(statement.label, statement.body, scope, emit, condition, None, check_first=False)

    def _switch(self, statement: ast.Switch, scope: Scope, emit: Emit) -> None:
        value = self.statement_value(statement.subject, scope)
        items = value if isinstance(value, list | tuple) else [value]
        saved = scope.vars.get("_", MISSING)
        try:
            for item in list(items):
                self.state.check_stop()
                scope.assign("_", item)
                matched = False
                try:
                    for clause in statement.clauses:
                        if clause.pattern is None:
                            continue
                        if self._switch_match(statement, item, self.eval(clause.pattern, scope), scope):
                            matched = True
                            self.exec_block(clause.body, scope, emit)
                    if not matched:
                        for clause in statement.clauses:
                            if clause.pattern is None:
                                self.exec_block(clause.body, scope, emit)
                except ContinueSignal as signal:
                    if not _label_matches(signal, statement.label):
                        raise
                except BreakSignal as signal:
                    if _label_matches(signal, statement.label):
                        return
                    raise
        finally:
            if saved is MISSING:
                scope.remove("_")
            else:
                scope.assign("_", saved)

    def _switch_match(self, statement: ast.Switch, item: Any, pattern: Any, scope: Scope) -> bool:
        cs = statement.case_sensitive
        if statement.mode == "wildcard":
            return wildcard_regex(to_string(pattern), cs).match(to_string(item)) is not None
        if statement.mode == "regex":
            found = dotnet_regex(to_string(pattern), cs).search(to_string(item))
            if found is not None:
                scope.assign("Matches", _matches_table(found))
            return found is not None
        return (
            equals(item, pattern, cs) if not isinstance(item, str) else equals(item, to_string(pattern), cs)
        )

    def _try(self, statement: ast.Try, scope: Scope, emit: Emit) -> None:
        try:
            self.state.try_depth += 1
            try:
                self.exec_block(statement.body, scope, emit)
            finally:
                self.state.try_depth -= 1
        except PSTerminatingError as error:
            clause = self._find_catch(statement.catches, error.record)
            if clause is None:
                raise
            self.state.record_error(error.record)
            saved = (scope.vars.get("_", MISSING), scope.vars.get("psitem", MISSING))
            scope.assign("_", error.record)
            scope.assign("PSItem", error.record)
            try:
                self.exec_block(clause.body, scope, emit)
            finally:
                for name, old in zip(("_", "PSItem"), saved, strict=True):
                    if old is MISSING:
                        scope.remove(name)
                    else:
                        scope.assign(name, old)
        finally:
            if statement.final is not None:
                self.exec_block(statement.final, scope, emit)

    @staticmethod
    def _find_catch(catches: list[ast.CatchClause], record: ErrorRecord) -> ast.CatchClause | None:
        chain = [name.lower() for name in exception_chain(record.exception_type)]
        for clause in catches:
            if not clause.types:
                return clause
            for wanted in clause.types:
                w = wanted.lower()
                if w in chain or f"system.{w}" in chain or any(c.rsplit(".", 1)[-1] == w for c in chain):
                    return clause
        return None

    def _throw(self, statement: ast.Throw, scope: Scope) -> None:
        if statement.value is None:
            raise ScriptTerminatingError(
                ErrorRecord("ScriptHalted", "ScriptHalted", ErrorCategory.OperationStopped, RUNTIME_EXCEPTION)
            )
        value = self.statement_value(statement.value, scope)
        if isinstance(value, ErrorRecord):
            raise ScriptTerminatingError(value)
        if isinstance(value, ExceptionView):
            raise ScriptTerminatingError(value.record)
        text = to_string(value)
        raise ScriptTerminatingError(
            ErrorRecord(text, text, ErrorCategory.OperationStopped, RUNTIME_EXCEPTION, target_object=value)
        )

    # ------------------------------------------------------------------------ pipelines
    def run_pipeline(self, pipeline: ast.Pipeline, scope: Scope, emit: Emit) -> None:
        elements = pipeline.elements
        first = elements[0]
        if len(elements) == 1 and not isinstance(first, ast.Command):
            value = self.eval(first, scope)
            if isinstance(first, ast.IncDec) or (
                isinstance(first, ast.Cast) and first.type_name == "System.Void"
            ):
                return
            if isinstance(first, ast.InvokeMember) and value is None:
                return  # a void method (``$h.Add(k, v)``) writes nothing
            emit_value(value, emit)
            return
        data: list[Any] | None = None
        for index, element in enumerate(elements):
            last = index == len(elements) - 1
            collected: list[Any] = []
            sink: Emit = emit if last else collected.append
            if isinstance(element, ast.Command):
                self.invoke_command(element, scope, data, sink)
            else:
                emit_value(self.eval(element, scope), sink)
            data = collected

    def collect(self, statements: Sequence[ast.Statement], scope: Scope) -> list[Any]:
        out: list[Any] = []
        self.exec_block(statements, scope, out.append)
        return out

    def statement_value(self, statement: ast.Statement, scope: Scope) -> Any:
        """The value of a statement used as an expression (``$x = <statement>``, conditions)."""
        if isinstance(statement, ast.Pipeline) and len(statement.elements) == 1:
            only = statement.elements[0]
            if not isinstance(only, ast.Command):
                return self.eval(only, scope)
        if isinstance(statement, ast.Assign):
            return self.assign(statement, scope)
        out: list[Any] = []
        self._exec(statement, scope, out.append)
        return collapse(out)

    # ------------------------------------------------------------------------- commands
    def build_tokens(self, command: ast.Command, scope: Scope) -> list[Token]:
        tokens: list[Token] = []
        for element in command.elements:
            if isinstance(element, ast.ParamArg):
                if element.value is None:
                    tokens.append(ParameterToken(element.name, text=element.text))
                else:
                    tokens.append(ParameterToken(element.name, self.eval(element.value, scope), element.text))
            elif isinstance(element, ast.PositionalArg):
                tokens.append(ArgumentValue(self.eval(element.value, scope)))
            else:
                tokens.extend(self._splat(element, scope))
        return tokens

    def _splat(self, element: ast.SplatArg, scope: Scope) -> list[Token]:
        value = self.read_variable(element.variable, "", scope)
        if isinstance(value, Hashtable):
            return [ParameterToken(str(k), v, f"-{k}:") for k, v in value.items()]
        if isinstance(value, list | tuple):
            return [ArgumentValue(v) for v in value]
        if value is None:
            return []
        return [ArgumentValue(value)]

    def invoke_command(
        self, command: ast.Command, scope: Scope, input_objects: list[Any] | None, emit: Emit
    ) -> None:
        self.state.check_stop()
        target: Any = command.name
        if not isinstance(target, str):
            target = self.eval(target, scope)
        tokens = self.build_tokens(command, scope)
        if isinstance(target, ScriptBlockValue):
            self.invoke_scriptblock(target, scope, tokens, input_objects, emit)
            return
        if isinstance(target, CommandInfo):
            target = target.name
        if not isinstance(target, str):
            raise runtime_error(
                "BadExpression",
                "The expression after '&' in a pipeline element produced an object that was not "
                "valid. It must "
                "result in a command name, a script block, or a CommandInfo object.",
            )
        self.invoke_named(target, scope, tokens, input_objects, emit)

    def invoke_named(
        self, name: str, scope: Scope, tokens: Sequence[Token], input_objects: list[Any] | None, emit: Emit
    ) -> None:
        from orchestrator.sandbox.pwsh.builtins import BUILTINS, canonical_builtin

        if name.lower() in UNSUPPORTED_COMMANDS:
            raise unsupported_runtime(f"the command '{name}'")
        function = scope.function(name)
        if function is not None:
            self.call_function(function, scope, tokens, input_objects, emit)
            return
        builtin = canonical_builtin(name)
        if builtin is not None:
            streams = CommandStreams(self.state, scope, emit, builtin)
            BUILTINS[builtin](self, scope, list(tokens), input_objects, streams)
            return
        external = self.state.resolver.resolve(name)
        if external is None:
            raise command_not_found(name)
        streams = CommandStreams(self.state, scope, emit, external.name)
        external.invoke(list(tokens), input_objects, streams)

    def command_exists(self, name: str, scope: Scope) -> str | None:
        from orchestrator.sandbox.pwsh.builtins import canonical_builtin

        function = scope.function(name)
        if function is not None:
            return "Function"
        if canonical_builtin(name) is not None:
            return "Cmdlet"
        return "Cmdlet" if self.state.resolver.resolve(name) is not None else None

    def call_function(
        self,
        function: ast.FunctionDef,
        scope: Scope,
        tokens: Sequence[Token],
        input_objects: list[Any] | None,
        emit: Emit,
    ) -> None:
        self.invoke_block(function.block, function.name, Scope(scope), tokens, input_objects, emit)

    def invoke_block(
        self,
        block: ast.ScriptBlock,
        command: str,
        child: Scope,
        tokens: Sequence[Token],
        input_objects: list[Any] | None,
        emit: Emit,
    ) -> None:
        """Bind ``tokens`` to ``block``'s param() in ``child`` and run its body there."""
        self.state.call_depth += 1
        try:
            if self.state.call_depth > 100:
                raise ScriptTerminatingError(
                    ErrorRecord(
                        "The script failed due to call depth overflow.",
                        "CallDepthOverflow",
                        ErrorCategory.InvalidOperation,
                        "System.Management.Automation.ScriptCallDepthException",
                    )
                )
            result = bind_script_block(
                block, tokens, command, lambda expr: self.eval(expr, child), child.assign
            )
            for key, value in result.common.items():
                if key == "ErrorAction":
                    child.assign("ErrorActionPreference", value)
                elif key == "WarningAction":
                    child.assign("WarningPreference", value)
            child.assign("args", result.unbound_args)
            child.assign("input", list(input_objects or []))
            child.assign("PSBoundParameters", Hashtable(result.bound))
            with contextlib.suppress(ReturnSignal):
                self.exec_block(block.body, child, emit)
        finally:
            self.state.call_depth -= 1

    def invoke_scriptblock(
        self,
        value: ScriptBlockValue,
        scope: Scope,
        tokens: Sequence[Token],
        input_objects: list[Any] | None,
        emit: Emit,
    ) -> None:
        self.invoke_block(value.block, "", Scope(scope), tokens, input_objects, emit)

    def run_in_scope(self, value: ScriptBlockValue, scope: Scope, dollar_under: Any, emit: Emit) -> None:
        """Run a script block dot-sourced with ``$_`` set: Where-Object / ForEach-Object bodies."""
        block = value.block
        if block.params:
            raise unsupported_runtime("a param() block in a Where-Object/ForEach-Object script block")
        saved = (scope.vars.get("_", MISSING), scope.vars.get("psitem", MISSING))
        scope.assign("_", dollar_under)
        scope.assign("PSItem", dollar_under)
        try:
            self.exec_block(block.body, scope, emit)
        except ReturnSignal:
            pass
        finally:
            for name, old in zip(("_", "PSItem"), saved, strict=True):
                if old is MISSING:
                    scope.remove(name)
                else:
                    scope.assign(name, old)

    def call_scriptblock_value(self, value: ScriptBlockValue, scope: Scope, args: Sequence[Any]) -> list[Any]:
        """``$sb.Invoke(args)``: the output as a list."""
        out: list[Any] = []
        self.invoke_scriptblock(value, scope, [ArgumentValue(a) for a in args], None, out.append)
        return out


def emit_value(value: Any, emit: Emit) -> None:
    """Write an expression's value: arrays are unrolled one level, as PowerShell does."""
    if isinstance(value, list | tuple):
        for item in value:
            emit(item)
    else:
        emit(value)


def collapse(items: list[Any]) -> Any:
    """Nothing -> ``$null``, one object -> the object, more -> an array."""
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return items
