"""Reading a configuration file: bounded YAML, ${ENV} secrets, and errors a user can act on.

Every limit here ends a careless or hostile file in one clear message within moments:
the file size, the nesting depth and the number of nodes after expanding YAML aliases
(an "alias bomb" of a few lines would otherwise expand to billions of values).
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, SecretStr, ValidationError

from agent.config.files import Finding, Loc, file_problems, file_warnings
from agent.config.schema import AppConfig
from eva_errors import UserError, shorten

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 100_000  # values after expanding aliases
MAX_NUMBER = 1e9  # no setting needs more; larger ones overflow timers and SQLite later
MAX_LISTED = 20  # problems listed in one message
_MAX_LINE = 300  # characters of one problem's text

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_ENV_FIX = "write ${NAME} or ${NAME:-default}, NAME being letters, digits and '_'"

# The C parser when PyYAML has it: ten times faster on a megabyte of YAML.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(UserError):
    """The configuration cannot be used; str() is the whole message for the user.

    When there is one problem, `setting` and `line` say where it is.
    """

    def __str__(self) -> str:
        return self.message


def load_config(path: str | Path, warnings: list[str] | None = None) -> AppConfig:
    """Read, interpolate and validate a configuration file, or raise ConfigError.

    Warnings (settings that work but are probably a mistake) are appended to `warnings`.
    """
    p = Path(path).expanduser()
    try:
        info = p.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{p}: not a regular file; point --config at a YAML file")
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigError(_too_big(str(p), info.st_size))
        with p.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file. Copy one of the examples in config/.") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot be read ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    return parse_config(text, str(p), warnings)


def parse_config(
    text: str, source: str = "<config>", warnings: list[str] | None = None
) -> AppConfig:
    """Validate configuration text; errors name the field, the line and the fix."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ConfigError(_too_big(source, len(text)))
    root, data = _read_yaml(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: the top level must be a mapping of sections (mqtt:, cameras:, ...)"
        )
    found: list[Finding] = []
    data = _interpolate(data, (), found)
    if found:
        raise _error(found, root, source)
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as e:
        raise _error(_validation_findings(e), root, source) from None
    found = list(_doubtful_values(data, config, ()))
    found += file_problems(config)
    if found:
        raise _error(found, root, source)
    if warnings is not None:
        warnings += [_line(f, root) for f in file_warnings(config)]
    return config


def _too_big(source: str, size: int) -> str:
    return (
        f"{source}: {size} bytes is more than a configuration needs (at most "
        f"{MAX_FILE_BYTES}); is this the right file?"
    )


# YAML --------------------------------------------------------------------------------------


