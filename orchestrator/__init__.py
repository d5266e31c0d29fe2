"""mailbox-orchestrator: Exchange Online mailbox-lifecycle chores, planned and run through PSRP.

The package is layered so the lower layers never import the upper ones:

* ``orchestrator.core``      pure data and decisions (no IO): states, observations, holds.
* ``orchestrator.templates`` renders PowerShell from ``ps_templates`` (values never enter text).
* ``orchestrator.session``   the only module that imports pypsrp; maps its failures to ``errors``.
* ``orchestrator.inventory`` and later workflows: render, invoke, parse, decide.
* ``orchestrator.cli``       thin click commands over plain functions.
* ``orchestrator.sandbox``   a simulated tenant behind a real WinRM endpoint; nothing above imports it
  except the CLI, lazily, when ``--sandbox`` or ``demo`` asks for it.
"""

__version__ = "0.1.0"
