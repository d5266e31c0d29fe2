"""PowerShell templates: find them, render them, and bind values only as PSRP parameters.

Why this module is strict:

* **Values never enter script text.** A template decides *structure* (which cmdlets, which
  switches); every value (an identity, a name, a password) reaches PowerShell as a PSRP parameter
  bound to the script's ``param()`` block. So a mailbox named ``x'; Remove-Mailbox ...`` is data,
  never code. The renderer enforces it twice: structural options may only be booleans, integers or
  plain identifiers, and the PSRP parameters must match the names the rendered ``param()`` block
  declares (unknown names and missing mandatory ones are refused before anything is sent).
* **The script is reviewable.** ``templates render`` prints exactly what would run.
* **Templates ship as package data.** In a wheel they live in ``orchestrator/ps_templates``; in a
  source checkout they are the top-level ``ps_templates/`` folder.

Each template starts with a header comment that declares its summary and structural options::

    {#-
    summary: One line saying what the script does.
    option include_public_folders: bool = true -- Also list soft-deleted public folder mailboxes.
    option mode: choice(thumbprint|file) = thumbprint -- How the certificate is given.
    -#}
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2

from orchestrator.errors import TemplateError, TemplateParameterError, UnknownTemplate

TEMPLATE_SUFFIX = ".ps1.j2"
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_OPTION_LINE = re.compile(
    r"^option\s+(?P<name>[a-z_][a-z0-9_]*)\s*:\s*(?P<type>bool|int|choice\((?P<choices>[^)]*)\))"
    r"\s*=\s*(?P<default>\S+)\s*--\s*(?P<help>.+)$"
)
# Parameter names whose values are secrets: masked in logs, reports and `repr`.
SECRET_PARAMETERS = frozenset({"certificatepassword", "password", "newpassword"})


@dataclass(frozen=True)
class TemplateOption:
    """A structural option: it changes the script's shape, never carries operator data."""

    name: str
    kind: str  # "bool" | "int" | "choice"
    default: bool | int | str
    help: str
    choices: tuple[str, ...] = ()

    def parse(self, text: str) -> bool | int | str:
        """Convert ``--set name=text`` into this option's type, or say what is allowed."""
        lowered = text.strip().lower()
        if self.kind == "bool":
            if lowered in {"true", "yes", "1", "on"}:
                return True
            if lowered in {"false", "no", "0", "off"}:
                return False
            raise TemplateError(f"option {self.name!r} takes true or false, not {text!r}")
        if self.kind == "int":
            try:
                return int(lowered)
            except ValueError:
                raise TemplateError(f"option {self.name!r} takes a whole number, not {text!r}") from None
        return self.check(text.strip())

    def check(self, value: object) -> bool | int | str:
        """Refuse any value that is not of this option's structural type."""
        if self.kind == "bool" and isinstance(value, bool):
            return value
        if self.kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if self.kind == "choice" and isinstance(value, str) and value in self.choices:
            return value
        allowed = {"bool": "true or false", "int": "a whole number"}.get(
            self.kind, "one of " + ", ".join(self.choices)
        )
        raise TemplateError(f"option {self.name!r} takes {allowed}, not {value!r}")


@dataclass(frozen=True)
class TemplateInfo:
    """What a template's header declares."""

    name: str
    summary: str
    options: tuple[TemplateOption, ...]

    def option(self, name: str) -> TemplateOption:
        for option in self.options:
            if option.name == name:
                return option
        known = ", ".join(o.name for o in self.options) or "none"
        raise TemplateError(f"template {self.name!r} has no option {name!r} (options: {known})")


@dataclass(frozen=True)
class ScriptParameter:
    """One entry of a rendered script's ``param()`` block."""

    name: str
    mandatory: bool


