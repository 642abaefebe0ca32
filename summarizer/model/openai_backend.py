"""The `TextGenerator` for a model behind an OpenAI-compatible server (vLLM, llama.cpp's
server, Ollama, TGI): `BRIEFBOT_MODEL=openai:http://host:port/v1`.

It sends the prompts the in-process model gets; the checks, the corrected retry and the
labelled fallbacks live above the backend (drafting, stance, summary), so they apply the same.

An answer's opening (a conversation that ends with an assistant message, the speaker's name
before a stance line) is continued, not answered afresh:
- with a local chat template (`ServerOptions.template`: the packaged model, a directory or
  a hub id whose tokenizer matches the served model), the prompt is rendered here as the
  in-process model renders it (`chat_template`) and sent to the completion endpoint, which
  all four servers offer; the server continues the text, so the opening is kept by
  construction. This is the way for llama.cpp's server and the packaged model;
- without one, the chat endpoint, asked to continue the final message with vLLM's
  `continue_final_message: true, add_generation_prompt: false`. A server that ignores both
  answers afresh after the opening (llama-cpp-python's server does); give it a template.

Batching becomes concurrency: each row is a request of its own, at most `concurrency` in
flight, and a row's follow-up (its retry) is sent as soon as its answer is in. `complete`
tests and `avoid_first` are not used: the server writes an answer to its limit, and the
caller shapes and checks it.
`avoid` phrases that are one token go as `logit_bias` -100 where a template's tokenizer
gives their ids; every phrase stays one of the caller's checks.

Connection errors, timeouts, 429, 5xx and malformed answers are retried with exponential
backoff; after the last try (or at once, for another 4xx) `GenerationFailed` says what went
wrong, and the callers keep the positions and tell the user in one line. The API key is
sent as a bearer token and appears in no name, message or log line.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from summarizer.model.base import (
    ChatMessage,
    Completion,
    FollowUp,
    GenerationFailed,
    GenerationInterrupted,
)
from summarizer.model.batch import avoided_forms
from summarizer.model.chat_template import fit, render

log = logging.getLogger(__name__)
Shape = TypeVar("Shape", bound=BaseModel)


class ServerOptions(BaseModel):
    """How to reach and use the model server; bot/settings.py fills it from BRIEFBOT_MODEL_*."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None  # the served model's name; None: the first the server lists
    api_key: SecretStr | None = None
    template: str | None = None  # a local model whose chat template renders the prompts
    concurrency: int = Field(default=4, ge=1)
    timeout_s: float = Field(default=120.0, gt=0)
    retries: int = Field(default=2, ge=0)
    backoff_s: float = Field(default=0.5, ge=0)


class _Message(BaseModel):
    content: str | None = None


class _Choice(BaseModel):
    text: str | None = None  # the completion endpoint's answer
    message: _Message | None = None  # the chat endpoint's


class _Choice1(BaseModel):
    """The completion endpoint's `logprobs` (its legacy shape): per token, its alternatives."""

    top_logprobs: list[dict[str, float]] = Field(min_length=1)


class _Alternative(BaseModel):
    token: str
    logprob: float


class _Place(BaseModel):
    top_logprobs: list[_Alternative]


class _ChatLogprobs(BaseModel):
    """The chat endpoint's `logprobs`: per token, its alternatives as a list."""

    content: list[_Place] = Field(min_length=1)


class _Judged(BaseModel):
    """An answer of one token with its most likely alternatives, from either endpoint."""

    class _Choice(BaseModel):
        logprobs: _Choice1 | _ChatLogprobs

    choices: list[_Choice] = Field(min_length=1)

    def alternatives(self) -> dict[str, float]:
        """The first token's alternatives, as the token's text and its log-probability."""
        found = self.choices[0].logprobs
        if isinstance(found, _Choice1):
            return found.top_logprobs[0]
        return {a.token: a.logprob for a in found.content[0].top_logprobs}


class _Answer(BaseModel):
    choices: list[_Choice] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_text(self) -> _Answer:
        if self.said() is None:
            raise ValueError("an answer without text")
        return self

    def said(self) -> str | None:
        choice = self.choices[0]
        return choice.text if choice.text is not None else (choice.message or _Message()).content


class _Card(BaseModel):
    id: str


class _Models(BaseModel):
    data: list[_Card] = Field(min_length=1)


