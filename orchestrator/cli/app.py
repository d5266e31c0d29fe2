"""The application object behind every command (``ctx.obj``): settings, logging, the runner.

Commands ask it for what they need, when they need it: ``settings()`` loads and validates the
configuration (or builds it from a sandbox), ``runner()`` opens one PowerShell session (starting
the embedded sandbox first when ``--sandbox`` is given). Nothing heavy is imported until then.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestrator.errors import ExitCode, OrchestratorError, UsageError

if TYPE_CHECKING:
    from orchestrator.config import Settings
    from orchestrator.session import PowerShellSession


@dataclass
class AppContext:
    config_path: Path | None
    sandbox_dir: Path | None
    sandbox_https: bool
    verbosity: int
    overrides: dict[str, object]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _settings: Settings | None = None

    def close(self) -> None:
        self._stack.close()

    # -- logging --------------------------------------------------------------------------

    def setup_logging(
        self, json_log: Path | None = None, json_level: str = "debug", configured_level: str | None = None
    ) -> None:
        """Console on stderr (``-v``/``-q``, else the configured level, else warning); JSON lines to
        a file if configured. Safe to call again once the config file has been read."""
        import structlog

        from orchestrator.logging_setup import configure_logging

        if self.verbosity < 0:
            level = "error"
        elif self.verbosity == 0:
            level = configured_level or "warning"
        else:
            level = "info" if self.verbosity == 1 else "debug"
        configure_logging(console_level=level, json_path=json_log, json_level=json_level)
        structlog.contextvars.bind_contextvars(run_id=self.run_id)
        global _logging_configured
        _logging_configured = True

    def setup_logging_from_flags(self) -> None:
        self.setup_logging(*self._logging_overrides())

    # -- settings -------------------------------------------------------------------------

    def settings(self) -> Settings:
        """The validated settings for a jump host (not used with ``--sandbox``)."""
        if self._settings is None:
            from orchestrator.config import load_settings

            self._settings = load_settings(
                config_path=self.config_path, environ=os.environ, overrides=self.overrides
            )
            lg = self._settings.logging
            configured = lg.level if lg.source_of("level") != "default" else None
            self.setup_logging(lg.json_log, lg.json_level, configured)
        return self._settings

    def _logging_overrides(self) -> tuple[Path | None, str, str | None]:
        """The logging flags alone (the config file is read only for a jump host)."""
        json_log = self.overrides.get("logging.json_log")
        json_level = self.overrides.get("logging.json_level") or "debug"
        level = self.overrides.get("logging.level")
        return (Path(str(json_log)) if json_log else None, str(json_level), str(level) if level else None)

    # -- the runner -----------------------------------------------------------------------

    @contextlib.contextmanager
    def runner(self) -> Iterator[tuple[PowerShellSession, Settings]]:
        """An open PowerShell session and the settings it was made from."""
        from orchestrator.session import PowerShellSession

        settings = self._start_sandbox(self.sandbox_dir) if self.sandbox_dir else self.settings()
        session = PowerShellSession(settings.winrm)
        with session:
            yield session, settings

    def _start_sandbox(self, state_dir: Path) -> Settings:
        """Start the embedded sandbox for ``--sandbox DIR`` and describe it as settings."""
        given = sorted(
            k for k, v in self.overrides.items() if v is not None and k.startswith(("winrm.", "tenant."))
        )
        if given:
            raise UsageError(
                "--sandbox talks to the simulated tenant; connection settings do not apply",
                hint="drop " + ", ".join(given) + " or drop --sandbox",
            )
        from orchestrator.sandbox.embedded import running_sandbox

        connection = self._stack.enter_context(running_sandbox(state_dir, https=self.sandbox_https))
        click.echo(f"sandbox: tenant {connection.organization} at {connection.url}", err=True)
        return connection.settings()


def handle_errors(run: Callable[[], Any]) -> int:
    """Run the CLI; map every failure to a documented, non-negative exit code."""
    try:
        result = run()
    except OrchestratorError as exc:
        _log_failure(exc)
        click.echo(exc.render(), err=True)
        return int(exc.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show(file=sys.stderr)
        return int(exc.exit_code) if exc.exit_code >= 0 else int(ExitCode.USAGE)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    return result if isinstance(result, int) and result >= 0 else int(ExitCode.OK)


_logging_configured = False


def _log_failure(exc: OrchestratorError) -> None:
    if _logging_configured:  # before that, structlog's default would print to stdout
        import structlog

        # debug: the JSON log keeps the structured record; the console shows ``render()`` once.
        structlog.get_logger("orchestrator.cli").debug("command.failed", **exc.to_log())
