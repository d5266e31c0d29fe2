"""A small OData ``$filter`` subset for the Graph read cmdlets (``Get-MgUser -Filter``).

Supported: ``prop eq|ne value`` (strings in single quotes with '' escaping, true/false/null,
GUIDs, numbers), ``startswith(prop,'v')``, ``endswith(prop,'v')`` (Graph allows it on mail/UPN
with advanced queries; accepted here), ``assignedLicenses/any(x:x/skuId eq <guid>)``, ``and``,
``or``, ``not``, parentheses. Property names are case-insensitive. Anything else raises
``ODataError`` (Graph's 400 "Invalid filter clause"), never a silent match-all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = ["ODataError", "compile_odata"]

Pred = Callable[[Mapping[str, Any]], bool]
_TOK = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<comma>,)|(?P<colon>:)|(?P<str>'(?:[^']|'')*')"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_/.]*)|(?P<num>[0-9a-fA-F-]+))"
)


class ODataError(ValueError):
    pass


def _toks(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOK.match(text, pos)
        if m is None or m.end() == pos:
            raise ODataError(f"Invalid filter clause: syntax error at position {pos}.")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _lit(kind: str, text: str) -> Any:
    if kind == "str":
        return text[1:-1].replace("''", "'")
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    return text


def _eq(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return str(a).lower() == str(b).lower()


class _P:
    def __init__(self, text: str, props: Collection[str]) -> None:
        self.t = _toks(text)
        self.i = 0
        self.props = {p.lower(): p for p in props}

    def peek(self, word: str | None = None) -> bool:
        if self.i >= len(self.t):
            return False
        kind, text = self.t[self.i]
        return word is None or (kind == "word" and text.lower() == word)

    def take(self, kind: str | None = None) -> str:
        if self.i >= len(self.t):
            raise ODataError("Invalid filter clause: unexpected end.")
        k, text = self.t[self.i]
        if kind is not None and k != kind:
            raise ODataError(f"Invalid filter clause: unexpected '{text}'.")
        self.i += 1
        return text

    def prop(self, name: str) -> str:
        found = self.props.get(name.lower())
        if found is None:
            raise ODataError(f"Could not find a property named '{name}' on type 'microsoft.graph.user'.")
        return found

    def parse(self) -> Pred:
        pred = self.or_()
        if self.i != len(self.t):
            raise ODataError(f"Invalid filter clause: unexpected '{self.t[self.i][1]}'.")
        return pred

    def or_(self) -> Pred:
        left = self.and_()
        while self.peek("or"):
            self.take()
            right = self.and_()
            left = (lambda a, b: lambda o: a(o) or b(o))(left, right)
        return left

    def and_(self) -> Pred:
        left = self.not_()
        while self.peek("and"):
            self.take()
            right = self.not_()
            left = (lambda a, b: lambda o: a(o) and b(o))(left, right)
        return left

    def not_(self) -> Pred:
        if self.peek("not"):
            self.take()
            inner = self.not_()
            return lambda o: not inner(o)
        return self.atom()

    def atom(self) -> Pred:
        if self.i < len(self.t) and self.t[self.i][0] == "lp":
            self.take()
            inner = self.or_()
            self.take("rp")
            return inner
        word = self.take("word")
        low = word.lower()
        if low in ("startswith", "endswith"):
            self.take("lp")
            prop = self.prop(self.take("word"))
            self.take("comma")
            value = str(_lit("str", self.take("str"))).lower()
            self.take("rp")
            if low == "startswith":
                return lambda o: str(o.get(prop) or "").lower().startswith(value)
            return lambda o: str(o.get(prop) or "").lower().endswith(value)
        if low == "assignedlicenses/any":
            self.take("lp")
            var = self.take("word")
            self.take("colon")
            path = self.take("word")
            if path.lower() != f"{var.lower()}/skuid" or not self.peek("eq"):
                raise ODataError(
                    "Invalid filter clause: only assignedLicenses/any(x:x/skuId eq <guid>) is supported."
                )
            self.take()
            kind, text = self.t[self.i]
            self.i += 1
            sku = str(_lit(kind, text)).lower()
            self.take("rp")
            return lambda o: any(
                str(lic.get("SkuId")).lower() == sku for lic in o.get("AssignedLicenses") or []
            )
        prop = self.prop(word)
        op = self.take("word").lower()
        if op not in ("eq", "ne"):
            raise ODataError(f"Invalid filter clause: operator '{op}' is not supported.")
        kind, text = self.t[self.i]
        self.i += 1
        value = _lit(kind, text)
        if op == "eq":
            return lambda o: _eq(o.get(prop), value)
        return lambda o: not _eq(o.get(prop), value)


def compile_odata(text: str, properties: Collection[str]) -> Pred:
    return _P(text, properties).parse()