class OpenAIGenerator:
    """One server; one generation at a time per instance, as the in-process model."""

    def __init__(self, base_url: str, options: ServerOptions, tokenizer: Any = None) -> None:
        """`tokenizer`: a transformers tokenizer with the served model's chat template, or
        None to let the server's chat endpoint continue an opening."""
        self.base_url = base_url.rstrip("/")
        self.options = options
        self.tokenizer = tokenizer
        self.host = httpx.URL(self.base_url).netloc.decode()
        self.name = f"{options.name or 'served model'} at {self.host}"
        self._served: str | None = options.name
        self._lock = threading.Lock()  # one generation at a time
        self._judging = threading.Lock()  # one verdict batch at a time, also inside a generation
        self._state = threading.Lock()  # guards the running loop and task for interrupt()
        self._interrupted = threading.Event()
        self._running: tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]] | None = None

    def interrupt(self) -> None:
        """Cancels every request in flight; `generate` raises `GenerationInterrupted`."""
        self._interrupted.set()
        with self._state:
            if self._running is not None:
                loop, task = self._running
                loop.call_soon_threadsafe(task.cancel)

    def generate(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        max_new_tokens: int | Sequence[int],
        complete: Sequence[Completion | None] | None = None,
        follow_up: Sequence[FollowUp | None] | None = None,
        avoid: Sequence[Sequence[str]] | None = None,
        avoid_first: Sequence[Sequence[str]] | None = None,
    ) -> list[str]:
        n = len(conversations)
        limits = [max_new_tokens] * n if isinstance(max_new_tokens, int) else list(max_new_tokens)
        nexts: list[FollowUp | None] = list(follow_up) if follow_up is not None else [None] * n
        phrases: list[Sequence[str]] = list(avoid) if avoid is not None else [()] * n
        with self._lock:
            self._interrupted.clear()
            try:
                return asyncio.run(self._all(conversations, limits, nexts, phrases))
            except asyncio.CancelledError:
                raise GenerationInterrupted("generation interrupted") from None

    def judge(
        self, conversations: Sequence[Sequence[ChatMessage]], options: Sequence[str] = ("Yes", "No")
    ) -> list[dict[str, float]]:
        """Each option's probability as the answer's first token: one token asked for, with
        its 20 likeliest alternatives (`logprobs`), the options read among them (absent: 0.0;
        a token counts for an option when it is the option but for the spaces around it,
        as servers differ in where they put a word's space). Called from a row's follow-up
        it runs on a thread of its own (see `_row`), beside the generation under way."""
        with self._judging:
            return asyncio.run(self._judge_all(conversations, options))

    async def _judge_all(
        self, conversations: Sequence[Sequence[ChatMessage]], options: Sequence[str]
    ) -> list[dict[str, float]]:
        async with self._client() as client:
            model = await self._model(client)
            gate = asyncio.Semaphore(self.options.concurrency)

            async def one(conversation: Sequence[ChatMessage]) -> dict[str, float]:
                async with gate:
                    found = await self._judged(client, model, list(conversation))
                return {
                    o: sum(math.exp(lp) for t, lp in found.items() if t.strip() == o)
                    for o in options
                }

            return list(await asyncio.gather(*(one(c) for c in conversations)))

    async def _judged(
        self, client: httpx.AsyncClient, model: str, conversation: list[ChatMessage]
    ) -> dict[str, float]:
        body: dict[str, Any] = {"model": model, "max_tokens": 1, "temperature": 0}
        if self.tokenizer is not None:
            path = "/completions"
            body |= {"prompt": render(self.tokenizer, fit(self.tokenizer, conversation))}
            body |= {"logprobs": 20}
        else:
            path = "/chat/completions"
            body |= {"messages": conversation, "logprobs": True, "top_logprobs": 20}
        return (await self._request(client, "POST", path, body, _Judged)).alternatives()

    def _client(self) -> httpx.AsyncClient:
        headers = {}
        if self.options.api_key is not None:
            headers["Authorization"] = f"Bearer {self.options.api_key.get_secret_value()}"
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=self.options.timeout_s,
            limits=httpx.Limits(max_connections=self.options.concurrency),
        )

    async def _all(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        limits: list[int],
        nexts: list[FollowUp | None],
        phrases: list[Sequence[str]],
    ) -> list[str]:
        task = asyncio.current_task()
        assert task is not None  # asyncio.run runs this as a task
        with self._state:
            self._running = (asyncio.get_running_loop(), task)
        try:
            if self._interrupted.is_set():  # asked before the loop could be told
                raise asyncio.CancelledError
            results = [""] * len(conversations)
            async with self._client() as client:
                model = await self._model(client)
                gate = asyncio.Semaphore(self.options.concurrency)
                rows = [
                    asyncio.create_task(
                        self._row(
                            client,
                            gate,
                            model,
                            results,
                            i,
                            list(c),
                            limits[i],
                            nexts[i],
                            self._bias(phrases[i]),
                        )
                    )
                    for i, c in enumerate(conversations)
                ]
                try:
                    await asyncio.gather(*rows)
                finally:  # one row failed, or all are cancelled: none runs on
                    for row in rows:
                        row.cancel()
                    await asyncio.gather(*rows, return_exceptions=True)
            return results
        finally:
            with self._state:
                self._running = None

    async def _row(
        self,
        client: httpx.AsyncClient,
        gate: asyncio.Semaphore,
        model: str,
        results: list[str],
        i: int,
        conversation: list[ChatMessage],
        limit: int,
        follow_up: FollowUp | None,
        bias: dict[str, int],
    ) -> None:
        """One row: its answer, then its follow-up's, as each comes in."""
        while True:
            async with gate:
                results[i] = await self._ask(client, model, conversation, limit, bias)
            # on a thread: a follow-up may check the answer with `judge`, which runs a loop
            then = await asyncio.to_thread(follow_up, results[i]) if follow_up else None
            if then is None:
                return
            conversation = list(then)

    async def _ask(
        self,
        client: httpx.AsyncClient,
        model: str,
        conversation: list[ChatMessage],
        limit: int,
        bias: dict[str, int],
    ) -> str:
        opens = bool(conversation) and conversation[-1]["role"] == "assistant"
        opening = conversation[-1]["content"] if opens else ""
        body: dict[str, Any] = {"model": model, "max_tokens": limit, "temperature": 0}
        if bias:
            body["logit_bias"] = bias
        if self.tokenizer is not None:
            path = "/completions"
            body["prompt"] = render(self.tokenizer, fit(self.tokenizer, conversation))
            if self.tokenizer.eos_token:
                body["stop"] = [self.tokenizer.eos_token]
        else:
            path = "/chat/completions"
            body["messages"] = conversation
            if opens:
                body |= {"continue_final_message": True, "add_generation_prompt": False}
        answer = await self._request(client, "POST", path, body, _Answer)
        return (opening + (answer.said() or "")).strip()

    async def _model(self, client: httpx.AsyncClient) -> str:
        """The served model's name: the setting, or the first the server lists (asked once)."""
        if self._served is None:
            listed = await self._request(client, "GET", "/models", None, _Models)
            self._served = listed.data[0].id
        return self._served

    async def _request(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        shape: type[Shape],
    ) -> Shape:
        """The JSON answer as `shape`, retried with backoff on what may pass."""
        problem = ""
        for attempt in range(self.options.retries + 1):
            if attempt:
                delay = self.options.backoff_s * 2 ** (attempt - 1)
                log.warning("model server %s: %s; retry in %.1f s", self.host, problem, delay)
                await asyncio.sleep(delay)
            try:
                response = await client.request(method, path, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self.options.timeout_s:g} s"
                continue
            except httpx.TransportError as exc:
                problem = f"cannot connect ({type(exc).__name__})"
                continue
            code = response.status_code
            if code == 429 or code >= 500:
                problem = f"HTTP {code}"
                continue
            if code >= 400:
                raise GenerationFailed(
                    f"the model server at {self.host} refused the request: HTTP {code} "
                    f"{response.text[:200]!r}"
                )
            try:
                return shape.model_validate_json(response.content)
            except ValidationError:
                problem = "a malformed answer"
        tries = self.options.retries + 1
        raise GenerationFailed(
            f"the model server at {self.host} failed ({tries} {'try' if tries == 1 else 'tries'})"
            f": {problem}"
        )

    def _bias(self, phrases: Sequence[str]) -> dict[str, int]:
        """`logit_bias` keeping the model from the avoided forms that are one token each."""
        if self.tokenizer is None:
            return {}
        bias = {}
        for form in avoided_forms(phrases):
            ids = self.tokenizer(form, add_special_tokens=False)["input_ids"]
            if len(ids) == 1:
                bias[str(ids[0])] = -100
        return bias
