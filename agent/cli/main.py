"""The `eva` command line."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from eva_errors import UserError

if TYPE_CHECKING:
    from agent.config.schema import AppConfig

# Every command imports what it needs inside its handler, so `eva --help` loads argparse and
# little else, and `eva check` or `eva ask` never load the detector runtimes or the service.

log = logging.getLogger("eva")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
# Set by the commands that run the agent: `entry` then ends the process without waiting.
_exit_promptly = False


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `eva` console script.

    A UserError (bad config, missing file, port taken...) ends in one message and status 2;
    anything else is a bug: one line that says so, and the traceback in the crash log.
    """
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except UserError as e:
        print(f"error: {e.describe()}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as e:  # the one place that turns a bug into a message, not a traceback
        return _report_bug(e, debug=args.debug)


def entry() -> None:
    """The `eva` console script (and `python -m agent.cli`): `main`, then the exit.

    After `eva run` has stopped everything it started, the process ends at once
    (`os._exit`), without waiting in interpreter shutdown. That wait is not bounded: in a
    container whose broker was removed, a daemon thread still inside a name lookup for it
    (the MQTT client's reconnection; Docker's and podman's resolvers answer for a gone
    container only after tens of seconds) kept the interpreter from exiting until the engine
    killed it after its grace period.
    """
    code = main()
    if _exit_promptly:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    sys.exit(code)


def crash_log_path() -> Path:
    """Where tracebacks of unexpected errors go: $XDG_STATE_HOME/edge-vision-agent/crash.log."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "edge-vision-agent" / "crash.log"


def _report_bug(error: Exception, *, debug: bool) -> int:
    text = "".join(traceback.format_exception(error))
    summary = f"{type(error).__name__}: {str(error)[:200]}".splitlines()[0]
    if debug:
        print(text, file=sys.stderr, end="")
        where = "above"
    else:
        where = str(_write_crash_log(text))
    print(
        f"error: an internal error (a bug in eva, not in your setup): {summary}; "
        f"the traceback is {'in ' if where != 'above' else ''}{where} "
        "(run again with --debug to see it here); please report it",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _write_crash_log(text: str) -> Path:
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    for path in (crash_log_path(), Path(tempfile.gettempdir()) / "eva-crash.log"):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as f:
                f.write(f"--- {stamp} eva {' '.join(sys.argv[1:])}\n{text}")
            return path
        except OSError:
            continue
    return Path("(nowhere: no writable folder)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="eva", description="Edge vision agent: camera detections to plain-language events."
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="print the traceback of an unexpected error instead of writing it to the crash log",
    )
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    s = sub.add_parser("run", help="run the cameras of a configuration until stopped")
    s.add_argument("--config", required=True, type=Path, help="configuration file (YAML)")
    s.set_defaults(handler=_cmd_run)

    s = sub.add_parser(
        "hub", help="keep the fleet's history and answer questions over every agent's events"
    )
    s.add_argument(
        "--config", required=True, type=Path, help="configuration file (YAML; cameras unused)"
    )
    s.set_defaults(handler=_cmd_hub)

    s = sub.add_parser(
        "bridge-config",
        help="print a Mosquitto bridge from this site's broker to a central one",
    )
    s.add_argument("--config", required=True, type=Path, help="the site's configuration (YAML)")
    s.add_argument("--remote", required=True, help="the central broker, HOST or HOST:PORT")
    s.add_argument("--name", help="the site's name at the centre (default: this host's name)")
    s.add_argument(
        "--events-per-day",
        type=int,
        default=10_000,
        help="events the site makes on a busy day; sizes the queue (default 10000)",
    )
    s.add_argument("--remote-user", help="user name at the central broker, if it asks")
    s.add_argument("--remote-ca", help="CA file to verify the central broker's TLS certificate")
    s.set_defaults(handler=_cmd_bridge_config)

    s = sub.add_parser("replay", help="process a video file or image folder as fast as possible")
    s.add_argument("--config", required=True, type=Path, help="configuration file (YAML)")
    s.add_argument("--source", required=True, type=Path, help="video file or image folder")
    s.add_argument("--camera", help="which camera's zones and rules to use (default: first)")
    s.add_argument("--fps", type=float, default=2.0, help="frame rate of an image folder")
    s.add_argument("--json", action="store_true", help="print one JSON event per line")
    s.set_defaults(handler=_cmd_replay)

    s = sub.add_parser("check", help="validate a configuration and what it needs")
    s.add_argument("--config", required=True, type=Path, help="configuration file (YAML)")
    s.set_defaults(handler=_cmd_check)

    s = sub.add_parser("ask", help="ask what the cameras saw, e.g. 'how many people came today?'")
    s.add_argument("--config", required=True, type=Path, help="configuration file (YAML)")
    s.add_argument("--json", action="store_true", help="print the answer with its facts as JSON")
    s.add_argument("question", help="the question, in English or Ukrainian (quote it)")
    s.set_defaults(handler=_cmd_ask)

    s = sub.add_parser(
        "health", help="exit 0 while a running agent's cameras deliver frames (a HEALTHCHECK)"
    )
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", type=Path, help="the running agent's configuration")
    where.add_argument("--file", type=Path, help="its health.json (in storage.path)")
    s.add_argument(
        "--max-age", type=float, default=60.0, help="seconds after which the file is stale"
    )
    s.set_defaults(handler=_cmd_health)

    s = sub.add_parser("demo", help="play the bundled scene through the whole agent")
    s.add_argument("--language", choices=["en", "uk"], default="en")
    s.add_argument("--fast", action="store_true", help="play as fast as possible")
    s.set_defaults(handler=_cmd_demo)

    s = sub.add_parser(
        "setup", help="build the default detector model, the demo scene and the compiled core"
    )
    s.add_argument(
        "--core-only",
        action="store_true",
        help="only compile the core (a Pi with a Hailo or IMX500 needs no CPU model or demo)",
    )
    s.set_defaults(handler=_cmd_setup)

    s = sub.add_parser("models", help="Hailo model files (HEF): list them or fetch them once")
    models = s.add_subparsers(required=True, metavar="ACTION")
    m = models.add_parser("list", help="the manifest's models and whether each file is here")
    m.set_defaults(handler=_cmd_models_list)
    m = models.add_parser(
        "fetch", help="download and verify HEFs (the only command that downloads models)"
    )
    m.add_argument("names", nargs="*", help="model names (default: every model in the manifest)")
    m.add_argument(
        "--arch",
        choices=["auto", "hailo8", "hailo8l", "all"],
        default="auto",
        help="which chip's files: the one attached (auto), one, or both",
    )
    m.add_argument("--dest", type=Path, help="folder to write into (default: the model cache)")
    m.set_defaults(handler=_cmd_models_fetch)

    s = sub.add_parser("schema", help="write the JSON Schemas of the MQTT payloads")
    s.add_argument("--out", type=Path, default=Path("docs"), help="folder to write into")
    s.set_defaults(handler=_cmd_schema)

    s = sub.add_parser(
        "bench", help="measure the core, the detector, the language model and MQTT delivery"
    )
    s.add_argument("--frames", type=int, default=5000, help="frames for the core benchmark")
    s.add_argument("--runs", type=int, default=50, help="frames for the detector benchmark")
    s.add_argument("--mqtt-events", type=int, default=200, help="events for the MQTT benchmark")
    s.add_argument(
        "--events",
        action="store_true",
        help="instead: event quality against a noisy detector, side by side with norfair "
        "(Frigate's settings) and ByteTrack when scripts/setup-peers.sh has been run",
    )
    s.add_argument(
        "--calibrate-noise",
        action="store_true",
        help="instead: measure the built-in detector's noise on composed, degraded photos and "
        "write the statistics behind --events' calibrated level (a few minutes)",
    )
    s.add_argument(
        "--seeds",
        type=_seed_list,
        default=None,
        help="world seeds for --events, comma-separated (default 1,2,3; with --heldout "
        "401,402,403)",
    )
    s.add_argument(
        "--levels",
        type=_level_list,
        default=_LEVELS,
        help="noise levels for --events, comma-separated (clean, realistic, harsh, calibrated)",
    )
    s.add_argument(
        "--llm-events", type=int, default=60, help="events for the language-model benchmark"
    )
    s.add_argument(
        "--config",
        type=Path,
        help="take the llm section (e.g. Ollama's host and model) and the first camera's "
        "detector (Hailo model) or source (IMX500 network) from here",
    )
    s.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["core", "detector", "llm", "mqtt"],
        help="leave out a section",
    )
    s.add_argument(
        "--backend",
        choices=["onnx", "hailo", "imx500"],
        default="onnx",
        help="which detector to measure (hailo and imx500 need the device; their host-side "
        "work is measured anywhere)",
    )
    s.add_argument(
        "--ask",
        action="store_true",
        help="instead: the question suite (parser alone, and with the --config model) and "
        "answer latency on a year of events",
    )
    s.add_argument(
        "--fleet",
        action="store_true",
        help="instead: N simulated agents of 4 cameras against one Mosquitto and the hub "
        "(delivery, duplicates, delays, broker messages per event, hub ingest), and "
        "question latency over a million fleet events",
    )
    s.add_argument(
        "--fleet-agents", type=_seed_list, default=(1, 10, 50), help="fleet sizes for --fleet"
    )
    s.add_argument(
        "--fleet-seconds", type=float, default=60.0, help="length of each steady fleet run"
    )
    s.add_argument(
        "--fleet-rate", type=float, default=1.0, help="events per camera per minute (--fleet)"
    )
    s.add_argument(
        "--fleet-flood", type=int, default=20_000, help="events flooded for the hub's ingest rate"
    )
    s.add_argument(
        "--fleet-ask-events",
        type=int,
        default=1_000_000,
        help="events in the fleet history the questions are timed over",
    )
    s.add_argument(
        "--footprint",
        action="store_true",
        help="instead: start-up time and peak memory of `eva --help`, a template replay and "
        "`eva run` with SmolLM2, each in a fresh process (--skip llm leaves out the last)",
    )
    s.add_argument(
        "--heldout",
        nargs="?",
        const="AB",
        choices=["A", "B", "AB"],
        help="with --ask: only the held-out questions of these halves (A for development, "
        "B kept back), parser alone, each wrong answer listed; with --events (no value): "
        "the held-out seeds and kinds of world, which tuning never sees",
    )
    s.add_argument(
        "--soak",
        type=float,
        metavar="MINUTES",
        help="instead: run the whole agent this long against a local Mosquitto restarted "
        "twice; fails if an event is lost or memory grows by 20 MB or more",
    )
    s.set_defaults(handler=_cmd_bench)
    return p


def _setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def load_config(path: Path, warnings: list[str] | None = None) -> AppConfig:
    from agent.config.loader import load_config as load

    return load(path, warnings)


def _cmd_run(args: argparse.Namespace) -> int:
    warnings: list[str] = []
    config = load_config(args.config, warnings)
    _setup_logging(config.logging.level)
    for warning in warnings:
        log.warning("configuration: %s", warning)
    from agent.adapters.mqtt.sinks import ConsoleSink
    from agent.service.app import run_agent

    workers = run_agent(config, _stop_on_signals(), extra_sinks=[ConsoleSink(sys.stderr)])
    global _exit_promptly
    _exit_promptly = True  # everything the agent started is stopped and closed
    return EXIT_FAILED if any(w.error for w in workers) else EXIT_OK


def _cmd_hub(args: argparse.Namespace) -> int:
    warnings: list[str] = []
    config = load_config(args.config, warnings)
    _setup_logging(config.logging.level)
    for warning in warnings:
        log.warning("configuration: %s", warning)
    from agent.service.app import agent_version
    from agent.service.hub import Hub, run_hub

    hub = Hub(config, agent_version())  # a setting it cannot work with ends here, in one line
    run_hub(hub, _stop_on_signals())
    return EXIT_OK


def _cmd_bridge_config(args: argparse.Namespace) -> int:
    from agent.adapters.mqtt.bridge import BridgeSettings, bridge_config
    from agent.adapters.mqtt.identity import host_prefix

    config = load_config(args.config)
    host, _, port = str(args.remote).rpartition(":")
    if not host or not port.isdigit():
        host, port = str(args.remote), "1883"
    if not 1 <= int(port) <= 65535 or args.events_per_day < 1:
        print("error: --remote needs HOST or HOST:PORT, --events-per-day a count", file=sys.stderr)
        return EXIT_CONFIG
    settings = BridgeSettings(
        name=args.name or host_prefix(),
        remote_host=host,
        remote_port=int(port),
        base_topic=config.mqtt.base_topic,
        discovery_prefix=config.home_assistant.discovery_prefix,
        events_per_day=args.events_per_day,
        remote_username=args.remote_user,
        tls_ca_file=args.remote_ca,
    )
    print(bridge_config(settings), end="")
    return EXIT_OK


def _cmd_replay(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    _setup_logging(config.logging.level)
    from agent.adapters.mqtt.sinks import ConsoleSink, JsonLinesSink
    from agent.cli.replay import replay_config
    from agent.service.app import run_agent

    config = replay_config(config, args.source, args.camera, args.fps)
    sink = JsonLinesSink() if args.json else ConsoleSink()
    # Without a configured broker a replay only prints: no embedded broker for a batch job.
    publish = config.mqtt.host is not None
    workers = run_agent(config, _stop_on_signals(), extra_sinks=[sink], publish=publish)
    return EXIT_FAILED if any(w.error for w in workers) else EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    warnings: list[str] = []
    config = load_config(args.config, warnings)
    from agent.cli.check import run_checks

    for warning in warnings:
        print(f"[warn] {warning}")
    return EXIT_OK if run_checks(config, sys.stdout) else EXIT_FAILED


def _cmd_ask(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    _setup_logging("WARNING")
    from agent.cli.ask import run_ask

    return run_ask(config, args.question, sys.stdout, as_json=args.json)


def _cmd_health(args: argparse.Namespace) -> int:
    # Runs every 30 s in a container: the file path alone loads no configuration.
    from agent.service.health import FILE_NAME, check_health

    if args.file is not None:
        path: Path = args.file
    else:
        path = Path(load_config(args.config).storage.path).expanduser() / FILE_NAME
    healthy, why = check_health(path, args.max_age)
    print(why)
    return EXIT_OK if healthy else EXIT_FAILED


def _cmd_demo(args: argparse.Namespace) -> int:
    _setup_logging("INFO")
    from agent.cli.demo import demo_config, run_demo

    config = demo_config(args.language, realtime=not args.fast)
    return run_demo(config, _stop_on_signals())


def _cmd_setup(args: argparse.Namespace) -> int:
    _setup_logging("INFO")
    from agent.cli.compile_core import compile_core
    from pipelines.demo_scene import ensure_demo_scene
    from pipelines.models.builtin import ensure_builtin_model

    if args.core_only:
        said = compile_core()
        print(f"core:           {said}")
        return EXIT_OK if said.startswith("compiled") else EXIT_FAILED
    model = ensure_builtin_model()
    print(f"detector model: {model}")
    print(f"  optimised:    {_optimize_here(model)}")
    print(f"demo scene:     {ensure_demo_scene()}")
    print(f"core:           {compile_core()}")
    return EXIT_OK


def _optimize_here(model: Path) -> str:
    """Make the detector's copy optimised for this machine now, so no start has to."""
    try:
        import onnxruntime
    except ImportError:
        return "not made (no ONNX Runtime here; the agent makes it on its first start)"
    from pipelines.models.optimized import ensure_optimized

    optimized = ensure_optimized(model, onnxruntime.__version__)
    return str(optimized) if optimized else "not made (see the log; the agent optimises in process)"


def _cmd_schema(args: argparse.Namespace) -> int:
    from agent.cli.schemas import write_schemas

    for path in write_schemas(args.out):
        print(path)
    return EXIT_OK


def _cmd_models_list(args: argparse.Namespace) -> int:
    from eva_errors import DetectorError
    from pipelines.models.hailo_manifest import load_manifest, resolve_hef

    manifest = load_manifest()
    for entry in manifest.models:
        try:
            where = str(resolve_hef(entry.name, entry.arch, manifest=manifest))
        except DetectorError:
            where = "not fetched"
        size = "x".join(str(v) for v in entry.input_shape[:2])
        print(f"{entry.name:10} {entry.arch:8} {size:8} {entry.file:22} {where}")
    return EXIT_OK


def _cmd_models_fetch(args: argparse.Namespace) -> int:
    from eva_errors import DetectorError
    from pipelines.detectors.hailo.chip import detect_architecture
    from pipelines.models.hailo_manifest import ARCHS, Arch, fetch_models, load_manifest

    _setup_logging("INFO")
    archs: tuple[Arch, ...]
    if args.arch == "all":
        archs = ARCHS
    elif args.arch == "auto":
        try:
            found = detect_architecture()
        except DetectorError as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_FAILED
        if found is None:
            print(
                "error: no Hailo device found to choose the files for: pass --arch hailo8, "
                "--arch hailo8l or --arch all",
                file=sys.stderr,
            )
            return EXIT_FAILED
        archs = (found,)
    else:
        archs = (args.arch,)
    manifest = load_manifest()
    try:
        results = fetch_models(args.names or manifest.names(), archs, args.dest, manifest=manifest)
    except DetectorError as e:  # includes ModelFetchError and unknown model names
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAILED
    for r in results:
        state = "downloaded" if r.downloaded else "present"
        print(f"{r.entry.name} ({r.entry.arch}): {state} {r.path} sha256 {r.sha256}")
    return EXIT_OK


def _seed_list(text: str) -> tuple[int, ...]:
    """argparse type for --seeds: comma-separated whole numbers."""
    try:
        seeds = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        message = f"{text[:40]!r}: use whole numbers such as 1,2,3"
        raise argparse.ArgumentTypeError(message) from None
    if not seeds:
        raise argparse.ArgumentTypeError("give at least one seed, such as 1,2,3")
    return seeds


_LEVELS = ("clean", "realistic", "harsh", "calibrated")


def _level_list(text: str) -> tuple[str, ...]:
    """argparse type for --levels: comma-separated noise levels of `eva bench --events`."""
    levels = tuple(x.strip() for x in text.split(",") if x.strip())
    wrong = [x for x in levels if x not in _LEVELS]
    if wrong or not levels:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r}: use some of {', '.join(_LEVELS)}, comma-separated"
        )
    return levels


