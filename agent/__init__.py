"""The brain: tracking, zones, rules, wording, publishing and the CLI."""
