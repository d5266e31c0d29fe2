"""Character-level scanning shared by the parser: whitespace, comments, literals, names.

PowerShell's tokenizer depends on context (a word is an operator in expression mode and a
parameter or bare-word argument in command mode), so the parser drives one ``Scanner`` and asks
for the token kind it expects; this module holds the parts that do not depend on the mode.
"""

from __future__ import annotations

import bisect
import re

from orchestrator.sandbox.pwsh.errors import parse_error

#: PowerShell treats the typographic single quotes U+2018-U+201B exactly like ``'``.
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
#: ... and U+201C-U+201E like ``"``.
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
#: En dash, em dash and horizontal bar start parameters and operators like ``-``.
DASHES = "-\u2013\u2014\u2015"
QUOTES = SINGLE_QUOTES + DOUBLE_QUOTES

#: Characters that end a bare word in command mode.
WORD_END = set(" \t\r\n;|&(){},\f\v\u00a0")

_NUMBER = re.compile(
    r"(?:0[xX](?P<hex>[0-9a-fA-F]+)|(?P<dec>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))"
    r"(?P<suffix>[lL])?(?P<mult>[kKmMgGtTpP][bB])?"
)
_MULTIPLIERS = {"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50}
_NAME = re.compile(r"[A-Za-z0-9_]+")

ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def is_name_char(c: str) -> bool:
    return c.isalnum() or c == "_"


class Scanner:
    """A cursor over the script text with PowerShell's whitespace, comment and literal rules."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]

    # ------------------------------------------------------------------------------ basics
    def line_at(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1

    @property
    def line(self) -> int:
        return self.line_at(self.pos)

    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.text[i] if 0 <= i < len(self.text) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def startswith(self, s: str, *, ignore_case: bool = False) -> bool:
        chunk = self.text[self.pos : self.pos + len(s)]
        return chunk.lower() == s.lower() if ignore_case else chunk == s

    def advance(self, n: int = 1) -> str:
        chunk = self.text[self.pos : self.pos + n]
        self.pos += n
        return chunk

    # ---------------------------------------------------------------- whitespace, comments
    def skip_ws(self, newlines: bool = False) -> None:
        """Skip blanks, comments and backtick line continuations (and newlines when asked)."""
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in " \t\f\v\u00a0":
                self.pos += 1
            elif c == "`" and self.peek(1) in ("\n", "\r"):
                self.pos += 2 if self.peek(1) == "\n" or self.peek(2) != "\n" else 3
            elif c == "#":
                while self.pos < len(text) and text[self.pos] not in "\r\n":
                    self.pos += 1
            elif c == "<" and self.peek(1) == "#":
                end = text.find("#>", self.pos + 2)
                if end < 0:
                    raise parse_error("MissingTerminatorMultiLineComment", "Missing the terminator: '#>'.")
                self.pos = end + 2
            elif newlines and c in "\r\n":
                self.pos += 1
            else:
                return

    def skip_separators(self) -> None:
        """Skip whitespace, newlines and ``;`` between statements."""
        while True:
            self.skip_ws(newlines=True)
            if self.peek() == ";":
                self.pos += 1
            else:
                return

    def at_statement_end(self) -> bool:
        c = self.peek()
        return c == "" or c in "\r\n;"

    # ---------------------------------------------------------------------------- literals
    def read_single_quoted(self) -> str:
        """A ``'...'`` string; doubled quote characters (any of the five) are one quote."""
        self.pos += 1
        out: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise parse_error(
                    "TerminatorExpectedAtEndOfString", "The string is missing the terminator: '."
                )
            c = text[self.pos]
            if c in SINGLE_QUOTES:
                if self.peek(1) and self.peek(1) in SINGLE_QUOTES:
                    out.append(self.peek(1))  # PowerShell keeps the second quote of the pair
                    self.pos += 2
                    continue
                self.pos += 1
                return "".join(out)
            out.append(c)
            self.pos += 1

    def read_single_here_string(self) -> str:
        """``@'`` newline ... newline ``'@``: verbatim, no escapes."""
        start = self.here_string_body_start()
        match = re.compile(r"\r?\n['\u2018\u2019\u201a\u201b]@").search(self.text, start - 1)
        if match is None or match.start() < start - 1:
            raise parse_error("TerminatorExpectedAtEndOfString", "The string is missing the terminator: '@.")
        body = self.text[start : match.start()] if match.start() >= start else ""
        self.pos = match.end()
        return body

    def here_string_body_start(self) -> int:
        """Check the header (``@'``/``@"`` then only blanks to the end of line); body start index."""
        self.pos += 2
        while self.peek() in (" ", "\t"):
            self.pos += 1
        if self.peek() == "\r":
            self.pos += 1
        if self.peek() != "\n":
            raise parse_error(
                "UnexpectedCharactersAfterHereStringHeader",
                "No characters are allowed after a here-string header but before the end of the line.",
            )
        self.pos += 1
        return self.pos

    def match_number(self) -> tuple[object, int] | None:
        """A numeric literal at the cursor: (value, end) or None. Does not consume."""
        m = _NUMBER.match(self.text, self.pos)
        if m is None:
            return None
        end = m.end()
        follows = self.text[end : end + 2]
        if follows[:1] and (is_name_char(follows[0]) or follows[0] == ".") and follows != "..":
            return None
        value: object
        if m.group("hex") is not None:
            value = int(m.group("hex"), 16)
        else:
            dec = m.group("dec")
            value = float(dec) if any(ch in dec for ch in ".eE") else int(dec)
        mult = m.group("mult")
        if mult:
            factor = _MULTIPLIERS[mult.lower()]
            value = value * factor if isinstance(value, int) else float(value) * factor
        if isinstance(value, int) and value > INT64_MAX:
            value = float(value)
        return value, end

    def read_name(self) -> str:
        m = _NAME.match(self.text, self.pos)
        if m is None:
            return ""
        self.pos = m.end()
        return m.group(0)

    def peek_word(self) -> str:
        """The identifier-like word at the cursor (letters, digits, ``_``, ``-``), not consumed."""
        end = self.pos
        text = self.text
        while end < len(text) and (is_name_char(text[end]) or text[end] == "-"):
            end += 1
        return text[self.pos : end]

    def read_bare_word(self) -> str:
        """A command-mode generic token: up to whitespace or one of ``;|&(){},``."""
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos] not in WORD_END:
            self.pos += 1
        return text[start : self.pos]
