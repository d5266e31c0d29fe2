"""The syntax tree of the subset: plain dataclasses, built once per script text and then shared.

Nodes are immutable in practice (the parser builds them, the interpreter only reads them), which
is what lets ``Engine`` cache one tree per script text and run it on several threads at once.
Every node records its source ``line`` for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Node:
    line: int


# ----------------------------------------------------------------------------------- expressions


@dataclass(slots=True)
class Expr(Node):
    pass


@dataclass(slots=True)
class Const(Expr):
    value: object


@dataclass(slots=True)
class ExpandString(Expr):
    """A double-quoted string: literal text and embedded ``$var`` / ``$(...)`` parts."""

    parts: list[str | Expr]


@dataclass(slots=True)
class Var(Expr):
    name: str
    scope: str = ""  # "", "script", "global", "local"


@dataclass(slots=True)
class ArrayLiteral(Expr):
    """The comma operator: ``1, 2, 3`` and unary ``,x``."""

    items: list[Expr]


@dataclass(slots=True)
class ArraySub(Expr):
    """``@( ... )``: always an array of whatever the statements wrote."""

    body: list[Statement]


@dataclass(slots=True)
class SubExpr(Expr):
    """``$( ... )``: nothing, one value, or an array of what the statements wrote."""

    body: list[Statement]


@dataclass(slots=True)
class Paren(Expr):
    """``( pipeline )``: an expression keeps its value; a command pipeline is collected."""

    inner: Statement


@dataclass(slots=True)
class HashLiteral(Expr):
    entries: list[tuple[Expr, Statement]]
    ordered: bool = False


@dataclass(slots=True)
class ScriptBlockExpr(Expr):
    block: ScriptBlock


@dataclass(slots=True)
class TypeLiteral(Expr):
    type_name: str


@dataclass(slots=True)
class Cast(Expr):
    type_name: str
    operand: Expr


@dataclass(slots=True)
class Member(Expr):
    target: Expr
    name: Expr  # usually Const(str); ``$x.$name`` allowed
    static: bool = False


@dataclass(slots=True)
class InvokeMember(Expr):
    target: Expr
    name: str
    args: list[Expr]
    static: bool = False


@dataclass(slots=True)
class Index(Expr):
    target: Expr
    index: Expr


@dataclass(slots=True)
class Unary(Expr):
    op: str  # "-not", "-", "+", "-join", "-split", "-bnot"
    operand: Expr


@dataclass(slots=True)
class Binary(Expr):
    op: str  # normalised lower-case: "+", "-eq", "-ceq", "-and", "..", "-f", ...
    left: Expr
    right: Expr


@dataclass(slots=True)
class IncDec(Expr):
    op: str  # "++" or "--"
    target: Expr
    prefix: bool


# ------------------------------------------------------------------------------------ commands


@dataclass(slots=True)
class ParamArg(Node):
    """``-Name``, ``-Name:value`` (``value`` set) as written in a command."""

    name: str
    text: str
    value: Expr | None = None


@dataclass(slots=True)
class PositionalArg(Node):
    value: Expr


@dataclass(slots=True)
class SplatArg(Node):
    variable: str


CommandElement = ParamArg | PositionalArg | SplatArg


@dataclass(slots=True)
class Command(Node):
    name: str | Expr  # a bare name, or the expression after ``&``
    elements: list[CommandElement]
    call_operator: bool = False


# ---------------------------------------------------------------------------------- statements


@dataclass(slots=True)
class Statement(Node):
    pass


@dataclass(slots=True)
class Pipeline(Statement):
    """``expr`` or ``cmd | cmd``; only the first element may be an expression."""

    elements: list[Expr | Command]


@dataclass(slots=True)
class Assign(Statement):
    target: Expr
    op: str  # "=", "+=", "-=", "*=", "/="
    value: Statement


@dataclass(slots=True)
class If(Statement):
    clauses: list[tuple[Statement, list[Statement]]]
    else_body: list[Statement] | None


@dataclass(slots=True)
class ForEach(Statement):
    variable: str
    iterable: Statement
    body: list[Statement]
    label: str | None = None


@dataclass(slots=True)
class For(Statement):
    init: Statement | None
    condition: Statement | None
    step: Statement | None
    body: list[Statement]
    label: str | None = None


@dataclass(slots=True)
class While(Statement):
    condition: Statement
    body: list[Statement]
    label: str | None = None


@dataclass(slots=True)
class DoLoop(Statement):
    body: list[Statement]
    condition: Statement
    until: bool
    label: str | None = None


@dataclass(slots=True)
class SwitchClause(Node):
    pattern: Expr | None  # None: default
    body: list[Statement]


@dataclass(slots=True)
class Switch(Statement):
    subject: Statement
    clauses: list[SwitchClause]
    mode: str = "exact"  # "exact", "wildcard", "regex"
    case_sensitive: bool = False
    label: str | None = None


@dataclass(slots=True)
class CatchClause(Node):
    types: list[str]
    body: list[Statement]


@dataclass(slots=True)
class Try(Statement):
    body: list[Statement]
    catches: list[CatchClause]
    final: list[Statement] | None


@dataclass(slots=True)
class Throw(Statement):
    value: Statement | None


@dataclass(slots=True)
class Return(Statement):
    value: Statement | None


@dataclass(slots=True)
class Break(Statement):
    label: str | None = None


@dataclass(slots=True)
class Continue(Statement):
    label: str | None = None


@dataclass(slots=True)
class Exit(Statement):
    value: Statement | None


@dataclass(slots=True)
class FunctionDef(Statement):
    name: str
    block: ScriptBlock


# ------------------------------------------------------------------------------- script blocks


@dataclass(slots=True)
class ParamDecl(Node):
    name: str
    type_name: str | None = None
    mandatory: bool = False
    has_parameter_attribute: bool = False
    position: int | None = None
    validate_not_null_or_empty: bool = False
    validate_set: list[str] | None = None
    validate_range: tuple[object, object] | None = None
    allow_empty_string: bool = False
    allow_null: bool = False
    allow_empty_collection: bool = False
    default: Expr | None = None


@dataclass(slots=True)
class ScriptBlock(Node):
    params: list[ParamDecl] | None
    body: list[Statement]
    cmdlet_binding: bool = False
    text: str = ""

    @property
    def advanced(self) -> bool:
        """PowerShell binds strictly (no ``$args``) for ``[CmdletBinding()]`` or any ``[Parameter()]``."""
        return self.cmdlet_binding or any(p.has_parameter_attribute for p in self.params or [])
