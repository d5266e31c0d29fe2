"""``python -m orchestrator``: the same entry point as the ``mailbox-orchestrator`` script."""

from orchestrator.cli import main

if __name__ == "__main__":
    main()
