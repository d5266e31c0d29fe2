"""Statement- and command-mode parsing, ``param()`` blocks and script blocks.

``parse(text)`` turns a whole script into an ``ast.ScriptBlock`` or raises ``PSTerminatingError``
(``ParserError`` for syntax PowerShell rejects, ``NotImplemented``/``SandboxUnsupportedSyntax``
for valid PowerShell outside the subset). Everything outside the subset is rejected here, before
any statement runs, so a script never half-executes because of an unsupported construct.
"""

from __future__ import annotations

import re

from orchestrator.sandbox.pwsh import ast
from orchestrator.sandbox.pwsh.errors import parse_error, unsupported
from orchestrator.sandbox.pwsh.lexer import (
    DASHES,
    QUOTES,
    Scanner,
    is_name_char,
)
from orchestrator.sandbox.pwsh.parse_commands import CommandParser

#: keywords of valid PowerShell the subset does not implement
UNSUPPORTED_KEYWORDS = {
    "class": "class definitions",
    "enum": "enum definitions",
    "workflow": "workflows",
    "configuration": "DSC configurations",
    "using": "'using' statements",
    "trap": "'trap' statements",
    "filter": "filters",
    "data": "'data' sections",
    "parallel": "'parallel' blocks",
    "sequence": "'sequence' blocks",
    "inlinescript": "'inlinescript' blocks",
    "begin": "begin/process/end blocks",
    "process": "begin/process/end blocks",
    "end": "begin/process/end blocks",
    "dynamicparam": "dynamicparam blocks",
}
_KEYWORD_END = re.compile(r"[\s({;]|$")
_BLOCK_ATTRIBUTE = re.compile(r"\[\s*(?:CmdletBinding|OutputType)\s*\(", re.IGNORECASE)