@dataclass(frozen=True)
class RenderedScript:
    """A script ready to send: its text, its declared parameters and the values bound to them."""

    template: str
    text: str
    options: Mapping[str, bool | int | str]
    declared: tuple[ScriptParameter, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """Identifies the exact script text (for the journal and the audit trail)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def bind(self, values: Mapping[str, Any]) -> RenderedScript:
        """Return a copy with ``values`` bound, refusing names the script does not declare."""
        check_parameters(self, values)
        return RenderedScript(self.template, self.text, self.options, self.declared, dict(values))

    def loggable_parameters(self) -> dict[str, Any]:
        """The bound parameters with secrets masked, for logs and reports."""
        return {k: ("********" if k.lower() in SECRET_PARAMETERS else v) for k, v in self.parameters.items()}


def templates_root() -> Traversable:
    """Where the templates are: package data in a wheel, ``ps_templates/`` in a checkout."""
    packaged = resources.files("orchestrator") / "ps_templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "ps_templates"
    if checkout.is_dir():
        return checkout
    raise TemplateError(
        "the PowerShell templates are missing from this installation",
        hint="reinstall mailbox-orchestrator; the wheel must contain orchestrator/ps_templates",
    )


class _TraversableLoader(jinja2.BaseLoader):
    """Loads templates through importlib.resources, so zipped installs work too."""

    def __init__(self, root: Traversable) -> None:
        self.root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        entry = self.root / template
        if not entry.is_file():
            raise jinja2.TemplateNotFound(template)
        return entry.read_text(encoding="utf-8"), None, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(e.name for e in self.root.iterdir() if e.name.endswith(TEMPLATE_SUFFIX))


def make_environment(root: Traversable | None = None) -> jinja2.Environment:
    """A Jinja environment for PowerShell: strict undefined, no autoescape, tidy blocks."""
    # autoescape is an HTML notion; PowerShell text gets none, and values never enter it anyway.
    return jinja2.Environment(
        loader=_TraversableLoader(root if root is not None else templates_root()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


class TemplateCatalog:
    """The set of templates one installation ships, with their declared options."""

    def __init__(self, root: Traversable | None = None) -> None:
        self.env = make_environment(root)

    def names(self) -> list[str]:
        """Public templates (files starting with ``_`` are shared fragments)."""
        assert self.env.loader is not None
        return [
            n.removesuffix(TEMPLATE_SUFFIX) for n in self.env.loader.list_templates() if not n.startswith("_")
        ]

    def _source(self, filename: str) -> str:
        assert self.env.loader is not None
        try:
            return self.env.loader.get_source(self.env, filename)[0]
        except jinja2.TemplateNotFound:
            name = filename.removesuffix(TEMPLATE_SUFFIX)
            raise UnknownTemplate(
                f"no template named {name!r}",
                hint="available: " + ", ".join(self.names()) + " (see `mailbox-orchestrator templates list`)",
            ) from None

    def info(self, name: str) -> TemplateInfo:
        """Read a template's header (and the shared prelude's options, which every template has)."""
        summary, options = _parse_header(name, self._source(name + TEMPLATE_SUFFIX))
        _, shared = _parse_header("_prelude", self._source("_prelude" + TEMPLATE_SUFFIX))
        return TemplateInfo(name, summary, tuple(shared) + tuple(options))

    def render(self, name: str, options: Mapping[str, object] | None = None) -> RenderedScript:
        """Render ``name`` with structural ``options`` (unset ones take their defaults)."""
        info = self.info(name)
        resolved: dict[str, bool | int | str] = {o.name: o.default for o in info.options}
        for key, value in (options or {}).items():
            resolved[key] = info.option(key).check(value)
        try:
            text = self.env.get_template(name + TEMPLATE_SUFFIX).render(**resolved)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template {name!r} failed to render: {exc}") from exc
        return RenderedScript(name, text, resolved, tuple(declared_parameters(text)))


def _parse_header(name: str, source: str) -> tuple[str, list[TemplateOption]]:
    match = re.match(r"\s*\{#-?(.*?)-?#\}", source, re.DOTALL)
    if not match:
        raise TemplateError(f"template {name!r} lacks its header comment (summary and options)")
    summary = ""
    options: list[TemplateOption] = []
    for raw_line in match.group(1).splitlines():
        line = raw_line.strip()
        if line.startswith("summary:"):
            summary = line.removeprefix("summary:").strip()
        elif line.startswith("option "):
            options.append(_parse_option(name, line))
    return summary, options


def _parse_option(template: str, line: str) -> TemplateOption:
    match = _OPTION_LINE.match(line)
    if not match:
        raise TemplateError(f"template {template!r}: cannot read option declaration {line!r}")
    kind = match.group("type").split("(")[0]
    choices = tuple(c.strip() for c in (match.group("choices") or "").split("|") if c.strip())
    option = TemplateOption(match.group("name"), kind, False, match.group("help").strip(), choices)
    default = option.parse(match.group("default"))
    return TemplateOption(option.name, kind, default, option.help, choices)


# --- param() extraction -------------------------------------------------------------------------


# PowerShell treats the typographic quotes as quotes too (an injection class of its own).
_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_DOUBLE_QUOTES = '"\u201c\u201d\u201e'
_QUOTES = _SINGLE_QUOTES + _DOUBLE_QUOTES


def _skip_string(text: str, i: int) -> int:
    """Return the index just after the PowerShell string literal that starts at ``i``."""
    quote = text[i]
    single = quote in _SINGLE_QUOTES
    closing = _SINGLE_QUOTES if single else _DOUBLE_QUOTES
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "`" and not single:
            i += 2
            continue
        if ch in closing:
            if i + 1 < len(text) and text[i + 1] in closing:  # doubled quote = escaped quote
                i += 2
                continue
            return i + 1
        i += 1
    raise TemplateError("unterminated string in the rendered param() block")


def _comment_end(text: str, i: int) -> int | None:
    """The index after a comment starting at ``i`` (``<# ... #>`` or ``#`` to the line end), or None."""
    if text.startswith("<#", i):
        end = text.find("#>", i + 2)
        return len(text) if end < 0 else end + 2
    if text.startswith("#", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    return None


def _code(text: str, start: int = 0, depth: int = 0) -> Iterator[tuple[int, str, int]]:
    """Yield ``(index, char, depth)`` for each character outside strings and comments; ``depth``
    is the bracket nesting (``( [ {``) once that character is taken into account."""
    i = start
    while i < len(text):
        ch = text[i]
        if ch in _QUOTES:
            i = _skip_string(text, i)
            continue
        after = _comment_end(text, i)
        if after is not None:
            i = after
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        yield i, ch, depth
        i += 1


def _top_level_pieces(block: str) -> Iterator[str]:
    """Split the inside of ``param(...)`` at commas that are not nested in brackets or strings."""
    start = 0
    for i, ch, depth in _code(block):
        if ch == "," and depth == 0:
            yield block[start:i]
            start = i + 1
    yield block[start:]


def _find_param_block(text: str) -> str | None:
    """The text inside the script's top-level ``param( ... )``, or None if it has none."""
    match = re.search(r"(?im)^\s*param\s*\(", text)
    if not match:
        return None
    for i, ch, depth in _code(text, match.end(), depth=1):
        if ch == ")" and depth == 0:
            return text[match.end() : i]
    raise TemplateError("the rendered script's param() block is not closed")


def _skip_trivia(text: str, i: int) -> int:
    """Skip white space, ``#`` comments and ``<# #>`` blocks."""
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif (after := _comment_end(text, i)) is not None:
            i = after
        else:
            break
    return i


def _skip_brackets(text: str, i: int) -> int:
    """Return the index after the balanced ``[...]`` starting at ``i`` (strings and nesting aware)."""
    for j, _, depth in _code(text, i):
        if depth == 0:
            return j + 1
    raise TemplateError("unbalanced brackets in the rendered param() block")


def declared_parameters(text: str) -> list[ScriptParameter]:
    """The parameters a rendered script's ``param()`` block declares, in order."""
    block = _find_param_block(text)
    if block is None:
        return []
    found: list[ScriptParameter] = []
    for piece in _top_level_pieces(block):
        i = _skip_trivia(piece, 0)
        if i >= len(piece):
            continue
        attributes: list[str] = []
        while i < len(piece) and piece[i] == "[":
            end = _skip_brackets(piece, i)
            attributes.append(piece[i:end])
            i = _skip_trivia(piece, end)
        name = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", piece[i:])
        if not name:
            raise TemplateError(f"cannot read a parameter declaration in param(): {piece.strip()!r}")
        mandatory = any(
            re.search(r"\bMandatory\b(\s*=\s*\$true)?\s*[,)]", a, re.IGNORECASE) for a in attributes
        )
        found.append(ScriptParameter(name.group(1), mandatory))
    return found


# Values PSRP can carry as parameters (pypsrp serialises these without surprises).
_SCALARS = (str, int, float, bool, uuid.UUID, _dt.datetime, type(None))


def _check_value(name: str, value: object) -> None:
    if isinstance(value, _SCALARS):
        return
    if isinstance(value, list | tuple) and all(isinstance(v, _SCALARS) for v in value):
        return
    raise TemplateParameterError(
        f"parameter {name!r} has a value of type {type(value).__name__}, which is not sent to scripts",
        hint="pass strings, numbers, booleans, GUIDs, datetimes or lists of them",
    )


def check_parameters(script: RenderedScript, values: Mapping[str, Any]) -> None:
    """Refuse values the script does not declare, and declared mandatory ones left out."""
    declared = {p.name.lower(): p for p in script.declared}
    unknown = sorted(k for k in values if k.lower() not in declared)
    if unknown:
        raise TemplateParameterError(
            f"template {script.template!r} declares no parameter named {', '.join(unknown)}",
            hint="declared: " + ", ".join(p.name for p in script.declared),
        )
    given = {k.lower() for k in values}
    missing = [p.name for p in script.declared if p.mandatory and p.name.lower() not in given]
    if missing:
        raise TemplateParameterError(
            f"template {script.template!r} needs a value for {', '.join(missing)}",
        )
    for key, value in values.items():
        _check_value(key, value)
