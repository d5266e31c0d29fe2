"""``templates list`` and ``templates render``: show exactly what would run on the host."""

from __future__ import annotations

import click

from orchestrator.errors import UsageError


@click.group()
def templates() -> None:
    """The PowerShell templates this version ships."""


@templates.command("list")
def list_templates() -> None:
    """One template per line: its name first, then what it does."""
    from orchestrator.templates import TemplateCatalog

    catalog = TemplateCatalog()
    for name in catalog.names():
        click.echo(f"{name}\t{catalog.info(name).summary}")


@templates.command("render")
@click.argument("name")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="OPTION=VALUE",
    help="A structural option (see `templates options NAME`); repeatable. Values are never set here: "
    "they are bound as PSRP parameters at run time.",
)
def render(name: str, settings: tuple[str, ...]) -> None:
    """Print the script NAME renders to, for review (the text only, on stdout)."""
    from orchestrator.templates import TemplateCatalog

    catalog = TemplateCatalog()
    info = catalog.info(name)
    options: dict[str, object] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--set takes OPTION=VALUE, not {item!r}", hint=f"options: {_names(info)}")
        options[key.strip()] = info.option(key.strip()).parse(value)
    click.echo(catalog.render(name, options).text, nl=False)


@templates.command("options")
@click.argument("name")
def options(name: str) -> None:
    """List NAME's structural options, their types and defaults, and its script parameters."""
    from orchestrator.templates import TemplateCatalog

    catalog = TemplateCatalog()
    info = catalog.info(name)
    for option in info.options:
        kind = "choice(" + "|".join(option.choices) + ")" if option.kind == "choice" else option.kind
        default = str(option.default).lower() if isinstance(option.default, bool) else option.default
        click.echo(f"{option.name}\t{kind} = {default}\t{option.help}")
    declared = catalog.render(name).declared
    click.echo("parameters: " + ", ".join(p.name + ("" if p.mandatory else "?") for p in declared))


def _names(info: object) -> str:
    return ", ".join(o.name for o in getattr(info, "options", ())) or "none"
