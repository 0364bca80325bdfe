"""Careless and hostile configurations: each ends in one clear message and status 2.

The corpus is tests/corpus/configs: one file per mistake, whose first line says what the
message must contain (`# expect: <setting> (line <n>)`). Files it refers to (binary, empty,
FIFO...) are made per run under ${EVA_CORPUS_FILES}. Cases that need size (alias bombs,
deep nesting, megabytes) are generated here and run as a real `eva` process with a timeout,
so a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import importlib
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli import main
from agent.config.loader import MAX_DEPTH, MAX_FILE_BYTES, ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "configs"
CASES = sorted(CORPUS.glob("*.yaml"))
TIMEOUT = 60  # seconds for one `eva` process; the limits answer in well under one


def expectation(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} has no expectation line"
    return first.removeprefix("# expect: ")


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The broken files the corpus points at through ${EVA_CORPUS_FILES}."""
    d = tmp_path_factory.mktemp("corpus-files")
    (d / "empty.txt").write_bytes(b"")
    (d / "blank.txt").write_text("\n\n  \n")
    (d / "binary.bin").write_bytes(bytes(range(256)) * 2 + b"\0\xff\xfe")
    (d / "garbage.pem").write_text("hello there\n")
    (d / "folder").mkdir()
    os.mkfifo(d / "fifo")  # opening it for reading would block for ever
    (d / "empty.onnx").write_bytes(b"")
    (d / "text.onnx").write_text("not a model\n")
    (d / "empty.hef").write_bytes(b"")
    (d / "password").write_text("secret\n")
    return d