class Parser(CommandParser):
    def __init__(self, text: str) -> None:
        self.s = Scanner(text)

    # ----------------------------------------------------------------------- script blocks
    def parse_script(self) -> ast.ScriptBlock:
        block = self._block_body(None)
        block.text = self.s.text
        return block

    def parse_script_block(self) -> ast.ScriptBlock:
        start = self.s.pos
        self.s.advance()  # {
        block = self._block_body("}")
        block.text = self.s.text[start + 1 : self.s.pos - 1]
        return block

    def _block_body(self, closing: str | None) -> ast.ScriptBlock:
        s = self.s
        line = s.line
        s.skip_separators()
        cmdlet_binding = False
        params: list[ast.ParamDecl] | None = None
        while _BLOCK_ATTRIBUTE.match(s.text, s.pos):
            attr_line = s.line
            name, args = self._attribute()
            lowered = name.lower()
            if lowered == "cmdletbinding":
                if args:
                    raise unsupported("[CmdletBinding()] arguments", attr_line)
                cmdlet_binding = True
            s.skip_ws(newlines=True)
        if self._keyword() == "param":
            s.advance(5)
            s.skip_ws(newlines=True)
            params = self._param_list(")")
        elif cmdlet_binding:
            raise parse_error("UnexpectedAttribute", "Unexpected attribute 'CmdletBinding'.")
        s.skip_separators()
        kw = self._keyword()
        if kw in ("begin", "process", "end", "dynamicparam") and self._followed_by_brace(len(kw)):
            raise unsupported("begin/process/end blocks", s.line)
        body = self.parse_statements(closing, "statement block")
        return ast.ScriptBlock(line, params, body, cmdlet_binding)

    def _followed_by_brace(self, length: int) -> bool:
        rest = self.s.text[self.s.pos + length :]
        return rest.lstrip().startswith("{")

    def _attribute(self) -> tuple[str, list[tuple[str | None, ast.Expr]]]:
        """``[Name]`` or ``[Name(args)]``; args are positional or ``Name = value`` / bare ``Name``."""
        s = self.s
        s.advance()  # [
        s.skip_ws()
        start = s.pos
        while (
            s.peek()
            and (is_name_char(s.peek()) or s.peek() in ".[]")
            and not (s.peek() == "]" and s.text[start : s.pos].count("[") == s.text[start : s.pos].count("]"))
        ):
            s.advance()
        name = s.text[start : s.pos].strip()
        args: list[tuple[str | None, ast.Expr]] = []
        if s.peek() == "(":
            s.advance()
            while True:
                s.skip_ws(newlines=True)
                if s.peek() == ")":
                    s.advance()
                    break
                line = s.line
                word = s.peek_word()
                after = s.text[s.pos + len(word) :].lstrip(" \t")
                if (
                    word
                    and word[0].isalpha()
                    and (after.startswith("=") or after[:1] in (",", ")", "\n", "\r"))
                ):
                    s.advance(len(word))
                    s.skip_ws()
                    if s.peek() == "=":
                        s.advance()
                        s.skip_ws(newlines=True)
                        args.append((word, self.parse_expression(comma=False)))
                    else:
                        args.append((word, ast.Const(line, True)))
                else:
                    args.append((None, self.parse_expression(comma=False)))
                s.skip_ws(newlines=True)
                if s.peek() == ",":
                    s.advance()
                elif s.peek() != ")":
                    raise parse_error(
                        "MissingEndParenthesisInExpression", "Missing closing ')' in expression."
                    )
        s.skip_ws()
        if s.peek() != "]":
            raise parse_error(
                "EndSquareBracketExpectedAtEndOfAttribute", "Missing ']' at end of attribute or type literal."
            )
        s.advance()
        return name, args

    def _param_list(self, closing: str) -> list[ast.ParamDecl]:
        s = self.s
        if s.peek() != "(":
            raise parse_error(
                "MissingOpenParenthesisInFunctionParameterList", "Missing '(' in function parameter list."
            )
        s.advance()
        params: list[ast.ParamDecl] = []
        while True:
            s.skip_ws(newlines=True)
            if s.peek() == closing:
                s.advance()
                return params
            params.append(self._param_decl())
            s.skip_ws(newlines=True)
            if s.peek() == ",":
                s.advance()
            elif s.peek() != closing:
                raise parse_error(
                    "MissingEndParenthesisInFunctionParameterList", "Missing ')' in function parameter list."
                )

    def _param_decl(self) -> ast.ParamDecl:
        s = self.s
        decl = ast.ParamDecl(s.line, "")
        while s.peek() == "[":
            line = s.line
            name, args = self._attribute()
            self._apply_attribute(decl, name, args, line)
            s.skip_ws(newlines=True)
        if s.peek() != "$":
            raise parse_error(
                "InvalidFunctionParameter",
                "Parameter declarations are a comma-separated list of variable names with optional "
                "initializer expressions.",
            )
        var = self.parse_variable()
        if not isinstance(var, ast.Var) or var.scope:
            raise parse_error(
                "InvalidFunctionParameter",
                "Parameter declarations are a comma-separated list of variable names with optional "
                "initializer expressions.",
            )
        decl.name = var.name
        decl.line = var.line
        s.skip_ws(newlines=True)
        if s.peek() == "=":
            s.advance()
            s.skip_ws(newlines=True)
            decl.default = self.parse_expression(comma=False)
        return decl

    def _apply_attribute(
        self, decl: ast.ParamDecl, name: str, args: list[tuple[str | None, ast.Expr]], line: int
    ) -> None:
        lowered = name.lower()
        values = [_constant(expr, line) for _, expr in args]
        if lowered == "parameter":
            decl.has_parameter_attribute = True
            for (key, _expr), value in zip(args, values, strict=True):
                k = (key or "").lower()
                if k == "mandatory":
                    decl.mandatory = bool(value)
                elif k == "position":
                    decl.position = int(value)  # type: ignore[call-overload]
                elif k in ("helpmessage", "dontshow"):
                    continue
                else:
                    raise unsupported(f"[Parameter({key or '...'})]", line)
        elif lowered == "validatenotnullorempty":
            decl.validate_not_null_or_empty = True
        elif lowered == "validateset":
            decl.validate_set = [str(v) for v in values]
        elif lowered == "validaterange" and len(values) == 2:
            decl.validate_range = (values[0], values[1])
        elif lowered == "allowemptystring":
            decl.allow_empty_string = True
        elif lowered == "allownull":
            decl.allow_null = True
        elif lowered == "allowemptycollection":
            decl.allow_empty_collection = True
        elif not args and decl.type_name is None and "(" not in name:
            decl.type_name = self.resolve_type(name, line)
        else:
            raise unsupported(f"the parameter attribute [{name}]", line)

    # -------------------------------------------------------------------------- statements
    def parse_statements(self, closing: str | None, what: str = "") -> list[ast.Statement]:
        s = self.s
        statements: list[ast.Statement] = []
        while True:
            s.skip_separators()
            if s.at_end():
                if closing == "}":
                    raise parse_error(
                        "MissingEndCurlyBrace", "Missing closing '}' in statement block or type definition."
                    )
                if closing == ")":
                    raise parse_error(
                        "MissingEndParenthesisInSubexpression",
                        f"Missing closing ')' in {what or 'subexpression'}.",
                    )
                return statements
            c = s.peek()
            if closing is not None and c == closing:
                s.advance()
                return statements
            if c in ")}":
                raise self.unexpected(c)
            statements.append(self.parse_statement())
            s.skip_ws()
            c = s.peek()
            if not (s.at_statement_end() or (closing is not None and c == closing)):
                raise self.unexpected()

    def _keyword(self) -> str:
        word = self.s.peek_word()
        if not word or not word[0].isalpha():
            return ""
        rest = self.s.text[self.s.pos + len(word) :]
        return word.lower() if _KEYWORD_END.match(rest) else ""

    def parse_statement(self) -> ast.Statement:
        s = self.s
        line = s.line
        label: str | None = None
        if s.peek() == ":" and s.peek(1).isalpha():
            s.advance()
            label = s.read_name()
            s.skip_ws(newlines=True)
        kw = self._keyword()
        if label is not None and kw not in ("foreach", "for", "while", "do", "switch"):
            raise unsupported("a label on this statement", line)
        if kw in UNSUPPORTED_KEYWORDS:
            raise unsupported(UNSUPPORTED_KEYWORDS[kw], line)
        if kw == "if":
            return self._if()
        if kw == "foreach":
            return self._foreach(label)
        if kw == "for":
            return self._for(label)
        if kw == "while":
            s.advance(5)
            cond = self._paren_condition("while")
            return ast.While(line, cond, self._block("while"), label)
        if kw == "do":
            return self._do(label)
        if kw == "switch":
            return self._switch(label)
        if kw == "try":
            return self._try()
        if kw in ("throw", "return", "exit"):
            s.advance(len(kw))
            s.skip_ws()
            value = None if self._at_pipeline_end() else self.parse_statement()
            if kw == "throw":
                return ast.Throw(line, value)
            if kw == "return":
                return ast.Return(line, value)
            return ast.Exit(line, value)
        if kw in ("break", "continue"):
            s.advance(len(kw))
            s.skip_ws()
            target = None
            if s.peek().isalpha():
                target = s.read_name()
            return ast.Break(line, target) if kw == "break" else ast.Continue(line, target)
        if kw == "function":
            return self._function()
        if kw == "param":
            raise unsupported("a param() block after other statements", line)
        if kw in ("else", "elseif", "catch", "finally", "until"):
            raise self.unexpected(kw)
        return self.parse_pipeline()

    def _paren_condition(self, keyword: str) -> ast.Statement:
        s = self.s
        s.skip_ws(newlines=True)
        if s.peek() != "(":
            raise parse_error(
                f"MissingOpenParenthesisIn{keyword.capitalize()}Statement",
                f"Missing '(' after '{keyword}' in {keyword} statement.",
            )
        s.advance()
        s.skip_ws(newlines=True)
        cond = self.parse_pipeline()
        s.skip_ws(newlines=True)
        if s.peek() != ")":
            raise parse_error(
                "MissingEndParenthesisAfterStatement",
                f"Missing closing ')' after expression in '{keyword}' statement.",
            )
        s.advance()
        return cond

    def _block(self, keyword: str) -> list[ast.Statement]:
        s = self.s
        s.skip_ws(newlines=True)
        if s.peek() != "{":
            raise parse_error("MissingStatementBlock", f"Missing statement block after {keyword}.")
        s.advance()
        return self.parse_statements("}", "statement block")

    def _peek_keyword_after_newlines(self, *words: str) -> str | None:
        s = self.s
        save = s.pos
        s.skip_ws(newlines=True)
        kw = self._keyword()
        if kw in words:
            return kw
        s.pos = save
        return None

    def _if(self) -> ast.Statement:
        s = self.s
        line = s.line
        s.advance(2)
        clauses = [(self._paren_condition("if"), self._block("if ( condition )"))]
        else_body: list[ast.Statement] | None = None
        while True:
            kw = self._peek_keyword_after_newlines("elseif", "else")
            if kw == "elseif":
                s.advance(6)
                clauses.append((self._paren_condition("elseif"), self._block("elseif ( condition )")))
            elif kw == "else":
                s.advance(4)
                else_body = self._block("else")
                break
            else:
                break
        return ast.If(line, clauses, else_body)

    def _foreach(self, label: str | None) -> ast.Statement:
        s = self.s
        line = s.line
        s.advance(7)
        s.skip_ws()
        if s.peek() in DASHES:
            raise unsupported("foreach statement flags (-parallel)", line)
        if s.peek() != "(":
            raise parse_error(
                "MissingOpenParenthesisAfterKeyword", "Missing opening '(' after keyword 'foreach'."
            )
        s.advance()
        s.skip_ws(newlines=True)
        var = self.parse_variable() if s.peek() == "$" else None
        if not isinstance(var, ast.Var) or var.scope:
            raise parse_error("MissingVariableNameAfterForeach", "Missing variable name after foreach.")
        s.skip_ws(newlines=True)
        if self._keyword() != "in":
            raise parse_error("MissingInInForeach", "Missing 'in' after variable in foreach loop.")
        s.advance(2)
        s.skip_ws(newlines=True)
        iterable = self.parse_pipeline()
        s.skip_ws(newlines=True)
        if s.peek() != ")":
            raise parse_error(
                "MissingEndParenthesisAfterForeach",
                "Missing closing ')' after expression in 'foreach' statement.",
            )
        s.advance()
        return ast.ForEach(line, var.name, iterable, self._block("foreach"), label)

    def _for(self, label: str | None) -> ast.Statement:
        s = self.s
        line = s.line
        s.advance(3)
        s.skip_ws()
        if s.peek() != "(":
            raise parse_error(
                "MissingOpenParenthesisAfterKeyword", "Missing opening '(' after keyword 'for'."
            )
        s.advance()
        parts: list[ast.Statement | None] = []
        for terminator in (";", ";", ")"):
            s.skip_ws(newlines=True)
            part = None if s.peek() == terminator else self.parse_pipeline()
            s.skip_ws(newlines=True)
            if s.peek() != terminator:
                raise parse_error(
                    "MissingEndParenthesisAfterStatement",
                    "Missing closing ')' after expression in 'for' statement.",
                )
            s.advance()
            parts.append(part)
        return ast.For(line, parts[0], parts[1], parts[2], self._block("for"), label)

    def _do(self, label: str | None) -> ast.Statement:
        s = self.s
        line = s.line
        s.advance(2)
        body = self._block("do")
        kw = self._peek_keyword_after_newlines("while", "until")
        if kw is None:
            raise parse_error("MissingWhileOrUntilInDoWhile", "Missing while or until keyword in do loop.")
        s.advance(len(kw))
        cond = self._paren_condition(kw)
        return ast.DoLoop(line, body, cond, until=kw == "until", label=label)

    def _switch(self, label: str | None) -> ast.Statement:
        s = self.s
        line = s.line
        s.advance(6)
        mode = "exact"
        case_sensitive = False
        while True:
            s.skip_ws()
            word = self._dash_word()
            if word is None:
                break
            s.advance(1 + len(word))
            if word in ("regex", "wildcard", "exact"):
                mode = word
            elif word == "casesensitive":
                case_sensitive = True
            else:
                raise unsupported(f"switch -{word}", line)
        subject = self._paren_condition("switch")
        s.skip_ws(newlines=True)
        if s.peek() != "{":
            raise parse_error("MissingCurlyBraceInSwitchStatement", "Missing '{' in switch statement.")
        s.advance()
        clauses: list[ast.SwitchClause] = []
        while True:
            s.skip_separators()
            if s.at_end():
                raise parse_error(
                    "MissingEndCurlyBrace", "Missing closing '}' in statement block or type definition."
                )
            if s.peek() == "}":
                s.advance()
                break
            clause_line = s.line
            pattern: ast.Expr | None
            if self._keyword() == "default":
                s.advance(7)
                pattern = None
            elif s.peek() == "{":
                raise unsupported("script-block conditions in switch", clause_line)
            elif s.peek() == "$" or s.peek() in QUOTES or s.peek() == "(" or s.peek().isdigit():
                pattern = self.parse_unary()
            else:
                pattern = ast.Const(clause_line, s.read_bare_word())
            s.skip_ws()
            if s.peek() != "{":
                raise parse_error(
                    "MissingSwitchStatementClause", "Missing statement block in switch statement clause."
                )
            s.advance()
            clauses.append(ast.SwitchClause(clause_line, pattern, self.parse_statements("}")))
        return ast.Switch(line, subject, clauses, mode, case_sensitive, label)

    def _try(self) -> ast.Statement:
        s = self.s
        line = s.line
        s.advance(3)
        body = self._block("try")
        catches: list[ast.CatchClause] = []
        final: list[ast.Statement] | None = None
        while self._peek_keyword_after_newlines("catch") == "catch":
            catch_line = s.line
            s.advance(5)
            types: list[str] = []
            while True:
                s.skip_ws()
                if s.peek() != "[":
                    break
                types.append(self._read_type_name())
                s.skip_ws()
                if s.peek() == ",":
                    s.advance()
                    s.skip_ws(newlines=True)
            catches.append(ast.CatchClause(catch_line, types, self._block("catch")))
        if self._peek_keyword_after_newlines("finally") == "finally":
            s.advance(7)
            final = self._block("finally")
        if not catches and final is None:
            raise parse_error(
                "MissingCatchOrFinally", "The Try statement is missing its Catch or Finally block."
            )
        return ast.Try(line, body, catches, final)

    def _function(self) -> ast.Statement:
        s = self.s
        line = s.line
        s.advance(8)
        s.skip_ws()
        name = s.read_bare_word()
        if not name:
            raise parse_error("MissingNameAfterKeyword", "Missing name after function keyword.")
        if ":" in name:
            raise unsupported("scope-qualified function names", line)
        if any(q in name for q in QUOTES + "$`"):
            raise unsupported("this function name", line)
        s.skip_ws()
        params: list[ast.ParamDecl] | None = None
        if s.peek() == "(":
            params = self._param_list(")")
        s.skip_ws(newlines=True)
        if s.peek() != "{":
            raise parse_error("MissingFunctionBody", "Missing function body in function declaration.")
        block = self.parse_script_block()
        if params is not None:
            if block.params is not None:
                raise parse_error(
                    "OnlyOneParameterListAllowed",
                    "A function cannot have both a parameter list and a param block.",
                )
            block.params = params
        return ast.FunctionDef(line, name, block)


def _constant(expr: ast.Expr, line: int) -> object:
    """Attribute arguments must be constants (as in PowerShell)."""
    if isinstance(expr, ast.Const):
        return expr.value
    if isinstance(expr, ast.Var) and expr.name == "null":
        return None
    raise parse_error(
        "ParameterAttributeArgumentNeedsToBeConstant",
        "Attribute argument must be a constant or a script block.",
    )


def parse(text: str) -> ast.ScriptBlock:
    """Parse a whole script (``param()`` block, statements) into a ``ScriptBlock``."""
    return Parser(text).parse_script()
