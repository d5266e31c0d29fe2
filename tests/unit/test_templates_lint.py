"""Every template, in every structural combination, is real PowerShell that calls real cmdlets right.

* It parses with tree-sitter-powershell (a third-party PowerShell grammar): no ERROR or MISSING
  nodes, so an unclosed quote, brace or parenthesis cannot ship.
* Every command it calls is a script function, an evaluator built-in, or a cmdlet in
  ``cmdlets.json``; and every cmdlet call binds statically (parameter names, aliases, prefixes,
  switches vs values, positionals, parameter sets, pipeline input) as PowerShell would.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

from orchestrator.sandbox import binding
from orchestrator.sandbox.catalog import load_catalog
from orchestrator.sandbox.pwsh import builtin_command_names
from orchestrator.sandbox.runtime import PSTerminatingError
from orchestrator.templates import TemplateCatalog

PARSER = Parser(Language(tree_sitter_powershell.language()))
CATALOG = load_catalog()
TEMPLATES = TemplateCatalog()


def combinations() -> Iterator[tuple[str, dict[str, object]]]:
    for name in TEMPLATES.names():
        domains = []
        for option in TEMPLATES.info(name).options:
            if option.kind == "bool":
                domains.append([(option.name, True), (option.name, False)])
            elif option.kind == "choice":
                domains.append([(option.name, c) for c in option.choices])
        for combo in itertools.product(*domains):
            yield name, dict(combo)


CASES = list(combinations())
IDS = [f"{name}-" + "-".join(f"{k}={v}" for k, v in opts.items()) for name, opts in CASES]


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from walk(child)


def problems(tree_root: Node) -> list[str]:
    return [
        f"{n.type} at line {n.start_point[0] + 1}: {n.text.decode()[:60]!r}"
        for n in walk(tree_root)
        if n.type == "ERROR" or n.is_missing
    ]


def script_functions(root: Node) -> set[str]:
    names = set()
    for node in walk(root):
        if node.type == "function_statement":
            for child in node.children:
                if child.type == "function_name":
                    names.add(child.text.decode().lower())
    return names


def command_calls(root: Node) -> Iterator[tuple[str, list[tuple[str, str | None]], bool, int]]:
    """(name, elements, piped, line): elements are ('param', name, colon) or ('arg', None)."""
    for node in walk(root):
        if node.type != "command":
            continue
        name_node = next(c for c in node.children if c.type == "command_name")
        elements: list[tuple[str, str | None]] = []
        colon = False
        for group in node.children:
            if group.type != "command_elements":
                continue
            for element in group.children:
                if element.type == "command_argument_sep":
                    colon = element.text.decode().strip() == ":"
                    if colon and elements and elements[-1][0] == "param":
                        elements[-1] = ("param:", elements[-1][1])
                    continue
                if element.type == "command_parameter":
                    elements.append(("param", element.text.decode().lstrip("-").rstrip(":")))
                    if element.text.decode().endswith(":"):
                        elements[-1] = ("param:", elements[-1][1])
                elif elements and elements[-1][0] == "param:" and colon:
                    elements[-1] = ("param=", elements[-1][1])  # the colon value is consumed
                else:
                    elements.append(("arg", None))
                colon = False
        previous = node.prev_sibling
        piped = previous is not None and previous.type == "|"
        yield name_node.text.decode(), elements, piped, node.start_point[0] + 1


def static_bind(cmdlet: str, elements: list[tuple[str, str | None]], piped: bool) -> str:
    spec = CATALOG[cmdlet]
    names: list[str] = []
    positional = 0
    expecting_value = False
    for kind, value in elements:
        if kind == "arg":
            if expecting_value:
                expecting_value = False
            else:
                positional += 1
            continue
        assert value is not None
        names.append(value)
        parameter = binding.resolve_parameter(spec, value)
        expecting_value = kind == "param" and not parameter.switch
    assert not expecting_value, f"{cmdlet}: the last parameter has no value"
    return binding.check_static(spec, names, positional_count=positional, piped=piped)


@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_template_parses_and_binds(name: str, options: dict[str, object]) -> None:
    text = TEMPLATES.render(name, options).text
    root = PARSER.parse(text.encode()).root_node
    assert problems(root) == []
    known = script_functions(root) | {n.lower() for n in builtin_command_names()}
    calls = list(command_calls(root))
    assert calls, "a template that calls nothing?"
    for command, elements, piped, line in calls:
        if command.lower() in known:
            continue
        assert command in CATALOG, (
            f"line {line}: {command} is neither a script function, a built-in nor in cmdlets.json"
        )
        try:
            static_bind(command, elements, piped)
        except PSTerminatingError as exc:
            pytest.fail(f"line {line}: {command}: {exc.record.fq_error_id}: {exc.record.message}")


def test_the_linter_catches_a_misspelled_parameter() -> None:
    root = PARSER.parse(b"Get-EXOMailbox -SoftDeletedMailbx -ResultSize Unlimited").root_node
    ((command, elements, piped, _),) = list(command_calls(root))
    with pytest.raises(PSTerminatingError, match="SoftDeletedMailbx"):
        static_bind(command, elements, piped)


def test_the_linter_catches_a_switch_given_a_value_and_a_missing_identity() -> None:
    root = PARSER.parse(b"Remove-Mailbox x -PermanentlyDelete $true").root_node
    ((command, elements, piped, _),) = list(command_calls(root))
    with pytest.raises(PSTerminatingError) as caught:
        static_bind(command, elements, piped)
    assert caught.value.record.fq_error_id == "PositionalParameterNotFound,Remove-Mailbox"
    root = PARSER.parse(
        b"Get-Mailbox -SoftDeletedMailbox x | Remove-Mailbox -PermanentlyDelete -Confirm:$false"
    ).root_node
    calls = list(command_calls(root))
    assert [c[2] for c in calls] == [False, True]
    assert static_bind(calls[1][0], calls[1][1], calls[1][2])
    root = PARSER.parse(b"Remove-Mailbox -PermanentlyDelete -Confirm:$false").root_node
    ((command, elements, piped, _),) = list(command_calls(root))
    with pytest.raises(PSTerminatingError, match="missing mandatory parameters: Identity"):
        static_bind(command, elements, piped)