@pytest.fixture
def files_env(corpus_files: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVA_CORPUS_FILES", str(corpus_files))
    monkeypatch.delenv("EVA_CORPUS_SURELY_UNSET", raising=False)
    return corpus_files


def assert_one_clear_line(err: str, expect: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{err[:2000]}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert expect in line, f"{expect!r} not in {line!r}"
    assert "Traceback" not in err
    assert len(line) < 700, f"message of {len(line)} characters"
    return line


def test_the_corpus_covers_enough_mistakes() -> None:
    assert len(CASES) >= 60
    assert len({expectation(p) for p in CASES}) > 50  # not one case copied sixty times


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_eva_check_rejects_each_case_with_one_clear_line(
    path: Path, files_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--config", str(path)]) == 2
    captured = capsys.readouterr()
    line = assert_one_clear_line(captured.err, expectation(path))
    # After "setting (line n):" comes what is wrong, not just the place.
    assert len(line.rsplit("): ", 1)[-1]) > 10
    assert "[ok]" not in captured.out  # check stopped at the configuration


# `eva run` loads through the same function; these prove it for the cases that used to
# pass check and fail in run (files, names the MQTT library refuses, overflowing numbers).
RUN_CASES = [
    "labels-binary",
    "model-text",
    "password-file-empty",
    "tls-ca-garbage",
    "client-id-too-long",
    "inf-reconnect",
]


@pytest.mark.parametrize("name", RUN_CASES)
def test_eva_run_rejects_what_check_rejects(name: str, files_env: Path) -> None:
    path = CORPUS / f"{name}.yaml"
    done = run_eva("run", path)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, expectation(path))


def run_eva(command: str, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", command, "--config", str(config), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


GENERATED = {
    "alias-bomb": (alias_bomb(), "once aliases (*name) are expanded"),
    "alias-in-mappings-bomb": (
        "base: &b {x: 1}\n"
        + "".join(
            f"m{i}: &m{i}\n"
            + "".join(f"  k{j}: *{'b' if i == 0 else f'm{i - 1}'}\n" for j in range(12))
            for i in range(6)
        ),
        "once aliases (*name) are expanded",
    ),
    "deep-flow-nesting": ("mqtt: " + "[" * 100_000 + "]" * 100_000 + "\n", "not valid YAML"),
    "deep-block-nesting": (
        "".join(" " * i + f"k{i}:\n" for i in range(500)) + " " * 500 + "v: 1\n",
        f"nested more than {MAX_DEPTH} levels deep",
    ),
    "deep-moderate-nesting": ("cameras: " + "[" * 60 + "]" * 60 + "\n", "levels deep"),
    "two-megabytes": ("# padding\n" * 200_000 + "mqtt: {}\n", "is more than a configuration needs"),
    "huge-value": ("cameras:\n  - name: " + "x" * 600_000 + "\n", "cameras.0.name (line 2)"),
    "huge-unknown-key": ("mqtt:\n  ? " + "k" * 300_000 + "\n  : 1\n", "unknown key"),
    "many-cameras": (
        "cameras:\n"
        + "".join(f"  - name: c{i}\n    labels: [{'cow, ' * 20}cow]\n" for i in range(5000)),
        "values once aliases",
    ),
}


# The bombs run as a real process: the timeout bounds them even if a limit were lost.
IN_A_PROCESS = {"alias-bomb", "alias-in-mappings-bomb", "deep-flow-nesting", "deep-block-nesting"}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_limits_end_in_a_message_not_a_hang(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expect = GENERATED[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    if name in IN_A_PROCESS:
        done = run_eva("check", path)  # a hang raises TimeoutExpired
        code, err = done.returncode, done.stderr
    else:
        code, err = main(["check", "--config", str(path)]), capsys.readouterr().err
    assert code == 2
    assert_one_clear_line(err, expect)
    assert "x" * 200 not in err and "k" * 200 not in err  # huge values are trimmed


def test_odd_files_given_as_the_configuration(tmp_path: Path) -> None:
    cases: dict[str, tuple[Path, str]] = {}
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("mqtt:\n  username: caf\xe9\n".encode("latin-1"))
    cases["latin-1"] = (latin, "not UTF-8 text")
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"mqtt:\n  host: a\0b\n")
    cases["nul byte"] = (nul, "not valid YAML")
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    cases["fifo"] = (fifo, "not a regular file")
    cases["folder"] = (tmp_path, "not a regular file")
    cases["missing"] = (tmp_path / "nope.yaml", "no such file")
    for what, (path, expect) in cases.items():
        with pytest.raises(ConfigError) as e:
            load_config(path)
        assert expect in str(e.value), what
    done = run_eva("check", fifo)  # a FIFO would block a plain read for ever
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, "not a regular file")


def test_size_limit_is_the_documented_one(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("#" * (MAX_FILE_BYTES + 10) + "\n")
    with pytest.raises(ConfigError, match="more than a configuration needs"):
        load_config(path)
    with pytest.raises(ConfigError, match="more than a configuration needs"):
        parse_config("#" * (MAX_FILE_BYTES + 10))


def test_reasonable_anchors_and_env_references_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVA_TEST_USER", "farmer")
    config = parse_config(
        "mqtt:\n  host: broker.local\n  username: ${EVA_TEST_USER}\n"
        "  base_topic: ${EVA_TEST_UNSET:-farm}\n"
        "cameras:\n"
        "  - name: barn\n    zones:\n      - &gate {name: gate, points: [[0, 0], [1, 0], [1, 1]]}\n"
        "  - name: yard\n    zones: [*gate]\n"
    )
    assert config.mqtt.username == "farmer" and config.mqtt.base_topic == "farm"
    assert [c.zones[0].name for c in config.cameras] == ["gate", "gate"]


def test_warnings_for_a_readable_password_file_and_no_username(tmp_path: Path) -> None:
    secret = tmp_path / "mqtt_password"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    path = tmp_path / "c.yaml"
    path.write_text(f"mqtt:\n  host: broker.local\n  password_file: {secret}\n")
    warnings: list[str] = []
    load_config(path, warnings)
    assert len(warnings) == 2
    assert any("chmod 600" in w and "mqtt.password_file (line 3)" in w for w in warnings)
    assert any("mqtt.username is not" in w for w in warnings)
    assert "s3cret" not in " ".join(warnings)
    secret.chmod(0o600)
    path.write_text(f"mqtt:\n  host: broker.local\n  username: eva\n  password_file: {secret}\n")
    warnings.clear()
    assert load_config(path, warnings).mqtt.username == "eva"
    assert warnings == []
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_an_encrypted_tls_key_is_refused_rather_than_prompted_for(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-days",
            "1",
            "-subj",
            "/CN=eva",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-passout",
            "pass:hunter2",
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    path = tmp_path / "c.yaml"
    path.write_text(
        f"mqtt:\n  host: broker.local\n  tls: true\n  tls_ca_file: {cert}\n"
        f"  tls_cert_file: {cert}\n  tls_key_file: {key}\n"
    )
    done = run_eva("check", path)  # stdin is not a terminal; a prompt would still hang
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, "protected by a passphrase")


def test_llm_with_only_a_model_takes_the_documented_default_type(tmp_path: Path) -> None:
    config = parse_config("llm:\n  model: qwen2.5:1.5b\n")
    assert config.llm.type == "ollama" and config.llm.model == "qwen2.5:1.5b"
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 32)
    config = parse_config(f"llm:\n  model_path: {gguf}\n")
    assert config.llm.type == "llamacpp"
    assert parse_config("").llm.type == "ollama"


@pytest.fixture
def port_1883_taken() -> Iterator[None]:
    """Hold 127.0.0.1:1883, unless something (a real broker) already does."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", 1883))
        sock.listen()
    except OSError:
        pass  # taken already: the situation under test
    try:
        yield
    finally:
        sock.close()


def test_no_mqtt_host_and_port_1883_taken_prints_one_line(
    port_1883_taken: None, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"llm:\n  type: template\nstorage:\n  path: {tmp_path / 'state'}\n")
    done = run_eva("run", path)
    assert done.returncode == 2
    line = assert_one_clear_line(done.stderr, "port 1883 on 127.0.0.1 is already in use")
    assert "mqtt.host" in line and "mqtt.embedded_port: 0" in line
    checked = run_eva("check", path)  # check says so too, before anything starts
    assert checked.returncode == 1
    assert "[FAIL] mqtt: an embedded broker will start on 127.0.0.1:1883" in checked.stdout


def test_an_unexpected_error_is_reported_as_a_bug_with_the_traceback_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = importlib.import_module("agent.cli.main")  # the package exports main, the function

    def broken(args: object) -> int:
        raise KeyError("surprise")

    monkeypatch.setattr(cli, "_cmd_check", broken)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert main(["check", "--config", "x.yaml"]) == 1
    err = capsys.readouterr().err
    line = assert_one_clear_line(err, "a bug in eva")
    assert "KeyError" in line and str(cli.crash_log_path()) in line
    log = cli.crash_log_path().read_text()
    assert "Traceback" in log and "surprise" in log
    assert main(["--debug", "check", "--config", "x.yaml"]) == 1
    assert "Traceback" in capsys.readouterr().err
