"""Command-mode parsing: pipelines, command names, parameters, arguments, splatting.

In command mode a word is a bare-word argument, ``-Name`` a parameter token and ``-Name:value`` a
parameter with its own value; the parser keeps them as written (``ast.ParamArg``) so that the
evaluator can hand the host the raw token list its binder expects.
"""

from __future__ import annotations

import re

from orchestrator.sandbox.pwsh import ast
from orchestrator.sandbox.pwsh.errors import parse_error, unsupported
from orchestrator.sandbox.pwsh.lexer import (
    DASHES,
    DOUBLE_QUOTES,
    QUOTES,
    SINGLE_QUOTES,
    Scanner,
    is_name_char,
)
from orchestrator.sandbox.pwsh.parse_expressions import ExpressionParser

#: commands that would run code the sandbox cannot see or contain
UNSUPPORTED_COMMANDS = {
    "invoke-expression", "iex", "add-type", "invoke-command", "icm", "start-job", "start-threadjob",
    "new-module", "import-module", "ipmo", "register-objectevent", "invoke-item", "start-process",
}  # fmt: skip
_REDIRECTION = re.compile(r"(?:[1-6*]?>)|<")


class CommandParser(ExpressionParser):
    """Pipelines and commands; ``Parser`` adds statements and script blocks."""

    def _at_pipeline_end(self) -> bool:
        c = self.s.peek()
        return c == "" or c in "\r\n;})"

    # --------------------------------------------------------------------------- pipelines
    def _starts_expression(self) -> bool:
        s = self.s
        c = s.peek()
        if not c:
            return False
        if c in "$@([{,!+" or c in QUOTES or c.isdigit():
            return True
        if c == "." and s.peek(1).isdigit():
            return True
        if c in DASHES:
            nxt = s.peek(1)
            if nxt.isdigit() or nxt in "$(" or (nxt and nxt in DASHES) or nxt == ".":
                return True
            return self._dash_word() in ("not", "bnot", "split", "join")
        return False

    def parse_pipeline(self) -> ast.Statement:
        s = self.s
        line = s.line
        elements: list[ast.Expr | ast.Command] = []
        if self._starts_expression():
            expr = self.parse_expression()
            s.skip_ws()
            op = self._assignment_operator()
            if op is not None:
                return self._assignment(expr, op, line)
            elements.append(expr)
        else:
            elements.append(self._command())
        while True:
            s.skip_ws()
            c = s.peek()
            if c == "|":
                if s.peek(1) == "|":
                    raise unsupported("the pipeline chain operator ||", s.line)
                s.advance()
                s.skip_ws(newlines=True)
                if s.at_end() or s.peek() in "\r\n;)}":
                    raise parse_error("EmptyPipeElement", "An empty pipe element is not allowed.")
                if self._starts_expression() and s.peek() != "&":
                    raise parse_error(
                        "ExpressionsMustBeFirstInPipeline",
                        "Expressions are only allowed as the first element of a pipeline.",
                    )
                elements.append(self._command())
                continue
            if c == "&" and s.peek(1) == "&":
                raise unsupported("the pipeline chain operator &&", s.line)
            if _REDIRECTION.match(s.text, s.pos) and c in "<>*123456":
                self._redirection()
            return ast.Pipeline(line, elements)

    def _redirection(self) -> None:
        if self.s.peek() == "<":
            raise parse_error("RedirectionNotSupported", "The '<' operator is reserved for future use.")
        raise unsupported("redirection", self.s.line)

    def _assignment_operator(self) -> str | None:
        s = self.s
        c = s.peek()
        if c == "=":
            s.advance()
            return "="
        if c and (c in "+*/%" or c in DASHES) and s.peek(1) == "=":
            s.advance(2)
            return ("-" if c in DASHES else c) + "="
        return None

    def _assignment(self, target: ast.Expr, op: str, line: int) -> ast.Statement:
        if isinstance(target, ast.Cast) and isinstance(target.operand, ast.Var):
            raise unsupported("type-constrained variables", line)
        if isinstance(target, ast.ArrayLiteral):
            raise unsupported("multiple assignment", line)
        if not isinstance(target, ast.Var | ast.Member | ast.Index):
            raise parse_error(
                "InvalidLeftHandSide",
                "The assignment expression is not valid. The input to an assignment "
                "operator must be an object that is able to accept assignments, such as a variable "
                "or a property.",
            )
        if isinstance(target, ast.Member) and target.static:
            raise unsupported("assignment to a static member", line)
        self.s.skip_ws(newlines=True)
        if self._at_pipeline_end():
            raise parse_error(
                "ExpectedValueExpression",
                f"You must provide a value expression following the '{op}' operator.",
            )
        return ast.Assign(line, target, op, self.parse_statement())

    # ---------------------------------------------------------------------------- commands
    def _command(self) -> ast.Command:
        s = self.s
        line = s.line
        call = False
        name: str | ast.Expr
        if s.peek() == "&":
            call = True
            s.advance()
            s.skip_ws()
            if s.peek() == "$" or s.peek() in QUOTES or s.peek() in "({":
                name = self.parse_postfix(self.parse_primary())
            else:
                name = s.read_bare_word()
        elif s.peek() == "." and s.peek(1) in " \t{$'\"":
            raise unsupported("dot-sourcing", line)
        else:
            name = s.read_bare_word()
            if any(ch in name for ch in "$`\"'" + DOUBLE_QUOTES + SINGLE_QUOTES):
                raise unsupported(f"the command name '{name}'", line)
        if isinstance(name, str):
            if not name:
                raise self.unexpected()
            if _REDIRECTION.search(name):
                raise unsupported("redirection", line)
            if name.lower() in UNSUPPORTED_COMMANDS:
                raise unsupported(f"the command '{name}'", line)
        elements: list[ast.CommandElement] = []
        while True:
            s.skip_ws()
            c = s.peek()
            if not c or c in "\r\n;|)}":
                break
            if c == "&":
                if s.peek(1) == "&":
                    raise unsupported("the pipeline chain operator &&", s.line)
                raise unsupported("the background operator &", s.line)
            if _REDIRECTION.match(s.text, s.pos):
                self._redirection()
            arg_line = s.line
            if c in DASHES and (s.peek(1).isalpha() or s.peek(1) in "_?"):
                elements.append(self._parameter_token(arg_line))
            elif c in DASHES and s.peek(1) in DASHES and s.peek(2) in ("%",):
                raise unsupported("the stop-parsing token --%", arg_line)
            elif c == "@" and is_name_char(s.peek(1)):
                s.advance()
                elements.append(ast.SplatArg(arg_line, s.read_name()))
                self._expect_argument_end()
            else:
                elements.append(ast.PositionalArg(arg_line, self._argument_list()))
        return ast.Command(line, name, elements, call)

    def _parameter_token(self, line: int) -> ast.ParamArg:
        s = self.s
        start = s.pos
        s.advance()
        while s.peek() and s.peek() not in " \t\r\n;|&(){},:" and s.peek() not in QUOTES and s.peek() != "$":
            s.advance()
        text = s.text[start : s.pos]
        name = text[1:]
        if s.peek() == ":":
            s.advance()
            s.skip_ws()
            if self._at_pipeline_end():
                raise parse_error(
                    "ParameterRequiresArgument", f"Missing argument in parameter list (parameter -{name}:)."
                )
            return ast.ParamArg(line, name, text + ":", self._argument())
        if s.peek() and s.peek() not in " \t\r\n;|)},":
            raise unsupported(f"the parameter token '{text}{s.peek()}...'", line)
        return ast.ParamArg(line, name, text)

    def _argument_list(self) -> ast.Expr:
        first = self._argument()
        self.s.skip_ws()
        if self.s.peek() != ",":
            return first
        items = [first]
        while self.s.peek() == ",":
            self.s.advance()
            self.s.skip_ws(newlines=True)
            items.append(self._argument())
            self.s.skip_ws()
        return ast.ArrayLiteral(first.line, items)

    def _argument(self) -> ast.Expr:
        """One command argument: a primary expression with postfix access, or a bare word."""
        s = self.s
        line = s.line
        c = s.peek()
        expr: ast.Expr
        if c in "$@({" or c in QUOTES:
            expr = self.parse_postfix(self.parse_primary())
        elif c == "[":
            raise unsupported("a type literal as a bare command argument (wrap it in parentheses)", line)
        elif c == ",":
            raise parse_error("MissingExpression", "Missing argument in parameter list.")
        else:
            word = s.read_bare_word()
            if any(ch in word for ch in "$`" + QUOTES):
                raise unsupported(f"the bare-word argument '{word}'", line)
            if _REDIRECTION.search(word):
                raise unsupported("redirection", line)
            expr = ast.Const(line, _bare_word_value(word))
        self._expect_argument_end()
        return expr

    def _expect_argument_end(self) -> None:
        c = self.s.peek()
        if c and c not in " \t\r\n;|),}`#":
            raise unsupported("a compound command argument (use parentheses)", self.s.line)


def _bare_word_value(word: str) -> object:
    """Bare words that are numbers are numbers (``Select-Object -First 5``), others strings."""
    probe = Scanner(word)
    number = probe.match_number()
    if number is not None and number[1] == len(word):
        return number[0]
    if word.startswith(("-", "\u2013", "\u2014", "\u2015")):
        probe.pos = 1
        number = probe.match_number()
        if number is not None and number[1] == len(word) and isinstance(number[0], int | float):
            return -number[0]
    return word
