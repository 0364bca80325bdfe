"""`python -m agent.cli`: the same as the `eva` command."""

from agent.cli.main import entry

entry()
