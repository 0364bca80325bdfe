"""The error family: every error eva raises on purpose descends from `EvaError`.

It sits at the root of the project because both `pipelines` and `agent` raise these and
`pipelines` must not import `agent`. `UserError` is what a user can cause or fix (config,
files, devices, ports): `eva` catches it once at the top and exits with status 2.
"""

from __future__ import annotations

# Longest piece of user input echoed back in a message: a 1 MB value must not flood a terminal.
ECHO_LIMIT = 80


def shorten(value: object, limit: int = ECHO_LIMIT) -> str:
    """`repr(value)` cut to about `limit` characters, for quoting user input in messages."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 15]}... ({len(text)} chars)"


class EvaError(Exception):
    """Raised on purpose by eva; anything else escaping a thread is a bug."""


class UserError(EvaError):
    """A problem the user can fix: what is wrong, which setting, its YAML line, and the fix.

    str() is the message with where it applies ("mqtt.port (line 3): ..."); `describe()`
    adds the fix and is what `eva` prints.
    """

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
        self.fix: str = fix or ""

    def __str__(self) -> str:
        where = ""
        if self.setting:
            where = f"{self.setting}" + (f" (line {self.line})" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        return f"{where}{self.message}"

    def describe(self) -> str:
        """The whole message for the user: where, what, and the fix when it adds something."""
        text = str(self)
        if self.fix and self.fix not in text:
            text = f"{text}; {self.fix}"
        return text


class DetectorError(UserError, RuntimeError):
    """A detector could not be set up or run; the message says what to install or fix."""
