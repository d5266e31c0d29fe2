"""Benchmarks for mailbox-orchestrator: ``python -m benchmarks [--quick]``.

They print figures (and write ``benchmarks/results/latest.json``); nothing is asserted. See
``benchmarks/README.md`` for what each section measures.
"""
