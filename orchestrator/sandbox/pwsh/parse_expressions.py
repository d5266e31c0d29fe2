"""Expression-mode parsing: operators by PowerShell's precedence, primaries, strings, literals.

The precedence chain follows the PowerShell language specification (lowest first):
``-and -or -xor`` < ``-band -bor -bxor`` < comparison (``-eq -like -match -replace -split -join
-is -as -in -contains`` ...) < ``+ -`` < ``* / %`` < ``-f`` < ``..`` < ``,`` < unary
(``-not ! - + , -split -join -bnot ++ --`` and casts) < postfix (``.Member``, ``::Static``,
``[index]``, ``.Method()``). Hence ``-not $a -eq $b`` is ``(-not $a) -eq $b`` and ``1,2 + 3`` is
``(1,2) + 3``, as in PowerShell.
"""

from __future__ import annotations

from orchestrator.sandbox.pwsh import ast
from orchestrator.sandbox.pwsh.errors import parse_error, unsupported
from orchestrator.sandbox.pwsh.lexer import (
    DASHES,
    DOUBLE_QUOTES,
    ESCAPES,
    SINGLE_QUOTES,
    Scanner,
    is_name_char,
)
from orchestrator.sandbox.pwsh.typenames import resolve

_COMPARISON_BASE = {
    "eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch",
    "contains", "notcontains", "in", "notin", "replace", "split",
}  # fmt: skip
COMPARISON_OPS: set[str] = {"join", "is", "isnot", "as"}
for _base in _COMPARISON_BASE:
    COMPARISON_OPS.update({_base, "i" + _base, "c" + _base})
LOGICAL_OPS = {"and", "or", "xor"}
BITWISE_OPS = {"band", "bor", "bxor"}
UNSUPPORTED_OPS = {"shl", "shr"}
UNARY_WORD_OPS = {"not", "bnot", "split", "join"}
ALL_BINARY_WORD_OPS = COMPARISON_OPS | LOGICAL_OPS | BITWISE_OPS | UNSUPPORTED_OPS | {"f"}

SCOPES = {"script", "global", "local"}

#: static members the subset implements, checked at parse time (type full name -> members)
STATIC_MEMBERS: dict[str, set[str]] = {
    "System.DateTime": {"utcnow", "now", "today", "parse", "minvalue", "maxvalue", "specifykind"},
    "System.Guid": {"empty", "newguid", "parse"},
    "System.String": {"isnullorempty", "isnullorwhitespace", "join", "empty", "format", "concat"},
    "System.Math": {"min", "max", "floor", "ceiling", "round", "abs", "truncate"},
    "System.TimeSpan": {"fromdays", "fromhours", "fromminutes", "fromseconds", "frommilliseconds", "zero"},
    "System.Int32": {"maxvalue", "minvalue", "parse"},
    "System.Int64": {"maxvalue", "minvalue", "parse"},
    "System.Text.RegularExpressions.Regex": {"escape"},
}


def _word_after_at(s: Scanner) -> str:
    end = s.pos + 1
    while end < len(s.text) and is_name_char(s.text[end]):
        end += 1
    return s.text[s.pos + 1 : end]


