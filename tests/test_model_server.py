"""The model-server backend (`BRIEFBOT_MODEL=openai:URL`) against a real HTTP server on
127.0.0.1 that answers as each test scripts (`StandInModelServer`): what it sends, how it
continues an opening, its concurrency, its follow-ups and interrupts, and every way a server
fails (down, slower than the timeout, 5xx, garbage, no choices, a refusal): each gives a
clear error or, through the service, a labelled fallback or one polite line; never a hang."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from standins import StandInModelServer, free_port
from support import CHAT, demo, rows, settings_for, text_of
from tiny_model import build_tiny_model

from bot.runtime import open_service
from bot.service.analysis import LocalAnalyzer
from summarizer.model.base import ChatMessage, GenerationFailed, GenerationInterrupted
from summarizer.model.chat_template import render
from summarizer.model.loader import load_generator
from summarizer.model.openai_backend import OpenAIGenerator, ServerOptions
from summarizer.model.packaged import ModelSetupError

QUESTION: list[ChatMessage] = [
    {"role": "system", "content": "You report what people said ."},
    {"role": "user", "content": "The minister said the talks would continue next week ."},
]
OPENED: list[ChatMessage] = [*QUESTION, {"role": "assistant", "content": "The minister"}]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def client(url: str, tmp_path: Path, **options: Any) -> OpenAIGenerator:
    """The generator `load_generator` makes for an openai: spec, as its callers get it."""
    options = {"retries": 0, "backoff_s": 0.0, **options}
    gen = load_generator(f"openai:{url}", cache_dir=tmp_path, server=ServerOptions(**options))
    assert isinstance(gen, OpenAIGenerator)
    return gen


def test_an_opening_is_continued_through_the_completion_endpoint(tiny_dir, tmp_path):
    with StandInModelServer(answer=lambda body: " said the talks go on .") as server:
        gen = client(server.url, tmp_path, template=str(tiny_dir), name="qwen")
        answers = gen.generate([OPENED, QUESTION], max_new_tokens=[20, 30])
    assert answers == ["The minister said the talks go on .", "said the talks go on ."]
    # the two rows are in flight together: told apart by their limits, not arrival order
    opened, plain = sorted(server.answers(), key=lambda body: body["max_tokens"])
    assert [path for path, _, _ in server.requests] == ["/v1/completions"] * 2
    # the prompt the in-process model reads, the opening left open for the server to continue
    assert opened["prompt"] == render(gen.tokenizer, OPENED)
    assert opened["prompt"].endswith("<|im_start|>assistant\nThe minister")
    assert plain["prompt"].endswith("<|im_start|>assistant\n")
    assert opened["model"] == "qwen" and opened["temperature"] == 0
    assert (opened["max_tokens"], plain["max_tokens"]) == (20, 30)
    assert opened["stop"] == ["<|im_end|>"]


def test_without_a_template_the_chat_endpoint_is_asked_to_continue(tmp_path):
    with StandInModelServer(answer=lambda body: " said the talks go on .") as server:
        gen = client(server.url, tmp_path)
        [opened, plain] = gen.generate([OPENED, QUESTION], max_new_tokens=20)
    assert opened == "The minister said the talks go on ."
    assert server.requests[0][0] == "/v1/models"  # no name set: the server's first model
    by_length = sorted(server.answers(), key=lambda body: len(body["messages"]))
    assert by_length[1]["messages"] == OPENED and by_length[1]["model"] == "stand-in"
    assert by_length[1]["continue_final_message"] is True
    assert by_length[1]["add_generation_prompt"] is False
    assert "continue_final_message" not in by_length[0] and plain == "said the talks go on ."


def test_rows_are_requests_in_flight_together_up_to_the_bound(tmp_path):
    def echo(body: dict[str, Any]) -> str:
        return body["messages"][-1]["content"].upper()

    with StandInModelServer(answer=echo, together=3) as server:
        gen = client(server.url, tmp_path, name="m", concurrency=3)
        rows_ = [[ChatMessage(role="user", content=f"row {i}")] for i in range(7)]
        answers = gen.generate(rows_, max_new_tokens=8)
    assert answers == [f"ROW {i}" for i in range(7)]  # each answer in its own row
    assert server.most_in_flight == 3


def test_a_follow_up_is_sent_as_soon_as_its_answer_is_in(tmp_path):
    seen: list[str] = []
    retry: list[ChatMessage] = [*QUESTION, {"role": "user", "content": "Shorter, please ."}]

    def follow(answer: str) -> list[ChatMessage] | None:
        seen.append(answer)
        return retry if len(seen) == 1 else None

    def answer(body: dict[str, Any]) -> str:
        return "second" if body["messages"] == retry else "first"

    with StandInModelServer(answer=answer) as server:
        gen = client(server.url, tmp_path, name="m")
        result = gen.generate([QUESTION, QUESTION], max_new_tokens=8, follow_up=[follow, None])
    assert result == ["second", "first"] and seen == ["first", "second"]
    assert len(server.answers()) == 3


def test_a_verdict_is_one_token_and_its_alternatives_on_the_completion_endpoint(tiny_dir, tmp_path):
    with StandInModelServer() as server:
        gen = client(server.url, tmp_path, template=str(tiny_dir), name="m")
        (verdict,) = gen.judge([QUESTION])
    (body,) = server.answers()
    assert body["prompt"] == render(gen.tokenizer, QUESTION)
    assert body["max_tokens"] == 1 and body["logprobs"] == 20
    # " No" counts for "No": servers differ in where a word's space goes; "Maybe" for neither
    assert verdict == pytest.approx({"Yes": math.exp(-0.1), "No": math.exp(-2.4)})


def test_a_verdict_on_the_chat_endpoint_reads_its_list_of_alternatives(tmp_path):
    with StandInModelServer(verdict={"No": -0.05, "Yes": -3.0}) as server:
        gen = client(server.url, tmp_path, name="m")
        verdicts = gen.judge([QUESTION, QUESTION], options=("Yes", "No", "Unsure"))
    assert [body["top_logprobs"] for body in server.answers()] == [20, 20]
    expected = {"Yes": math.exp(-3.0), "No": math.exp(-0.05), "Unsure": 0.0}
    assert verdicts == [pytest.approx(expected)] * 2


def test_a_follow_up_may_ask_for_a_verdict_while_the_generation_runs(tmp_path):
    """The checks put each answer to the model as a yes/no question from the row's
    follow-up, inside `generate`: that must neither deadlock nor need the running loop."""
    verdicts: list[dict[str, float]] = []

    def follow(answer: str) -> None:
        verdicts.extend(gen.judge([[*QUESTION, {"role": "assistant", "content": answer}]]))

    with StandInModelServer(answer=lambda body: "first") as server:
        gen = client(server.url, tmp_path, name="m", timeout_s=5.0)
        assert gen.generate([QUESTION], max_new_tokens=8, follow_up=[follow]) == ["first"]
    assert len(verdicts) == 1 and verdicts[0]["Yes"] > verdicts[0]["No"]


def test_avoided_phrases_of_one_token_go_as_logit_bias(tiny_dir, tmp_path):
    with StandInModelServer() as server:
        gen = client(server.url, tmp_path, template=str(tiny_dir), name="m")
        gen.generate([QUESTION, QUESTION], max_new_tokens=8, avoid=[["said", "minister"], []])
    encode = lambda text: gen.tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    assert len(encode(" said")) == 1 and len(encode(" minister")) > 1  # the latter: checks only
    biased = sorted((body.get("logit_bias") or {} for body in server.answers()), key=len)
    assert biased[0] == {}  # another row's phrases are its own
    assert {gen.tokenizer.decode([int(k)]) for k in biased[1]} <= {" said", " Said"}
    assert biased[1][str(encode(" said")[0])] == -100


def test_the_api_key_is_sent_and_never_shown_or_logged(tmp_path, caplog):
    secret = "sk-test-0123456789"
    settings = settings_for(
        tmp_path, model="openai:http://127.0.0.1:1/v1", model_api_key=secret, model_retries=1
    )
    assert secret not in repr(settings) and secret not in repr(settings.model_server())
    caplog.set_level(logging.DEBUG)
    with StandInModelServer("500", "answer") as server:
        gen = load_generator(
            f"openai:{server.url}",
            cache_dir=tmp_path,
            server=settings.model_server().model_copy(update={"backoff_s": 0.0, "name": "m"}),
        )
        assert gen.generate([QUESTION], max_new_tokens=8)
    assert [headers["Authorization"] for _, headers, _ in server.requests] == [
        f"Bearer {secret}"
    ] * 2
    assert "HTTP 500" in caplog.text  # the retry was logged ...
    assert secret not in caplog.text and secret not in gen.name  # ... without the key


def test_credentials_in_the_url_are_refused(tmp_path):
    with pytest.raises(ModelSetupError, match="BRIEFBOT_MODEL_API_KEY") as err:
        load_generator("openai:http://me:hunter2@127.0.0.1:1/v1", cache_dir=tmp_path)
    assert "hunter2" not in str(err.value)
    with pytest.raises(ModelSetupError, match="openai:http://host:port/v1"):
        load_generator("openai:127.0.0.1:8000", cache_dir=tmp_path)


def test_interrupt_cancels_the_requests_in_flight(tmp_path):
    with StandInModelServer("slow", slow_s=60) as server:
        gen = client(server.url, tmp_path, name="m")
        failure: list[BaseException] = []

        def run() -> None:
            try:
                gen.generate([QUESTION, QUESTION], max_new_tokens=8)
            except GenerationInterrupted as exc:
                failure.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 10
        while server.in_flight < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        gen.interrupt()
        worker.join(timeout=10)
        assert not worker.is_alive() and failure, "generation ran on after interrupt()"
        server.script = ["answer"]
        assert gen.generate([QUESTION], max_new_tokens=8)  # the next call runs normally


# ---------------------------------------------------------------------------------------
# a server that fails: a clear GenerationFailed, never a hang


def test_a_server_that_is_down_fails_after_its_retries(tmp_path):
    gen = client(f"http://127.0.0.1:{free_port()}/v1", tmp_path, name="m", retries=2)
    with pytest.raises(GenerationFailed, match=r"failed \(3 tries\): cannot connect"):
        gen.generate([QUESTION], max_new_tokens=8)


def test_a_server_slower_than_the_timeout_fails(tmp_path):
    with StandInModelServer("slow", slow_s=60) as server:
        gen = client(server.url, tmp_path, name="m", timeout_s=0.3, retries=1)
        with pytest.raises(GenerationFailed, match=r"no answer within 0\.3 s"):
            gen.generate([QUESTION], max_new_tokens=8)
    assert len(server.answers()) == 2


def test_a_500_is_retried_and_the_next_answer_kept(tmp_path):
    with StandInModelServer("500", "answer", answer=lambda body: "kept") as server:
        gen = client(server.url, tmp_path, name="m", retries=1)
        assert gen.generate([QUESTION], max_new_tokens=8) == ["kept"]
    assert len(server.answers()) == 2


@pytest.mark.parametrize("step", ["garbage", "empty", "500"])
def test_a_server_that_keeps_failing_gives_a_clear_error(tmp_path, step):
    with StandInModelServer(step) as server:
        gen = client(server.url, tmp_path, name="m", retries=1)
        with pytest.raises(
            GenerationFailed, match=r"failed \(2 tries\): (a malformed answer|HTTP 500)"
        ):
            gen.generate([QUESTION], max_new_tokens=8)
    assert len(server.answers()) == 2


def test_a_refused_request_is_not_retried(tmp_path):
    with StandInModelServer("400") as server:
        gen = client(server.url, tmp_path, name="m", retries=3)
        with pytest.raises(GenerationFailed, match="refused the request: HTTP 400"):
            gen.generate([QUESTION], max_new_tokens=8)
    assert len(server.answers()) == 1


# ---------------------------------------------------------------------------------------
# what the user sees, through the service core


async def test_the_start_asks_a_server_nothing_and_loads_no_weights(tmp_path):
    """The model's load begins at start, off the event loop; for a server it is the client
    alone (and the local sentence embedding the checks read), not a request."""
    with StandInModelServer() as server:
        settings = settings_for(tmp_path, model=f"openai:{server.url}")
        async with open_service(settings) as svc:
            assert isinstance(svc.analyzer, LocalAnalyzer)
            await asyncio.wait_for(asyncio.wrap_future(svc.analyzer._load()), timeout=60)
            loaded = svc.analyzer._generator
    assert isinstance(loaded, OpenAIGenerator)
    assert server.requests == []


async def test_a_server_that_is_down_keeps_positions_and_says_so(tmp_path):
    settings = settings_for(
        tmp_path, model=f"openai:http://127.0.0.1:{free_port()}/v1", model_retries=1
    )
    async with open_service(settings) as svc:
        text = await text_of(await svc.handle(CHAT, demo("02_ceasefire")))
    assert "Sorry: the summary could not be written; positions are kept." in text
    assert "Taras Lisovskiy" in text and "Traceback" not in text
    assert rows(settings.database, "SELECT state FROM articles") == [("failed",)]


async def test_a_server_that_answers_nonsense_gets_labelled_fallbacks(tmp_path):
    with StandInModelServer(answer=lambda body: "zzz zzz zzz") as server:
        settings = settings_for(tmp_path, model=f"openai:{server.url}", model_name="m")
        async with open_service(settings) as svc:
            text = await text_of(await svc.handle(CHAT, demo("02_ceasefire")))
    assert "Extract from the article (the model's summary did not pass our checks)" in text
    assert "zzz" not in text and "Sorry" not in text
    assert len(server.answers()) >= 2  # each failed draft was retried once


def test_analyze_with_a_server_that_is_down_is_one_line_and_positions(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(demo("02_ceasefire"), encoding="utf-8")
    host = f"127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env |= {
        "BRIEFBOT_MODEL": f"openai:http://{host}/v1",
        "BRIEFBOT_MODEL_RETRIES": "0",
        "BRIEFBOT_MODEL_CACHE": str(tmp_path / "models"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "analyze", "--json", str(article)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # no stray .env from the repo is read
        timeout=180,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"briefbot: {article}: no summary: the model server at {host} failed (1 try): "
        "cannot connect (ConnectError)"
    ]
    record = json.loads(done.stdout)
    assert record["summary"] is None and record["positions"]
