"""The `eva` command and its tools: run, check, demo, replay, bench, soak."""

from agent.cli.main import main

__all__ = ["main"]
