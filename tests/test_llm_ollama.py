"""OllamaModel against a fake Ollama server that answers in Ollama's own formats."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import ollama
import pytest
from support.ollama_fake import FakeOllama, unused_url

from agent.config.schema import OllamaLlmConfig
from agent.llm.base import Message, ModelError, ModelReply, ModelTimeout, ModelUnavailable
from agent.llm.ollama_backend import DEFAULT_HOST, OllamaModel

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"summary": {"type": "string", "maxLength": 160}},
    "required": ["summary"],
}
MESSAGES = [
    Message("system", "Describe the event in one sentence. Answer JSON."),
    Message("user", '{"label": "person", "zone": "gate"}'),
]

ModelFactory = Callable[..., OllamaModel]


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama(models=["qwen2.5:0.5b"]) as server:
        yield server


@pytest.fixture
def make_model() -> Iterator[ModelFactory]:
    """Build OllamaModels from config fields; closes them at teardown."""
    made: list[OllamaModel] = []

    def make(env: dict[str, str] | None = None, **fields: Any) -> OllamaModel:
        model = OllamaModel(
            OllamaLlmConfig(type="ollama", **fields), env={} if env is None else env
        )
        made.append(model)
        return model

    yield make
    for model in made:
        model.close()


def ask(model: OllamaModel, timeout: float = 5.0, max_tokens: int = 48) -> ModelReply:
    return model.chat(MESSAGES, SCHEMA, max_tokens=max_tokens, timeout=timeout)


# --- answers ---------------------------------------------------------------------------------


def test_chat_returns_the_text_and_token_counts(fake: FakeOllama, make_model: ModelFactory) -> None:
    fake.answer('{"summary": "A person is at the gate."}', prompt_eval_count=61, eval_count=11)
    fake.answer_after(0.05)
    reply = ask(make_model(host=fake.url))
    assert reply.text == '{"summary": "A person is at the gate."}'
    assert reply.prompt_tokens == 61
    assert reply.output_tokens == 11
    assert reply.stopped_by_limit is False
    # seconds is the wall time of the call, so it includes the server's delay
    assert 0.05 <= reply.seconds < 5.0
    assert reply.tokens_per_second == pytest.approx(11 / reply.seconds)
    assert 0 < reply.tokens_per_second <= 11 / 0.05


def test_chat_sends_model_messages_schema_options_and_keep_alive(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    model = make_model(host=fake.url, temperature=0.3, seed=7, keep_alive="30m")
    ask(model, max_tokens=40)
    assert len(fake.chat_requests) == 1
    body = fake.chat_requests[0]
    assert body["model"] == "qwen2.5:0.5b"
    assert body["stream"] is False
    assert body["format"] == SCHEMA
    assert body["messages"] == [
        {"role": "system", "content": "Describe the event in one sentence. Answer JSON."},
        {"role": "user", "content": '{"label": "person", "zone": "gate"}'},
    ]
    assert body["options"] == {"num_predict": 40, "temperature": 0.3, "seed": 7}
    assert body["keep_alive"] == "30m"
    assert fake.requests == [("POST", "/api/chat")]


@pytest.mark.parametrize(
    ("keep_alive", "sent"),
    [("-1", -1), ("300", 300), ("0", 0), ("2.5", 2.5), ("10m", "10m"), ("1h30m", "1h30m")],
)
def test_keep_alive_numbers_are_sent_as_numbers(
    fake: FakeOllama, make_model: ModelFactory, keep_alive: str, sent: object
) -> None:
    ask(make_model(host=fake.url, keep_alive=keep_alive))
    value = fake.chat_requests[-1]["keep_alive"]
    assert value == sent
    assert isinstance(value, str) == isinstance(sent, str)


def test_empty_keep_alive_leaves_ollamas_default(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    ask(make_model(host=fake.url, keep_alive=""))
    assert "keep_alive" not in fake.chat_requests[-1]


def test_an_answer_cut_by_num_predict_is_flagged(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    fake.answer('{"summary": "A person is at the', done_reason="length", eval_count=8)
    reply = ask(make_model(host=fake.url), max_tokens=8)
    assert reply.stopped_by_limit is True
    assert reply.output_tokens == 8
    assert reply.text == '{"summary": "A person is at the'


def test_garbage_text_is_returned_as_is_for_the_caller_to_judge(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    fake.answer_garbage()
    reply = ask(make_model(host=fake.url))
    assert reply.text == "Sure! Here is a summary: a person walked to the gate."
    assert reply.output_tokens == 12


def test_model_names_with_and_without_latest_reach_the_same_model(
    make_model: ModelFactory,
) -> None:
    with FakeOllama(models=["llama3.2"]) as server:
        reply = ask(make_model(host=server.url, model="llama3.2:latest"))
        assert reply.text
        assert server.chat_requests[-1]["model"] == "llama3.2:latest"


def test_source_names_the_model(make_model: ModelFactory) -> None:
    assert make_model(model="qwen2.5:1.5b").source == "ollama:qwen2.5:1.5b"


def test_concurrent_calls_share_one_model(fake: FakeOllama, make_model: ModelFactory) -> None:
    fake.answer('{"summary": "ok"}', delay=0.05)
    model = make_model(host=fake.url)
    replies: list[ModelReply] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            replies.append(ask(model))
        except BaseException as e:  # pragma: no cover - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert errors == []
    assert [r.text for r in replies] == ['{"summary": "ok"}'] * 4
    assert len(fake.chat_requests) == 4


# --- failures --------------------------------------------------------------------------------


def test_missing_model_is_unavailable_with_the_pull_fix(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    fake.models = []
    with pytest.raises(ModelUnavailable) as caught:
        ask(make_model(host=fake.url, model="qwen2.5:0.5b"))
    assert "model qwen2.5:0.5b is not in Ollama" in str(caught.value)
    assert "try pulling it first" in str(caught.value)  # the server's own words
    assert caught.value.fix == "run `ollama pull qwen2.5:0.5b`"


def test_full_queue_is_unavailable_with_the_queue_fix(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    fake.busy()
    with pytest.raises(ModelUnavailable) as caught:
        ask(make_model(host=fake.url))
    assert "busy" in str(caught.value)
    assert "maximum pending requests exceeded" in str(caught.value)
    assert "OLLAMA_MAX_QUEUE" in caught.value.fix


def test_error_during_generation_is_a_model_error_with_the_servers_text(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    # Ollama collects a non-streamed answer first, so a runner failure arrives as HTTP 500.
    fake.fail_during_generation("llama runner process has terminated: signal: killed")
    with pytest.raises(ModelError) as caught:
        ask(make_model(host=fake.url))
    assert type(caught.value) is ModelError
    assert "llama runner process has terminated: signal: killed" in str(caught.value)
    assert "HTTP 500" in str(caught.value)
    assert caught.value.fix


def test_error_line_under_http_200_is_a_model_error_not_a_raw_exception(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    # The python client parses a stream=False body as one JSON object: {"error": ...} then
    # fails pydantic validation (no "message"); that must still come out as a ModelError.
    fake.error_line_under_200("out of memory")
    with pytest.raises(ModelError) as caught:
        ask(make_model(host=fake.url))
    assert type(caught.value) is ModelError
    assert "not a chat answer" in str(caught.value)
    assert "out of memory" in str(caught.value)
    assert caught.value.__cause__ is not None


def test_ollama_dying_mid_request_is_unavailable(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    fake.hang_up()
    with pytest.raises(ModelUnavailable) as caught:
        ask(make_model(host=fake.url))
    assert "lost the connection" in str(caught.value)
    assert "ollama serve" in caught.value.fix


def test_slow_answer_times_out_near_the_deadline(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    fake.answer_after(3.0)
    model = make_model(host=fake.url)
    started = time.monotonic()
    with pytest.raises(ModelTimeout) as caught:
        ask(model, timeout=0.3)
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 2.0
    assert "0.3 s" in str(caught.value)
    assert caught.value.fix


def test_a_timeout_does_not_spoil_the_next_call(fake: FakeOllama, make_model: ModelFactory) -> None:
    model = make_model(host=fake.url)
    fake.answer_after(3.0)
    with pytest.raises(ModelTimeout):
        ask(model, timeout=0.3)
    fake.answer_after(0.0)
    assert ask(model).text == fake.content


def test_refused_connection_is_unavailable_with_the_start_fix(make_model: ModelFactory) -> None:
    url = unused_url()
    with pytest.raises(ModelUnavailable) as caught:
        ask(make_model(host=url))
    assert str(caught.value) == f"Ollama is not reachable at {url}"
    assert "ollama serve" in caught.value.fix
    assert "OLLAMA_HOST" in caught.value.fix


def test_server_stopping_between_calls_is_unavailable(make_model: ModelFactory) -> None:
    with FakeOllama() as server:
        model = make_model(host=server.url)
        assert ask(model).text  # leaves a kept-alive connection in the pool
    with pytest.raises(ModelUnavailable) as caught:
        ask(model)
    assert "ollama serve" in caught.value.fix


# --- check() ---------------------------------------------------------------------------------


def test_check_reports_the_model_when_present(fake: FakeOllama, make_model: ModelFactory) -> None:
    model = make_model(host=fake.url)
    assert model.check() == f"Ollama at {fake.url} has qwen2.5:0.5b"
    assert fake.requests == [("GET", "/api/tags")]


@pytest.mark.parametrize(
    ("listed", "configured"),
    [("llama3.2", "llama3.2"), ("llama3.2", "llama3.2:latest"), ("llama3.2:latest", "llama3.2")],
)
def test_check_matches_names_with_and_without_latest(
    make_model: ModelFactory, listed: str, configured: str
) -> None:
    with FakeOllama(models=["qwen2.5:0.5b", listed]) as server:
        assert make_model(host=server.url, model=configured).check().endswith(f"has {configured}")


def test_check_does_not_confuse_other_tags(make_model: ModelFactory) -> None:
    with (
        FakeOllama(models=["qwen2.5:1.5b", "qwen2.5"]) as server,
        pytest.raises(ModelUnavailable) as caught,
    ):
        make_model(host=server.url, model="qwen2.5:0.5b").check()
    assert caught.value.fix == "run `ollama pull qwen2.5:0.5b`"


def test_check_without_the_model_gives_the_pull_fix(
    fake: FakeOllama, make_model: ModelFactory
) -> None:
    fake.models = ["llama3.2:1b"]
    with pytest.raises(ModelUnavailable) as caught:
        make_model(host=fake.url, model="qwen2.5:0.5b").check()
    assert str(caught.value) == f"model qwen2.5:0.5b is not in Ollama at {fake.url}"
    assert caught.value.fix == "run `ollama pull qwen2.5:0.5b`"


def test_check_with_the_server_down_gives_the_start_fix(make_model: ModelFactory) -> None:
    url = unused_url()
    with pytest.raises(ModelUnavailable) as caught:
        make_model(host=url).check()
    assert f"Ollama is not reachable at {url}" in str(caught.value)
    assert "ollama serve" in caught.value.fix


def test_check_of_a_server_that_is_not_ollama(make_model: ModelFactory) -> None:
    # a path prefix makes every Ollama route a plain 404, like another web server would
    with FakeOllama() as server, pytest.raises(ModelUnavailable) as caught:
        make_model(host=server.url + "/not-ollama").check()
    assert "did not list its models" in str(caught.value)
    assert "HTTP 404" in str(caught.value)


# --- where the host comes from ---------------------------------------------------------------


def test_ollama_host_from_the_env_argument(fake: FakeOllama, make_model: ModelFactory) -> None:
    model = make_model(env={"OLLAMA_HOST": fake.host_port})
    assert model.host == fake.host_port
    assert ask(model).text == fake.content
    assert len(fake.chat_requests) == 1


def test_config_host_wins_over_ollama_host(fake: FakeOllama, make_model: ModelFactory) -> None:
    model = make_model(host=fake.url, env={"OLLAMA_HOST": unused_url()})
    assert model.host == fake.url
    assert ask(model).text == fake.content


def test_default_host_when_nothing_is_set(make_model: ModelFactory) -> None:
    assert make_model(env={}).host == DEFAULT_HOST == "http://localhost:11434"
    assert make_model(host="  ", env={"OLLAMA_HOST": ""}).host == DEFAULT_HOST


def test_process_environment_is_read_when_no_env_is_given(
    fake: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    model = OllamaModel(OllamaLlmConfig(type="ollama"))
    try:
        monkeypatch.setenv("OLLAMA_HOST", unused_url())  # read once, when built
        assert model.host == fake.url
        assert ask(model).text == fake.content
    finally:
        model.close()


@pytest.mark.parametrize(
    ("raised", "kind", "words"),
    [
        (ollama.ResponseError("runner crashed"), ModelError, "failed while answering: runner"),
        (ollama.ResponseError('{"error": "bad schema"}', 400), ModelError, "HTTP 400): bad"),
        (httpx.ReadTimeout("timed out"), ModelTimeout, "no answer within 5 s"),
        (httpx.ConnectTimeout("timed out"), ModelUnavailable, "not reachable"),
        (RuntimeError("surprise"), ModelError, "RuntimeError: surprise"),
    ],
)
def test_client_exceptions_never_escape_raw(
    make_model: ModelFactory,
    monkeypatch: pytest.MonkeyPatch,
    raised: Exception,
    kind: type[ModelError],
    words: str,
) -> None:
    # status -1 is how the client reports an {"error"} line inside a stream
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise raised

    monkeypatch.setattr(ollama.Client, "chat", fail)
    with pytest.raises(ModelError) as caught:
        ask(make_model(host=unused_url()))
    assert type(caught.value) is kind
    assert words in str(caught.value)
    assert caught.value.fix
    assert caught.value.__cause__ is raised
