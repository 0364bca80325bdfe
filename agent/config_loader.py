"""Reading a configuration file: YAML, ${ENV} secrets, and errors a user can act on."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agent.config import AppConfig

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """The configuration cannot be used; str() is the message for the user."""


def load_config(path: str | Path) -> AppConfig:
    """Read, interpolate and validate a configuration file, or raise ConfigError."""
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file. Copy one of the examples in config/.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot be read ({e})") from None
    return parse_config(text, str(p))


def parse_config(text: str, source: str = "<config>") -> AppConfig:
    """Validate configuration text; errors name the field, the line and the fix."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(f"{source}: not valid YAML at {where}: {e.problem}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: the top level must be a mapping of sections (mqtt:, cameras:, ...)"
        )
    data = _interpolate(data, source)
    try:
        return AppConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_describe(e, root, source)) from None


def _interpolate(value: Any, source: str) -> Any:
    """Replace ${VAR} and ${VAR:-default} in strings with environment values."""
    if isinstance(value, dict):
        return {k: _interpolate(v, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, source) for v in value]
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            found = os.environ.get(name)
            if found is not None:
                return found
            if default is not None:
                return default
            raise ConfigError(
                f"{source}: the environment variable {name} is not set; "
                f"export {name}=... or write ${{{name}:-default}}"
            )

        return _ENV_REF.sub(sub, value)
    return value


def _describe(error: ValidationError, root: yaml.Node | None, source: str) -> str:
    lines = [f"{source}: {error.error_count()} problem(s) in the configuration:"]
    for item in error.errors(include_url=False):
        loc = [p for p in item["loc"] if not _is_union_tag(p)]
        field = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(root, loc)
        at = f" (line {line})" if line else ""
        lines.append(f"  - {field}{at}: {_message(item)}")
    return "\n".join(lines)


_TYPE_CHOICES = {
    "source": "opencv, image_folder, demo, picamera or imx500",
    "detector": "onnx, hailo or imx500",
    "llm": "ollama, llamacpp or template",
}


def _is_union_tag(part: object) -> bool:
    # Pydantic adds the discriminator's value ('opencv', 'onnx') to the path; users never wrote it.
    return isinstance(part, str) and part in {
        "opencv",
        "image_folder",
        "demo",
        "picamera",
        "imx500",
        "onnx",
        "hailo",
        "ollama",
        "llamacpp",
        "template",
    }


def _message(item: Any) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against the README's configuration reference"
    if kind == "missing":
        return "required but missing"
    if kind == "union_tag_invalid":
        expected = item.get("ctx", {}).get("expected_tags", "")
        return f"unknown type {item['input']!r}; use one of {expected}"
    if kind == "union_tag_not_found":
        return f"needs a 'type' key: {_TYPE_CHOICES.get(str(item['loc'][-1]), 'see the README')}"
    msg = str(item["msg"])
    return msg.removeprefix("Value error, ")


def _line_of(node: yaml.Node | None, loc: list[int | str]) -> int | None:
    """The 1-based line of the deepest YAML node along a pydantic error path."""
    best: int | None = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
            if nxt is None:
                # The key itself may be the problem (extra key): point at it.
                key = next((k for k, _ in node.value if k.value == part), None)
                return key.start_mark.line + 1 if key is not None else best
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return best
            node = node.value[part]
        else:
            return best
        best = node.start_mark.line + 1
    return best