def _cmd_bench(args: argparse.Namespace) -> int:
    _setup_logging("WARNING")
    if args.soak is not None:
        from agent.bench.mosquitto import MosquittoError
        from agent.bench.soak import SoakError, run_soak

        try:
            return EXIT_OK if run_soak(args.soak, sys.stdout).passed else EXIT_FAILED
        except (MosquittoError, SoakError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_FAILED
    if args.fleet:
        from agent.bench.fleet import bench_fleet
        from agent.bench.mosquitto import MosquittoError

        try:
            passed = bench_fleet(
                sys.stdout,
                sizes=args.fleet_agents,
                seconds=args.fleet_seconds,
                rate_per_minute=args.fleet_rate,
                flood_total=args.fleet_flood,
                ask_rows=args.fleet_ask_events,
            )
        except (MosquittoError, TimeoutError) as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK if passed else EXIT_FAILED
    if args.footprint:
        from agent.bench.footprint import run_footprint

        run_footprint(sys.stdout, with_llm="llm" not in args.skip)
        return EXIT_OK
    config = load_config(args.config) if args.config else None
    if args.ask and args.heldout:
        from agent.bench.ask.heldout import HALVES, Half, bench_heldout

        halves: tuple[Half, ...] = tuple(h for h in HALVES if h in args.heldout)
        ok = bench_heldout(sys.stdout, halves, verbose=True)
        if config is not None and "llm" not in args.skip:
            from agent.bench.ask.heldout import bench_heldout_model

            ok &= bench_heldout_model(sys.stdout, config.llm, halves, verbose=True)
        return EXIT_OK if ok else EXIT_FAILED
    if args.ask:
        from agent.bench.ask.accuracy import bench_ask

        llm = config.llm if config else None
        return (
            EXIT_OK if bench_ask(sys.stdout, None if "llm" in args.skip else llm) else EXIT_FAILED
        )
    if args.calibrate_noise:
        from agent.bench.events.calibrate import run_calibration

        run_calibration(sys.stdout)
        return EXIT_OK
    if args.events:
        from agent.bench.events.report import run_event_bench
        from agent.bench.events.worlds import HELDOUT_SEEDS

        seeds: tuple[int, ...] = args.seeds or (HELDOUT_SEEDS if args.heldout else (1, 2, 3))
        camera = config.cameras[0] if config and config.cameras else None
        run_event_bench(
            sys.stdout,
            seeds=seeds,
            camera=camera,
            levels=args.levels,
            heldout=args.heldout is not None,
        )
        return EXIT_OK
    from agent.bench.components import run_bench

    ok = run_bench(
        sys.stdout,
        frames=args.frames,
        runs=args.runs,
        events=args.mqtt_events,
        skip=set(args.skip),
        llm=config.llm if config else None,
        llm_events=args.llm_events,
        backend=args.backend,
        camera=config.cameras[0] if config and config.cameras else None,
    )
    return EXIT_OK if ok else EXIT_FAILED


if __name__ == "__main__":
    entry()
