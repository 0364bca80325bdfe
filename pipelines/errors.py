"""The one base class for errors a user can cause or fix (config, files, devices, ports).

It lives on the vision side because both `pipelines` and `agent` raise it and `pipelines`
must not import `agent`. `eva` catches it once at the top and exits with status 2.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: what is wrong, which setting, its YAML line, and the fix."""

    def __init__(
        self,
        message: str,
        *,
        setting: str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.setting = setting
        self.line = line
        self.fix = fix

    def __str__(self) -> str:
        where = ""
        if self.setting:
            where = f"{self.setting}" + (f" (line {self.line})" if self.line else "") + ": "
        fix = f": {self.fix}" if self.fix and self.fix not in self.message else ""
        return f"{where}{self.message}{fix}"
