"""The ``mailbox-orchestrator`` command line: a thin click group over plain functions.

Start-up stays light: this module imports click and the configuration key table only; each
command imports what it needs (pypsrp, the sandbox, Jinja) when it runs, so ``--help`` is fast on
a jump server. Every ``winrm.*``/``tenant.*``/``logging.*`` setting is also a flag
(``--winrm-host``...), with precedence flag > environment > config file > default. Secrets are
never flags (they would land in shell history and process listings): use the environment or a
file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from orchestrator import __version__
from orchestrator.cli.app import AppContext, handle_errors
from orchestrator.config import describe_keys

_BOOLEAN_TYPES = {"bool"}


def _setting_options(func: Any) -> Any:
    """Attach one flag per non-secret configuration key, each naming its environment variable."""
    for info in reversed(describe_keys()):
        if info.secret:
            continue
        name = info.key.replace(".", "__")
        help_text = f"{info.description} [env: {info.env_var}; config: {info.key}; default: {info.default}]"
        if info.type in _BOOLEAN_TYPES:
            negative = "--no-" + info.flag.removeprefix("--")
            option = click.option(
                f"{info.flag}/{negative}", name, default=None, help=help_text, show_default=False
            )
        elif info.type.isdigit() or info.type in {"int"}:
            option = click.option(info.flag, name, type=int, default=None, help=help_text, metavar="N")
        elif info.type == "float":
            option = click.option(
                info.flag, name, type=float, default=None, help=help_text, metavar="SECONDS"
            )
        elif "|" in info.type:
            option = click.option(
                info.flag, name, type=click.Choice(info.type.split("|")), default=None, help=help_text
            )
        else:
            option = click.option(info.flag, name, default=None, help=help_text, metavar="TEXT")
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="mailbox-orchestrator")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (TOML). [env: MBXO_CONFIG; default: the per-user app dir's config.toml]",
)
@click.option(
    "--sandbox",
    "sandbox_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="MBXO_SANDBOX",
    help="Talk to the simulated tenant in DIR instead of a jump host (created from the showcase "
    "fixture if absent; its WinRM endpoint starts in-process on a free loopback port). [env: MBXO_SANDBOX]",
)
@click.option(
    "--sandbox-https", is_flag=True, help="With --sandbox: use HTTPS (a generated CA) instead of HTTP."
)
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@_setting_options
@click.pass_context
def cli(
    ctx: click.Context,
    /,
    config_path: Path | None,
    sandbox_dir: Path | None,
    sandbox_https: bool,
    verbose: int,
    quiet: bool,
    **settings: Any,
) -> None:
    """Plan and run Exchange Online mailbox-lifecycle chores through PowerShell over PSRP.

    Machine output (tables, JSON, CSV) goes to stdout; progress and diagnostics to stderr.
    Exit codes: 0 ok, 1 failed, 2 usage or configuration error, 3 partly failed, 4 host
    unreachable or timed out, 5 authentication failed, 6 script error, 7 endpoint unusable,
    70 internal error.
    """
    overrides = {key.replace("__", "."): value for key, value in settings.items()}
    ctx.obj = AppContext(
        config_path=config_path,
        sandbox_dir=sandbox_dir,
        sandbox_https=sandbox_https,
        verbosity=-1 if quiet else verbose,
        overrides=overrides,
    )
    ctx.call_on_close(ctx.obj.close)
    ctx.obj.setup_logging_from_flags()


def _register() -> None:
    from orchestrator.cli import config_cmd, demo_cmd, inventory_cmd, sandbox_cmd, templates_cmd

    cli.add_command(inventory_cmd.inventory)
    cli.add_command(templates_cmd.templates)
    cli.add_command(config_cmd.config)
    cli.add_command(sandbox_cmd.sandbox)
    cli.add_command(demo_cmd.demo)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and turn every failure into a documented exit code."""
    code = handle_errors(
        lambda: cli.main(
            args=argv, prog_name="mailbox-orchestrator", standalone_mode=False, windows_expand_args=False
        )
    )
    sys.exit(code)