def _read_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the plain data, within the size limits."""
    try:
        _check_shape(text, source)
        root = yaml.compose(text, Loader=_Loader)
        if root is not None:
            _check_duplicate_keys(root, source)
        loader = _Loader("")
        try:
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = (e.problem or str(e))[:_MAX_LINE]
        line = mark.line + 1 if mark else None
        raise ConfigError(f"{source}: not valid YAML at {where}: {problem}", line=line) from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {str(e)[:_MAX_LINE]}") from None
    except (ValueError, OverflowError) as e:
        # e.g. an integer of 5000 digits or a date like 2024-13-45
        reason = "a number with thousands of digits" if "digits" in str(e) else str(e)
        raise ConfigError(
            f"{source}: a value cannot be read ({reason[:_MAX_LINE]}); write it as a plain "
            "number or put it in quotes"
        ) from None
    return root, data


def _check_shape(text: str, source: str) -> None:
    """Walk the YAML events (no recursion) and stop at the depth and expanded-size limits."""
    depth = nodes = 0
    sizes: dict[str, int] = {}  # expanded node count of each anchor
    open_collections: list[tuple[str | None, int]] = []
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            nodes += sizes.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            nodes += 1
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise ConfigError(
                    f"{source}: line {line}: nested more than {MAX_DEPTH} levels deep; a "
                    "configuration needs far fewer, so the file is probably not one",
                    line=line,
                )
            open_collections.append((event.anchor, nodes))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, start = open_collections.pop()
            if anchor:
                sizes[anchor] = nodes - start + 1
        if nodes > MAX_NODES:
            line = event.start_mark.line + 1 if event.start_mark else None
            raise ConfigError(
                f"{source}: line {line}: more than {MAX_NODES} values once aliases (*name) "
                "are expanded; use fewer or smaller aliases",
                line=line,
            )


def _check_duplicate_keys(root: yaml.Node, source: str) -> None:
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value)[:60] if isinstance(key, yaml.ScalarNode) else "?"
                stack.append((value, f"{path}.{name}" if path else name))
                if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                    continue
                line = key.start_mark.line + 1
                if key.value in seen:
                    setting = f"{path}.{name}" if path else name
                    raise ConfigError(
                        f"{source}: {setting} (line {line}): this key is already given on line "
                        f"{seen[key.value]} of the same section; keep one",
                        setting=setting,
                        line=line,
                    )
                seen[key.value] = line
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{path}.{i}") for i, item in enumerate(node.value))


# ${VAR} references -------------------------------------------------------------------------


def _interpolate(value: Any, loc: Loc, found: list[Finding]) -> Any:
    """Replace ${VAR} and ${VAR:-default} in strings with environment values."""
    if isinstance(value, dict):
        return {k: _interpolate(v, (*loc, k), found) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*loc, i), found) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _substitute(value, loc, found)
    return value


def _substitute(text: str, loc: Loc, found: list[Finding]) -> str:
    leftover = _ENV_REF.sub("", text)
    if "${" in leftover:
        found.append(Finding(loc, f"malformed reference in {shorten(text)}; {_ENV_FIX}"))
        return text
    for m in _ENV_REF.finditer(text):
        if m.group(2) is not None and "${" in m.group(2):
            found.append(Finding(loc, f"a reference inside a reference is not supported: {m[0]}"))
            return text

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        value = os.environ.get(name)
        if value is not None:
            return value
        if default is not None:
            return default
        found.append(
            Finding(
                loc,
                f"the environment variable {name} is not set; export {name}=... "
                f"or write ${{{name}:-default}}",
            )
        )
        return m[0]

    return _ENV_REF.sub(sub, text)


# Values pydantic accepts but a user did not mean --------------------------------------------


def _doubtful_values(raw: Any, value: Any, loc: Loc) -> Iterator[Finding]:
    """true where a number is wanted (pydantic reads it as 1), 5 where true/false is wanted,
    .inf/.nan, and numbers too large for any setting (they overflow timers and SQLite)."""
    if isinstance(value, bool):
        if not isinstance(raw, bool) and isinstance(raw, int | float):
            yield Finding(loc, f"expects true or false, not {shorten(raw)}")
        return
    if isinstance(value, int | float):
        if isinstance(raw, bool):
            yield Finding(loc, f"expects a number, not {str(raw).lower()}")
        elif not math.isfinite(value):
            yield Finding(loc, f"expects a finite number, not {value}")
        elif abs(value) > MAX_NUMBER:
            yield Finding(loc, f"{value:g} is too large for any setting (at most {MAX_NUMBER:g})")
        return
    if isinstance(value, BaseModel) and isinstance(raw, dict):
        fields = type(value).model_fields
        for key, sub in raw.items():
            if isinstance(key, str) and key in fields:
                yield from _doubtful_values(sub, getattr(value, key), (*loc, key))
    elif isinstance(raw, list) and isinstance(value, list | tuple) and len(raw) == len(value):
        for i, (r, v) in enumerate(zip(raw, value, strict=True)):
            yield from _doubtful_values(r, v, (*loc, i))
    elif isinstance(value, SecretStr | str):
        return


# Messages ----------------------------------------------------------------------------------

_TYPE_CHOICES = {
    "source": "opencv, image_folder, demo, picamera or imx500",
    "detector": "onnx, hailo or imx500",
    "llm": "ollama, llamacpp or template",
}
# Pydantic adds the discriminator's value ('opencv', 'onnx') to the path; users never wrote it.
_UNION_TAGS = frozenset(
    {"opencv", "image_folder", "demo", "picamera", "imx500", "onnx", "hailo"}
    | {"ollama", "llamacpp", "template"}
)


def _validation_findings(error: ValidationError) -> list[Finding]:
    found = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        found.append(Finding(loc, _message(item)))
    return found


def _message(item: Any) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against the README's configuration reference"
    if kind == "missing":
        return "required but missing"
    if kind == "union_tag_invalid":
        expected = item.get("ctx", {}).get("expected_tags", "")
        given = item["input"].get("type") if isinstance(item["input"], dict) else item["input"]
        return f"unknown type {shorten(given)}; use one of {expected}"
    if kind == "union_tag_not_found":
        return f"needs a 'type' key: {_TYPE_CHOICES.get(str(item['loc'][-1]), 'see the README')}"
    msg = str(item["msg"])
    return msg.removeprefix("Value error, ")


def _error(found: list[Finding], root: yaml.Node | None, source: str) -> ConfigError:
    if len(found) == 1:
        only = found[0]
        return ConfigError(
            f"{source}: {_line(only, root)}",
            setting=_field(only.loc),
            line=_line_of(root, list(only.loc)),
        )
    lines = [f"{source}: {len(found)} problems in the configuration:"]
    lines += [f"  - {_line(f, root)}" for f in found[:MAX_LISTED]]
    if len(found) > MAX_LISTED:
        lines.append(f"  ... and {len(found) - MAX_LISTED} more")
    return ConfigError("\n".join(lines))


def _field(loc: Loc) -> str:
    return ".".join(str(p)[:60] for p in loc) or "(top level)"


def _line(finding: Finding, root: yaml.Node | None) -> str:
    line = _line_of(root, list(finding.loc))
    at = f" (line {line})" if line else ""
    text = " ".join(finding.message.split("\n"))
    if len(text) > _MAX_LINE:
        text = text[: _MAX_LINE - 3] + "..."
    return f"{_field(finding.loc)}{at}: {text}"


def _line_of(node: yaml.Node | None, loc: list[int | str]) -> int | None:
    """The 1-based line of the deepest YAML node along a pydantic error path."""
    best: int | None = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
            if nxt is None:
                return best
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return best
            node = node.value[part]
        else:
            return best
        best = node.start_mark.line + 1
    return best