class ExpressionParser:
    """Expression half of the parser; ``Parser`` adds statements and commands."""

    s: Scanner

    # implemented by Parser
    def parse_statements(self, closing: str | None, what: str = "") -> list[ast.Statement]:
        raise NotImplementedError

    def parse_statement(self) -> ast.Statement:
        raise NotImplementedError

    def parse_pipeline(self) -> ast.Statement:
        raise NotImplementedError

    def parse_script_block(self) -> ast.ScriptBlock:
        raise NotImplementedError

    # ----------------------------------------------------------------------------- helpers
    def unexpected(self, token: str | None = None) -> Exception:
        if token is None:
            token = self.s.peek_word() or self.s.peek()
        if not token:
            return parse_error("UnexpectedToken", "Unexpected end of input in expression or statement.")
        return parse_error("UnexpectedToken", f"Unexpected token '{token}' in expression or statement.")

    def _dash_word(self) -> str | None:
        """If the cursor is at ``-word``, the lower-case word (not consumed)."""
        if self.s.peek() not in DASHES or not self.s.peek():
            return None
        i = self.s.pos + 1
        text = self.s.text
        j = i
        while j < len(text) and text[j].isalpha():
            j += 1
        return text[i:j].lower() if j > i else None

    def _binary_word(self, allowed: set[str]) -> str | None:
        word = self._dash_word()
        if word is None:
            return None
        if word not in ALL_BINARY_WORD_OPS:
            raise self.unexpected("-" + word)
        if word in UNSUPPORTED_OPS:
            raise unsupported(f"the -{word} operator", self.s.line)
        if word in allowed:
            self.s.advance(1 + len(word))
            self.s.skip_ws(newlines=True)
            return "-" + word
        return None

    # ------------------------------------------------------------------------ precedence
    def parse_expression(self, comma: bool = True) -> ast.Expr:
        return self._logical(comma)

    def _logical(self, comma: bool) -> ast.Expr:
        left = self._bitwise(comma)
        while True:
            self.s.skip_ws()
            line = self.s.line
            op = self._binary_word(LOGICAL_OPS)
            if op is None:
                return left
            left = ast.Binary(line, op, left, self._bitwise(comma))

    def _bitwise(self, comma: bool) -> ast.Expr:
        left = self._comparison(comma)
        while True:
            self.s.skip_ws()
            line = self.s.line
            op = self._binary_word(BITWISE_OPS)
            if op is None:
                return left
            left = ast.Binary(line, op, left, self._comparison(comma))

    def _comparison(self, comma: bool) -> ast.Expr:
        left = self._additive(comma)
        while True:
            self.s.skip_ws()
            line = self.s.line
            op = self._binary_word(COMPARISON_OPS)
            if op is None:
                return left
            if op[1] == "i" and op[2:] in _COMPARISON_BASE:
                op = "-" + op[2:]
            left = ast.Binary(line, op, left, self._additive(comma))

    def _additive(self, comma: bool) -> ast.Expr:
        left = self._multiplicative(comma)
        while True:
            self.s.skip_ws()
            c = self.s.peek()
            if c == "+" and self.s.peek(1) not in ("+", "="):
                op = "+"
            elif c and c in DASHES and not self.s.peek(1).isalpha() and self.s.peek(1) not in ("-", "="):
                op = "-"
            else:
                return left
            line = self.s.line
            self.s.advance()
            self.s.skip_ws(newlines=True)
            left = ast.Binary(line, op, left, self._multiplicative(comma))

    def _multiplicative(self, comma: bool) -> ast.Expr:
        left = self._format(comma)
        while True:
            self.s.skip_ws()
            c = self.s.peek()
            if c not in ("*", "/", "%") or not c or self.s.peek(1) == "=":
                return left
            line = self.s.line
            self.s.advance()
            self.s.skip_ws(newlines=True)
            left = ast.Binary(line, c, left, self._format(comma))

    def _format(self, comma: bool) -> ast.Expr:
        left = self._range(comma)
        while True:
            self.s.skip_ws()
            line = self.s.line
            op = self._binary_word({"f"})
            if op is None:
                return left
            left = ast.Binary(line, "-f", left, self._range(comma))

    def _range(self, comma: bool) -> ast.Expr:
        left = self._array(comma)
        while True:
            self.s.skip_ws()
            if not self.s.startswith(".."):
                return left
            line = self.s.line
            self.s.advance(2)
            self.s.skip_ws(newlines=True)
            left = ast.Binary(line, "..", left, self._array(comma))

    def _array(self, comma: bool) -> ast.Expr:
        first = self.parse_unary()
        if not comma:
            return first
        self.s.skip_ws()
        if self.s.peek() != ",":
            return first
        items = [first]
        while self.s.peek() == ",":
            self.s.advance()
            self.s.skip_ws(newlines=True)
            items.append(self.parse_unary())
            self.s.skip_ws()
        return ast.ArrayLiteral(first.line, items)

    # ----------------------------------------------------------------------------- unary
    def starts_operand(self) -> bool:
        """Whether the cursor can start a unary operand (used to tell casts from type literals)."""
        c = self.s.peek()
        if not c:
            return False
        if c in "$@('\"[{!,." or c.isdigit() or c in SINGLE_QUOTES or c in DOUBLE_QUOTES:
            return c != "." or self.s.peek(1).isdigit()
        if c == "+" or (c in DASHES and (self.s.peek(1).isdigit() or self.s.peek(1) in "-$(")):
            return True
        return self._dash_word() in UNARY_WORD_OPS

    def parse_unary(self) -> ast.Expr:
        s = self.s
        s.skip_ws()
        line = s.line
        c = s.peek()
        if c == ",":
            s.advance()
            s.skip_ws(newlines=True)
            return ast.ArrayLiteral(line, [self.parse_unary()])
        if c == "!":
            s.advance()
            s.skip_ws(newlines=True)
            return ast.Unary(line, "-not", self.parse_unary())
        if (c == "+" and s.peek(1) == "+") or (c and c in DASHES and s.peek(1) and s.peek(1) in DASHES):
            s.advance(2)
            op = "++" if c == "+" else "--"
            return ast.IncDec(line, op, self.parse_unary(), prefix=True)
        if c == "+":
            s.advance()
            s.skip_ws(newlines=True)
            return ast.Unary(line, "+", self.parse_unary())
        if c and c in DASHES:
            word = self._dash_word()
            if word is None:
                s.advance()
                s.skip_ws(newlines=True)
                operand = self.parse_unary()
                number = operand.value if isinstance(operand, ast.Const) else None
                if isinstance(number, int | float) and not isinstance(number, bool):
                    return ast.Const(line, -number)
                return ast.Unary(line, "-", operand)
            if word in UNARY_WORD_OPS:
                s.advance(1 + len(word))
                s.skip_ws(newlines=True)
                return ast.Unary(line, "-" + word, self.parse_unary())
            raise self.unexpected("-" + word)
        if c == "[":
            return self._type_expression()
        return self.parse_postfix(self.parse_primary())

    def _read_type_name(self) -> str:
        s = self.s
        line = s.line
        start = s.pos
        depth = 0
        while True:
            ch = s.peek()
            if not ch or ch in "\r\n":
                raise parse_error("EndSquareBracketExpectedAtEndOfType", "Missing ] at end of type token.")
            s.advance()
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    break
        name = s.text[start + 1 : s.pos - 1].strip()
        if not name or "(" in name:
            raise unsupported(f"the attribute [{name}] here", line)
        return name

    def resolve_type(self, name: str, line: int) -> str:
        full = resolve(name)
        if full is None:
            raise unsupported(f"the type [{name}]", line)
        return full

    def _type_expression(self) -> ast.Expr:
        s = self.s
        line = s.line
        name = self._read_type_name()
        full = self.resolve_type(name, line)
        if s.startswith("::"):
            return self.parse_postfix(ast.TypeLiteral(line, full))
        save = s.pos
        s.skip_ws()
        if self.starts_operand():
            operand = self.parse_unary()
            if full == "System.Collections.Specialized.OrderedDictionary":
                if not isinstance(operand, ast.HashLiteral):
                    raise parse_error(
                        "OrderedAttributeOnlyOnHashLiteralNode",
                        "The ordered attribute can be specified only on a hash literal node.",
                    )
                return ast.HashLiteral(operand.line, operand.entries, ordered=True)
            return ast.Cast(line, full, operand)
        s.pos = save
        return self.parse_postfix(ast.TypeLiteral(line, full))

    # --------------------------------------------------------------------------- postfix
    def parse_postfix(self, expr: ast.Expr) -> ast.Expr:
        s = self.s
        while True:
            c = s.peek()
            line = s.line
            if c == "." and s.peek(1) != "." and (is_name_char(s.peek(1)) or s.peek(1) in "$'\""):
                s.advance()
                expr = self._member(expr, static=False)
            elif c == ":" and s.peek(1) == ":":
                if not isinstance(expr, ast.TypeLiteral):
                    raise unsupported("static member access on a non-type expression", line)
                s.advance(2)
                expr = self._member(expr, static=True)
            elif c == "[" and not isinstance(expr, ast.TypeLiteral):
                s.advance()
                s.skip_ws(newlines=True)
                index = self.parse_expression()
                s.skip_ws(newlines=True)
                if s.peek() != "]":
                    raise parse_error(
                        "MissingEndSquareBracket", "Array index expression is missing or not valid."
                    )
                s.advance()
                expr = ast.Index(line, expr, index)
            elif (c == "+" and s.peek(1) == "+") or (c == "-" and s.peek(1) == "-"):
                if not isinstance(expr, ast.Var | ast.Member | ast.Index):
                    return expr
                s.advance(2)
                expr = ast.IncDec(line, "++" if c == "+" else "--", expr, prefix=False)
            else:
                return expr

    def _member(self, target: ast.Expr, *, static: bool) -> ast.Expr:
        s = self.s
        line = s.line
        c = s.peek()
        name_expr: ast.Expr
        if c == "$":
            name_expr = self.parse_primary()
            if s.peek() == "(":
                raise unsupported("a method call with a computed name", line)
            return ast.Member(line, target, name_expr, static)
        if c in SINGLE_QUOTES:
            name = s.read_single_quoted()
        elif c in DOUBLE_QUOTES:
            raise unsupported("a double-quoted member name", line)
        else:
            name = s.read_name()
            if not name:
                raise parse_error("MissingPropertyName", "Missing property name after reference operator.")
        if static:
            assert isinstance(target, ast.TypeLiteral)
            members = STATIC_MEMBERS.get(target.type_name, set())
            if name.lower() not in members:
                raise unsupported(f"the static member [{target.type_name}]::{name}", line)
        if s.peek() == "(":
            s.advance()
            args: list[ast.Expr] = []
            s.skip_ws(newlines=True)
            if s.peek() != ")":
                while True:
                    s.skip_ws(newlines=True)
                    args.append(self.parse_expression(comma=False))
                    s.skip_ws(newlines=True)
                    if s.peek() == ",":
                        s.advance()
                        continue
                    break
            if s.peek() != ")":
                raise parse_error(
                    "MissingEndParenthesisInMethodCall",
                    "Missing closing ')' after expression in method call.",
                )
            s.advance()
            return ast.InvokeMember(line, target, name, args, static)
        return ast.Member(line, target, ast.Const(line, name), static)

    # --------------------------------------------------------------------------- primary
    def parse_primary(self) -> ast.Expr:
        s = self.s
        line = s.line
        c = s.peek()
        if c == "$":
            return self.parse_variable()
        if c == "@":
            nxt = s.peek(1)
            if nxt == "(":
                s.advance(2)
                return ast.ArraySub(line, self.parse_statements(")", "array subexpression"))
            if nxt == "{":
                return self.parse_hash_literal()
            if nxt and nxt in SINGLE_QUOTES:
                return ast.Const(line, s.read_single_here_string())
            if nxt and nxt in DOUBLE_QUOTES:
                return self.parse_double_here_string()
            if is_name_char(nxt):
                raise parse_error(
                    "SplattingNotPermitted",
                    "The splatting operator '@' cannot be used to reference variables in an expression. "
                    f"'@{_word_after_at(s)}' can be used only as an "
                    "argument to a command. To reference variables in an expression use '$'.",
                )
            raise self.unexpected("@")
        if c == "(":
            s.advance()
            s.skip_ws(newlines=True)
            if s.peek() == ")":
                raise parse_error("ExpectedExpression", "An expression was expected after '('.")
            inner = self.parse_pipeline()
            s.skip_ws(newlines=True)
            if s.peek() != ")":
                if s.at_end():
                    raise parse_error(
                        "MissingEndParenthesisInExpression", "Missing closing ')' in expression."
                    )
                raise self.unexpected()
            s.advance()
            return ast.Paren(line, inner)
        if c and c in SINGLE_QUOTES:
            return ast.Const(line, s.read_single_quoted())
        if c and c in DOUBLE_QUOTES:
            return self.parse_double_quoted()
        if c == "{":
            return ast.ScriptBlockExpr(line, self.parse_script_block())
        number = s.match_number()
        if number is not None:
            s.pos = number[1]
            return ast.Const(line, number[0])
        raise self.unexpected()

    def parse_variable(self) -> ast.Expr:
        s = self.s
        line = s.line
        s.advance()  # $
        c = s.peek()
        if c == "(":
            s.advance()
            return ast.SubExpr(line, self.parse_statements(")", "subexpression"))
        if c == "{":
            end = s.text.find("}", s.pos)
            if end < 0:
                raise parse_error("IncompleteDollarVariableReference", "Missing '}' in variable reference.")
            name = s.text[s.pos + 1 : end]
            s.pos = end + 1
            return self._make_var(line, name)
        if c in ("?", "$", "^"):
            raise unsupported(f"the automatic variable ${c}", line)
        name = s.read_name()
        if not name:
            raise parse_error(
                "InvalidVariableReference",
                "Invalid variable reference. '$' was not followed by a valid variable name character. "
                "Consider using ${} to delimit the name.",
            )
        if s.peek() == ":" and s.peek(1) != ":":
            s.advance()
            rest = s.read_name()
            if not rest:
                raise parse_error(
                    "InvalidVariableReferenceWithDrive",
                    "Variable reference is not valid. ':' was not followed by a valid variable name "
                    "character. Consider using ${} to delimit the name.",
                )
            return self._make_var(line, f"{name}:{rest}")
        return self._make_var(line, name)

    def _make_var(self, line: int, name: str) -> ast.Expr:
        scope = ""
        if ":" in name:
            scope, _, name = name.partition(":")
            scope = scope.lower()
            if scope not in SCOPES:
                raise unsupported(f"the ${scope}: variable scope or drive", line)
        lowered = name.lower()
        if not scope:
            if lowered == "true":
                return ast.Const(line, True)
            if lowered == "false":
                return ast.Const(line, False)
            if lowered == "null":
                return ast.Var(line, "null")
        return ast.Var(line, name, scope)

    def parse_hash_literal(self) -> ast.HashLiteral:
        s = self.s
        line = s.line
        s.advance(2)
        entries: list[tuple[ast.Expr, ast.Statement]] = []
        while True:
            s.skip_separators()
            if s.at_end():
                raise parse_error(
                    "MissingEndCurlyBrace", "Missing closing '}' in statement block or type definition."
                )
            if s.peek() == "}":
                s.advance()
                return ast.HashLiteral(line, entries)
            key_line = s.line
            key: ast.Expr
            if s.peek().isalpha() or s.peek() == "_":
                key = ast.Const(key_line, s.read_name())
            else:
                key = self.parse_unary()
            s.skip_ws()
            if s.peek() != "=":
                raise parse_error(
                    "MissingEqualsInHashLiteral", "Missing '=' operator after key in hash literal."
                )
            s.advance()
            s.skip_ws(newlines=True)
            if s.peek() in ("}", ";", ""):
                raise parse_error(
                    "MissingStatementInHashLiteral", "Missing statement after '=' in hash literal."
                )
            value = self.parse_statement()
            entries.append((key, value))
            s.skip_ws()
            if s.peek() not in ("}", ";", "\r", "\n", ""):
                raise parse_error(
                    "MissingEndCurlyBrace", "Missing closing '}' in statement block or type definition."
                )

    # --------------------------------------------------------------------------- strings
    def parse_double_quoted(self) -> ast.Expr:
        s = self.s
        line = s.line
        s.advance()
        parts = self._expandable(lambda: s.peek() in DOUBLE_QUOTES and s.peek() != "", here=False)
        return self._string_node(line, parts)

    def parse_double_here_string(self) -> ast.Expr:
        s = self.s
        line = s.line
        start = s.here_string_body_start()
        s.pos = start

        def at_terminator() -> bool:
            if s.pos == start and s.peek() in DOUBLE_QUOTES and s.peek() and s.peek(1) == "@":
                return True
            if s.peek() == "\n" or (s.peek() == "\r" and s.peek(1) == "\n"):
                j = s.pos + (1 if s.peek() == "\n" else 2)
                return (
                    s.text[j : j + 1] in DOUBLE_QUOTES
                    and s.text[j : j + 1] != ""
                    and s.text[j + 1 : j + 2] == "@"
                )
            return False

        parts = self._expandable(at_terminator, here=True)
        return self._string_node(line, parts)

    def _string_node(self, line: int, parts: list[str | ast.Expr]) -> ast.Expr:
        if all(isinstance(p, str) for p in parts):
            return ast.Const(line, "".join(p for p in parts if isinstance(p, str)))
        return ast.ExpandString(line, parts)

    def _expandable(self, at_end: object, *, here: bool) -> list[str | ast.Expr]:
        """Parse an expandable string body up to ``at_end()``, then consume the terminator."""
        s = self.s
        parts: list[str | ast.Expr] = []
        buf: list[str] = []
        check = at_end if callable(at_end) else None
        assert check is not None
        while True:
            if s.at_end():
                term = '"@' if here else '"'
                raise parse_error(
                    "TerminatorExpectedAtEndOfString", f"The string is missing the terminator: {term}."
                )
            if check():
                if here:
                    s.pos += 0 if s.peek() in DOUBLE_QUOTES else (1 if s.peek() == "\n" else 2)
                    s.advance(2)
                    break
                if s.peek(1) and s.peek(1) in DOUBLE_QUOTES:
                    buf.append(s.peek(1))
                    s.advance(2)
                    continue
                s.advance()
                break
            c = s.peek()
            if c == "`":
                nxt = s.peek(1)
                if nxt == "u" and s.peek(2) == "{":
                    end = s.text.find("}", s.pos)
                    buf.append(chr(int(s.text[s.pos + 3 : end], 16)))
                    s.pos = end + 1
                    continue
                buf.append(ESCAPES.get(nxt, nxt))
                s.advance(2)
                continue
            if c == "$" and (is_name_char(s.peek(1)) or s.peek(1) in "({"):
                if buf:
                    parts.append("".join(buf))
                    buf = []
                if s.peek(1) == "(":
                    line = s.line
                    s.advance(2)
                    parts.append(ast.SubExpr(line, self.parse_statements(")", "subexpression")))
                else:
                    parts.append(self.parse_variable())
                continue
            buf.append(c)
            s.advance()
        if buf:
            parts.append("".join(buf))
        return parts
