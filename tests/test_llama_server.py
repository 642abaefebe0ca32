"""A real brief through the model-server backend and llama.cpp's OpenAI-compatible server
(`llama-cpp-python[server]`) serving the packaged GGUF on 127.0.0.1.

`make test-server` builds what it needs (the llama-cpp-python wheel once into
~/.cache/briefbot/wheels, its own venv .venv-llama) and runs these with
BRIEFBOT_LLAMA_PYTHON pointing at that venv's python; without it they are skipped. The
packaged model's parts come from this venv, assembled once into the model cache.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from standins import free_port
from support import PATROLS

from bot.settings import DEFAULT_MODEL, Settings
from summarizer import pipeline
from summarizer.model.base import ChatMessage
from summarizer.model.loader import load_generator
from summarizer.model.openai_backend import OpenAIGenerator
from summarizer.model.packaged import assembled_gguf
from summarizer.stance import check_stance, speaker_sentences
from summarizer.summary import FALLBACK_LABEL, check_summary

pytestmark = pytest.mark.server

LLAMA_PYTHON = os.environ.get("BRIEFBOT_LLAMA_PYTHON")
STARTUP_S = 300  # loading the 1.1 GB GGUF on 2 busy cores


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory) -> Iterator[str]:
    if not LLAMA_PYTHON:
        pytest.skip("needs llama.cpp's server: run `make test-server`")
    gguf = assembled_gguf(DEFAULT_MODEL.removeprefix("packaged:"), Settings().model_cache)
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [
                *(LLAMA_PYTHON, "-m", "llama_cpp.server", "--model", str(gguf)),
                *("--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"),
                *("--n_threads", str(os.cpu_count() or 1)),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"llama.cpp's server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    pytest.fail(f"llama.cpp's server did not answer within {STARTUP_S} s")


def test_a_brief_through_llama_cpp_keeps_the_openings_and_passes_the_checks(llama_url):
    settings = Settings(model=f"openai:{llama_url}", model_template=DEFAULT_MODEL)
    gen = load_generator(
        settings.model, cache_dir=settings.model_cache, server=settings.model_server()
    )
    assert isinstance(gen, OpenAIGenerator) and gen.tokenizer is not None

    done = pipeline.write(PATROLS, pipeline.read(PATROLS), gen)

    summary = done.summary
    assert summary is not None
    if summary.fallback:
        assert summary.text.startswith(FALLBACK_LABEL)
    else:
        assert check_summary(summary.text) == []
    written = [p for p in done.positions if p.stance]
    for position in written:
        # the answer continued the opening the prompt gave it: the speaker's name
        assert position.stance is not None and position.stance.startswith(position.speaker)
        source = " ".join(speaker_sentences(PATROLS, position))
        assert check_stance(position.stance, position=position, source=source) == []
    # as in test_real_model: on an article this plain the model writes part of the brief
    assert written or not summary.fallback


def _question(claim: str) -> list[ChatMessage]:
    return [
        {"role": "system", "content": "Answer Yes or No."},
        {"role": "user", "content": f"Text: {PATROLS}\nDoes the text say this: {claim}"},
    ]


def test_a_verdict_from_llama_cpp_reads_its_logprobs(llama_url):
    """`judge` through a real server: the options are among the alternatives it lists, and
    a claim the article states is more likely a Yes than the same claim turned round."""
    gen = load_generator(
        f"openai:{llama_url}",
        cache_dir=Settings().model_cache,
        server=Settings(model_template=DEFAULT_MODEL).model_server(),
    )
    held, turned = gen.judge(
        [
            _question("Anna Virtanen said the patrol boats will carry no weapons."),
            _question("Anna Virtanen said the patrol boats will carry heavy weapons."),
        ]
    )
    for verdict in (held, turned):
        assert 0.5 < verdict["Yes"] + verdict["No"] <= 1.0 + 1e-6, verdict
    assert held["Yes"] > turned["Yes"], (held, turned)
