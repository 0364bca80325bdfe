"""A fake Ollama server (standard library only) that answers like the real one.

    with FakeOllama(models=["qwen2.5:0.5b"]) as fake:
        fake.answer('{"summary": "A person at the gate."}', eval_count=9)
        OllamaModel(OllamaLlmConfig(type="ollama", host=fake.url)).chat(...)
        fake.chat_requests[-1]["options"]["num_predict"]

Formats follow Ollama's API docs (ollama/ollama, docs/api.md) and its server (ollama/ollama,
server/routes.go), as ollama-python 0.4.3+ (ollama/ollama-python, ollama/_client.py) reads them:
- POST /api/chat answers one JSON object when the request says `"stream": false`, else NDJSON
  chunks (a final one with `done: true` and the timings, in nanoseconds).
- A model that is not pulled gives 404 {"error": "model \"x\" not found, try pulling it first"}.
- A full queue gives 503 {"error": "server busy, please try again.  maximum pending requests
  exceeded"}.
- An error during generation: streaming requests get HTTP 200 and an {"error": ...} NDJSON line
  (the headers are already sent); non-streaming requests get HTTP 500 {"error": ...}, because
  Ollama collects the whole answer before it writes any header. `error_line_under_200()` sends
  the NDJSON line even to a non-streaming request, as a broken proxy or server might.
- GET /api/tags lists the models; GET /api/version answers the version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

BUSY_ERROR = "server busy, please try again.  maximum pending requests exceeded"


def unused_url() -> str:
    """The URL of a local port nobody listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _tagged(name: str) -> str:
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class FakeOllama:
    """Serves on 127.0.0.1 at a free port while in its `with` block; records what it was sent."""

    def __init__(self, models: Iterable[str] = ("qwen2.5:0.5b",)) -> None:
        self.models: list[str] = list(models)
        self.mode = "answer"
        self.content = '{"summary": "A person is at the gate."}'
        self.done_reason = "stop"
        self.prompt_eval_count = 57
        self.eval_count = 12
        self.eval_duration_ns = 240_000_000  # 12 tokens in 0.24 s = 50 tokens/s
        self.delay = 0.0
        # When set, writes each answer from the request (a model that reads its prompt).
        self.responder: Callable[[dict[str, Any]], str] | None = None
        self.error_text = "an error was encountered while running the model"
        self.chat_requests: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-ollama",
            daemon=True,
        )

    # --- behaviours ----------------------------------------------------------------------

    def answer(
        self,
        content: str,
        *,
        done_reason: str = "stop",
        prompt_eval_count: int = 57,
        eval_count: int = 12,
        eval_duration_ns: int = 240_000_000,
        delay: float = 0.0,
    ) -> None:
        """Answer chats with this content (after `delay` seconds)."""
        self.mode = "answer"
        self.content = content
        self.done_reason = done_reason
        self.prompt_eval_count = prompt_eval_count
        self.eval_count = eval_count
        self.eval_duration_ns = eval_duration_ns
        self.delay = delay

    def answer_garbage(self) -> None:
        """Answer with text that is not JSON, as a small model sometimes does."""
        self.answer("Sure! Here is a summary: a person walked to the gate.")

    def answer_after(self, seconds: float) -> None:
        """Keep answering, but only after `seconds`."""
        self.delay = seconds

    def busy(self) -> None:
        """Refuse chats with 503, as Ollama does when OLLAMA_MAX_QUEUE is full."""
        self.mode = "busy"

    def fail_during_generation(self, error_text: str | None = None) -> None:
        """The runner fails while generating (e.g. it crashed or ran out of memory)."""
        self.mode = "generation_error"
        if error_text is not None:
            self.error_text = error_text

    def hang_up(self) -> None:
        """Close the connection without an answer, as when Ollama is killed mid-request."""
        self.mode = "hang_up"

    def error_line_under_200(self, error_text: str | None = None) -> None:
        """Send HTTP 200 and an {"error"} NDJSON line even to a non-streaming request."""
        self.mode = "error_line_under_200"
        if error_text is not None:
            self.error_text = error_text

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def host_port(self) -> str:
        """'127.0.0.1:PORT', the scheme-less form OLLAMA_HOST often takes."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> FakeOllama:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()  # wakes handlers that are sleeping through a delay
        self._server.shutdown()
        self._server.server_close()
        with self._lock:  # drop kept-alive connections too, as a stopped Ollama would
            connections, self._connections = set(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    # --- the HTTP side -------------------------------------------------------------------

    def _has(self, model: str) -> bool:
        return _tagged(model) in {_tagged(m) for m in self.models}

    def _chat_reply(self, request: dict[str, Any]) -> dict[str, Any]:
        load_ns = 1_500_000
        prompt_ns = 80_000_000
        return {
            "model": request.get("model", ""),
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "message": {
                "role": "assistant",
                "content": self.responder(request) if self.responder else self.content,
            },
            "done": True,
            "done_reason": self.done_reason,
            "total_duration": load_ns + prompt_ns + self.eval_duration_ns,
            "load_duration": load_ns,
            "prompt_eval_count": self.prompt_eval_count,
            "prompt_eval_duration": prompt_ns,
            "eval_count": self.eval_count,
            "eval_duration": self.eval_duration_ns,
        }

    def _tags(self) -> dict[str, Any]:
        return {
            "models": [
                {
                    "name": _tagged(name),
                    "model": _tagged(name),
                    "modified_at": "2025-05-01T10:17:44.170735395+02:00",
                    "size": 397_821_319,
                    "digest": hashlib.sha256(name.encode()).hexdigest(),
                    "details": {
                        "parent_model": "",
                        "format": "gguf",
                        "family": "qwen2",
                        "families": ["qwen2"],
                        "parameter_size": "494.03M",
                        "quantization_level": "Q4_K_M",
                    },
                }
                for name in self.models
            ]
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Ollama's Go server does

            def setup(self) -> None:
                super().setup()
                with fake._lock:
                    fake._connections.add(self.connection)

            def finish(self) -> None:
                with fake._lock:
                    fake._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(
                self, status: int, body: bytes, content_type: str = "application/json"
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

            def _json(self, status: int, value: Any) -> None:
                self._send(status, json.dumps(value).encode())

            def do_GET(self) -> None:
                with fake._lock:
                    fake.requests.append(("GET", self.path))
                if self.path == "/api/tags":
                    self._json(200, fake._tags())
                elif self.path == "/api/version":
                    self._json(200, {"version": "0.12.6"})
                else:
                    self._send(404, b"404 page not found", "text/plain")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with fake._lock:
                    fake.requests.append(("POST", self.path))
                if self.path != "/api/chat":
                    self._send(404, b"404 page not found", "text/plain")
                    return
                try:
                    request = json.loads(raw)
                except json.JSONDecodeError:
                    self._json(400, {"error": "invalid character in request body"})
                    return
                with fake._lock:
                    fake.chat_requests.append(request)
                self._chat(request)

            def _chat(self, request: dict[str, Any]) -> None:
                model = str(request.get("model", ""))
                streaming = request.get("stream", True) is not False
                if fake.mode == "hang_up":
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fake.mode == "busy":
                    self._json(503, {"error": BUSY_ERROR})
                    return
                if not fake._has(model):
                    self._json(404, {"error": f'model "{model}" not found, try pulling it first'})
                    return
                if fake.delay > 0 and fake._stop.wait(fake.delay):
                    return  # shutting down
                if fake.mode == "error_line_under_200" or (
                    fake.mode == "generation_error" and streaming
                ):
                    line = json.dumps({"error": fake.error_text}) + "\n"
                    self._send(200, line.encode(), "application/x-ndjson")
                    return
                if fake.mode == "generation_error":
                    self._json(500, {"error": fake.error_text})
                    return
                reply = fake._chat_reply(request)
                if not streaming:
                    self._json(200, reply)
                    return
                first = {
                    "model": reply["model"],
                    "created_at": reply["created_at"],
                    "message": reply["message"],
                    "done": False,
                }
                last = dict(reply, message={"role": "assistant", "content": ""})
                body = "".join(json.dumps(part) + "\n" for part in (first, last))
                self._send(200, body.encode(), "application/x-ndjson")

        return Handler
