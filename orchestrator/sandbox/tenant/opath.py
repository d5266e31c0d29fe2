"""A small OPATH (``-Filter``) subset: ``Prop -eq 'v'``, -ne, -like, -notlike, -and, -or, -not, ( ).

Values: quoted strings ('...' with '' escaping, or "..."), ``$true``, ``$false``, ``$null``, and
bare words/numbers. Comparison is case-insensitive; a multi-valued property matches -eq/-like if
any element does (as Exchange's filters do). Anything else — an unknown operator, a property the
cmdlet does not filter on, a syntax error — raises ``OpathError`` with the 1-based position, so
the cmdlet reports it instead of returning everything.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["OpathError", "Predicate", "compile_filter"]

Predicate = Callable[[Mapping[str, Any]], bool]
_OPS = {"-eq", "-ne", "-like", "-notlike"}
_TOKEN = re.compile(
    r"""\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>-[A-Za-z]+)|(?P<sq>'(?:[^']|'')*')|(?P<dq>"[^"]*")"""
    r"""|(?P<var>\$[A-Za-z_]+)|(?P<word>[^\s()'"]+))"""
)


class OpathError(ValueError):
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise OpathError(pos + 1, "unexpected character")
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    return out


def _norm(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().lower()
    return str(value).lower()


def _values(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set):
        return list(value)
    return [value]


class _Parser:
    def __init__(self, text: str, properties: Collection[str]) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.props = {p.lower(): p for p in properties}
        self.end = len(text) + 1

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise OpathError(self.end, "unexpected end of filter")
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.or_()
        tok = self.peek()
        if tok is not None:
            raise OpathError(tok.pos, f"unexpected {tok.text!r}")
        return pred

    def or_(self) -> Predicate:
        left = self.and_()
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text.lower() == "-or":
            self.take()
            right = self.and_()
            left = (lambda a, b: lambda o: a(o) or b(o))(left, right)
        return left

    def and_(self) -> Predicate:
        left = self.not_()
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text.lower() == "-and":
            self.take()
            right = self.not_()
            left = (lambda a, b: lambda o: a(o) and b(o))(left, right)
        return left

    def not_(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text.lower() == "-not":
            self.take()
            inner = self.not_()
            return lambda o: not inner(o)
        return self.primary()

    def primary(self) -> Predicate:
        tok = self.take()
        if tok.kind == "lp":
            inner = self.or_()
            close = self.take()
            if close.kind != "rp":
                raise OpathError(close.pos, "expected ')'")
            return inner
        if tok.kind != "word":
            raise OpathError(tok.pos, f"expected a property name, found {tok.text!r}")
        prop = self.props.get(tok.text.lower())
        if prop is None:
            raise OpathError(tok.pos, f"'{tok.text}' is not a recognized filterable property")
        op = self.take()
        if op.kind != "op" or op.text.lower() not in _OPS:
            raise OpathError(op.pos, f"expected -eq, -ne, -like or -notlike, found {op.text!r}")
        value = self.value()
        return _compare(prop, op.text.lower(), value)

    def value(self) -> Any:
        tok = self.take()
        if tok.kind == "sq":
            return tok.text[1:-1].replace("''", "'")
        if tok.kind == "dq":
            return tok.text[1:-1]
        if tok.kind == "var":
            name = tok.text[1:].lower()
            if name in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[name]
            raise OpathError(tok.pos, f"variable {tok.text} is not allowed in a filter sent to the service")
        if tok.kind == "word":
            return tok.text
        raise OpathError(tok.pos, f"expected a value, found {tok.text!r}")


def _compare(prop: str, op: str, value: Any) -> Predicate:
    want = _norm(value)

    def matches(obj: Mapping[str, Any]) -> bool:
        got = obj.get(prop)
        items = _values(got)
        if want is None:
            empty = got is None or got == "" or (isinstance(got, list) and not got)
            return empty
        if op in ("-like", "-notlike"):
            return any(v is not None and fnmatch.fnmatchcase(_norm(v) or "", want) for v in items)
        return any(_norm(v) == want for v in items)

    if op in ("-ne", "-notlike"):
        return lambda o: not matches(o)
    return matches


def compile_filter(text: str, properties: Collection[str]) -> Predicate:
    """Compile ``text``; ``properties`` are the names this cmdlet can filter on."""
    return _Parser(text, properties).parse()
