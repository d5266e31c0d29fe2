"""Expression evaluation: variables, operators, casts, members, indexing, literals.

The interpreter (``interpreter.Interpreter``) derives from ``Evaluator`` and supplies statement
execution; expressions that contain statements (``$()``, ``@()``, hashtable values) call back into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orchestrator.sandbox.pwsh import ast, members, operators
from orchestrator.sandbox.pwsh.conversions import convert, to_string, truthy
from orchestrator.sandbox.pwsh.errors import runtime_error
from orchestrator.sandbox.pwsh.scope import Scope
from orchestrator.sandbox.pwsh.state import RunState
from orchestrator.sandbox.pwsh.values import OrderedDictionary, ScriptBlockValue, TypeValue
from orchestrator.sandbox.runtime import ErrorCategory, Hashtable, PSObject

MISSING: Any = object()


def _undefined(name: str) -> Exception:
    return runtime_error(
        "VariableIsUndefined",
        f"The variable '${name}' cannot be retrieved because it has not been set.",
        target=name,
    )


class Evaluator:
    def __init__(self, state: RunState) -> None:
        self.state = state

    # provided by Interpreter
    def statement_value(self, statement: ast.Statement, scope: Scope) -> Any:
        raise NotImplementedError

    def collect(self, statements: Sequence[ast.Statement], scope: Scope) -> list[Any]:
        raise NotImplementedError

    def call_scriptblock_value(self, value: ScriptBlockValue, scope: Scope, args: Sequence[Any]) -> list[Any]:
        raise NotImplementedError

    # ------------------------------------------------------------------------ variables
    def _scope_for(self, kind: str, scope: Scope) -> Scope:
        if kind == "script":
            return self.state.script_scope
        if kind == "global":
            return self.state.global_scope
        return scope

    def read_variable(self, name: str, kind: str, scope: Scope) -> Any:
        if name.lower() == "null" and not kind:
            return None
        if kind == "local":
            if name.lower() in scope.vars:
                return scope.vars[name.lower()]
        else:
            owner = self._scope_for(kind, scope).find(name)
            if owner is not None:
                return owner.vars[name.lower()]
        if self.state.strict:
            raise _undefined(name)
        return None

    def write_variable(self, name: str, kind: str, value: Any, scope: Scope) -> None:
        if name.lower() == "null" and not kind:
            return
        if name.lower() in ("erroractionpreference", "warningpreference"):
            from orchestrator.sandbox.pwsh.streams import normalise_action

            normalise_action(value, variable=name)
        self._scope_for(kind, scope).assign(name, value)

    # ---------------------------------------------------------------------- expressions
    def eval(self, expr: ast.Expr, scope: Scope) -> Any:
        if isinstance(expr, ast.Const):
            return expr.value
        if isinstance(expr, ast.Var):
            return self.read_variable(expr.name, expr.scope, scope)
        if isinstance(expr, ast.Member):
            return self._member(expr, scope)
        if isinstance(expr, ast.InvokeMember):
            return self._invoke(expr, scope)
        if isinstance(expr, ast.Binary):
            return self._binary(expr, scope)
        if isinstance(expr, ast.ExpandString):
            return "".join(p if isinstance(p, str) else to_string(self.eval(p, scope)) for p in expr.parts)
        if isinstance(expr, ast.ArrayLiteral):
            return [self.eval(item, scope) for item in expr.items]
        if isinstance(expr, ast.Paren):
            return self.statement_value(expr.inner, scope)
        if isinstance(expr, ast.SubExpr):
            items = self.collect(expr.body, scope)
            return None if not items else items[0] if len(items) == 1 else items
        if isinstance(expr, ast.ArraySub):
            return self.collect(expr.body, scope)
        if isinstance(expr, ast.HashLiteral):
            return self._hash(expr, scope)
        if isinstance(expr, ast.Cast):
            return self._cast(expr, scope)
        if isinstance(expr, ast.Index):
            return self._index(self.eval(expr.target, scope), self.eval(expr.index, scope))
        if isinstance(expr, ast.Unary):
            return self._unary(expr, scope)
        if isinstance(expr, ast.ScriptBlockExpr):
            return ScriptBlockValue(expr.block)
        if isinstance(expr, ast.TypeLiteral):
            return TypeValue(expr.type_name)
        if isinstance(expr, ast.IncDec):
            return self._incdec(expr, scope)
        raise runtime_error(
            "UnexpectedToken", f"Unknown expression {type(expr).__name__}."
        )  # pragma: no cover

    def _hash(self, expr: ast.HashLiteral, scope: Scope) -> Hashtable:
        table: Hashtable = OrderedDictionary() if expr.ordered else Hashtable()
        for key_expr, value_stmt in expr.entries:
            key = to_string(self.eval(key_expr, scope))
            if key in table:
                raise runtime_error(
                    "DuplicateKeyInHashLiteral", f"Duplicate keys '{key}' are not allowed in hash literals."
                )
            table[key] = self.statement_value(value_stmt, scope)
        return table

    def _cast(self, expr: ast.Cast, scope: Scope) -> Any:
        value = self.eval(expr.operand, scope)
        if expr.type_name == "System.Management.Automation.PSCustomObject" and isinstance(value, Hashtable):
            return PSObject(list(value.items()))
        return convert(value, expr.type_name)

    def _member(self, expr: ast.Member, scope: Scope) -> Any:
        name = to_string(self.eval(expr.name, scope))
        if expr.static:
            assert isinstance(expr.target, ast.TypeLiteral)
            return members.static_property(expr.target.type_name, name, self.state.now)
        return members.get_property(self.eval(expr.target, scope), name, self.state.strict)

    def _invoke(self, expr: ast.InvokeMember, scope: Scope) -> Any:
        args = [self.eval(a, scope) for a in expr.args]
        if expr.static:
            assert isinstance(expr.target, ast.TypeLiteral)
            return members.static_method(expr.target.type_name, expr.name, args)
        target = self.eval(expr.target, scope)
        if isinstance(target, ScriptBlockValue) and expr.name.lower() in ("invoke", "invokereturnasis"):
            return self.call_scriptblock_value(target, scope, args)
        return members.invoke_method(target, expr.name, args)

    def _binary(self, expr: ast.Binary, scope: Scope) -> Any:
        if expr.op == "-and":
            return truthy(self.eval(expr.left, scope)) and truthy(self.eval(expr.right, scope))
        if expr.op == "-or":
            return truthy(self.eval(expr.left, scope)) or truthy(self.eval(expr.right, scope))
        return self.binary_value(expr.op, self.eval(expr.left, scope), self.eval(expr.right, scope), scope)

    def binary_value(self, op: str, left: Any, right: Any, scope: Scope) -> Any:
        return operators.binary(op, left, right, lambda table: scope.assign("Matches", table))

    def _unary(self, expr: ast.Unary, scope: Scope) -> Any:
        value = self.eval(expr.operand, scope)
        op = expr.op
        if op == "-not":
            return not truthy(value)
        if op == "-":
            return (
                operators.subtract(0, value)
                if not isinstance(value, list)
                else self._no_op(value, "op_UnaryNegation")
            )
        if op == "+":
            return operators.to_number(value) if not isinstance(value, list) else value
        if op == "-join":
            return operators.join(value, "")
        if op == "-split":
            items = value if isinstance(value, list | tuple) else [value]
            return [part for item in items for part in to_string(item).split()]
        if op == "-bnot":
            return ~int(convert(value, "System.Int64"))
        raise runtime_error("UnexpectedToken", f"Unknown operator {op}.")  # pragma: no cover

    @staticmethod
    def _no_op(value: Any, method: str) -> Any:
        raise runtime_error(
            "MethodNotFound",
            f"Method invocation failed because [System.Object[]] does not contain a method named '{method}'.",
        )

    def _incdec(self, expr: ast.IncDec, scope: Scope) -> Any:
        old = self.eval(expr.target, scope)
        new = operators.add(operators.to_number(old), 1 if expr.op == "++" else -1)
        self.store(expr.target, new, scope)
        return new if expr.prefix else old

    # ------------------------------------------------------------------------- indexing
    def _index(self, target: Any, index: Any) -> Any:
        if target is None:
            raise runtime_error("NullArray", "Cannot index into a null array.")
        if isinstance(target, Hashtable):
            if isinstance(index, list | tuple):
                return [target.get(to_string(k)) for k in index]
            return target.get(to_string(index))
        if isinstance(target, list | tuple | str):
            if isinstance(index, list | tuple):
                return [self._index(target, i) for i in index]
            position = int(convert(index, "System.Int32"))
            if -len(target) <= position < len(target):
                return target[position]
            return None
        if isinstance(target, PSObject):
            raise runtime_error(
                "CannotIndex",
                f"Unable to index into an object of type "
                f"{target.type_names[0] if target.type_names else 'PSObject'}.",
            )
        position = int(convert(index, "System.Int32"))
        return target if position in (0, -1) else None

    def store(self, target: ast.Expr, value: Any, scope: Scope) -> None:
        """Assign to a variable, ``$obj.Prop``/``$h.Key`` or ``$a[i]``/``$h['k']``."""
        if isinstance(target, ast.Var):
            self.write_variable(target.name, target.scope, value, scope)
            return
        if isinstance(target, ast.Member):
            obj = self.eval(target.target, scope)
            members.set_property(obj, to_string(self.eval(target.name, scope)), value)
            return
        if isinstance(target, ast.Index):
            obj = self.eval(target.target, scope)
            index = self.eval(target.index, scope)
            if isinstance(obj, Hashtable):
                obj[to_string(index)] = value
                return
            if isinstance(obj, list):
                position = int(convert(index, "System.Int32"))
                if not -len(obj) <= position < len(obj):
                    raise runtime_error(
                        "System.IndexOutOfRangeException",
                        "Index was outside the bounds of the array.",
                        category=ErrorCategory.OperationStopped,
                        exception_type="System.IndexOutOfRangeException",
                    )
                obj[position] = value
                return
            if obj is None:
                raise runtime_error("NullArray", "Cannot index into a null array.")
            raise runtime_error(
                "CannotIndex", f"Unable to index into an object of type {type(obj).__name__}."
            )
        raise runtime_error(
            "InvalidLeftHandSide", "The assignment expression is not valid."
        )  # pragma: no cover
