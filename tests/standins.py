"""A language model that does what a test scripts, inside the real analyzer, and a model
server that does, over real HTTP on 127.0.0.1.

Used by the fault tests and by the child processes they start (which import this module by
path), so a model that raises, hangs or announces itself is written once.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rounds import in_rounds
from support import demo

from bot.service import ChatService
from bot.service.analysis import LocalAnalyzer
from summarizer.model.base import ChatMessage, FollowUp, GenerationInterrupted
from summarizer.types import Analysis
from summarizer.writing import Written

STARTED = "model started"
# Whether the summary checks accept it does not matter here: an answer completes the analysis.
SUMMARY = "Officials from both sides met and disagreed about the plan."


class StandInModel:
    """The `TextGenerator` the analysis thread calls, doing what the test scripts per call:
    'answer', 'raise', 'hang' (blocks its thread until `release`), 'announce' (prints
    STARTED, then hangs: the signal a parent process waits for before it kills us) or
    'listen' (decodes until interrupted, then raises GenerationInterrupted, as the real
    model does between two steps; or until `release`) or 'trickle' (`_trickle`: a slow
    writer whose answers, by `answer`, come one by one). `asked` holds each generation's
    last user message: its task (an assistant message after it only opens the answer)."""

    name = "stand-in"

    def __init__(
        self,
        *script: str,
        answer: Callable[[Sequence[ChatMessage]], str | None] = lambda conversation: SUMMARY,
        row_s: float = 1.0,
        deaf: bool = False,
    ) -> None:
        self.answer, self.row_s, self.deaf = answer, row_s, deaf
        self.release = threading.Event()
        self.listening = threading.Event()  # a 'listen' step is under way
        self._stop = threading.Event()
        self.asked: list[str] = []
        self.then(*script)

    interrupted = False

    def interrupt(self) -> None:
        """Recorded, and obeyed only by a 'listen' or 'trickle' step: the others stand for a
        model stuck where it cannot listen (the real one stops between decode steps, see
        test_model_loader)."""
        self.interrupted = True
        self._stop.set()

    def then(self, *script: str) -> None:
        """From the next call on, follow this script (its last step repeats)."""
        self._script = list(script) or ["answer"]
        self.calls = 0

    def generate(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        max_new_tokens: int | Sequence[int],
        complete: object = None,
        follow_up: Sequence[FollowUp | None] | None = None,
        avoid: object = None,
        avoid_first: object = None,
    ) -> list[str]:
        self._stop.clear()  # as the real backend: an interrupt before the start is lost
        self.asked.append(
            next(m["content"] for m in reversed(conversations[0]) if m["role"] == "user")
        )
        if self._script[min(self.calls, len(self._script) - 1)] == "trickle":
            self.calls += 1
            return self._trickle(conversations, follow_up)
        return in_rounds(self._answer, conversations, follow_up)

    def _trickle(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        follow_up: Sequence[FollowUp | None] | None,
    ) -> list[str]:
        """The 'trickle' step: a slow writer, whose rows finish one by one, `row_s` apart,
        each answered by `answer` and handed to its follow-up, until interrupted (then
        GenerationInterrupted, as the real model between two steps). A row `answer` gives
        None never finishes: it hears the interrupt, or (`deaf`) waits for `release`."""
        asked = list(conversations)
        then = list(follow_up) if follow_up is not None else [None] * len(asked)
        results = [""] * len(asked)
        todo = list(range(len(asked)))
        while todo:
            i = todo.pop(0)
            if self._stop.wait(self.row_s):
                raise GenerationInterrupted("generation interrupted")
            answer = self.answer(asked[i])
            if answer is None:  # a row that never finishes: the model decodes on
                (self.release if self.deaf else self._stop).wait()
                raise GenerationInterrupted("generation interrupted")
            results[i] = answer
            step = then[i]
            nxt = step(results[i]) if step is not None else None
            if nxt is not None:
                asked[i] = nxt
                todo.append(i)
        return results

    def judge(
        self, conversations: Sequence[Sequence[ChatMessage]], options: Sequence[str] = ("Yes", "No")
    ) -> list[dict[str, float]]:
        """Every sentence is borne out: these tests are about the model's faults, not its text."""
        return [{o: float(o == options[0]) for o in options} for _ in conversations]

    def _answer(self, conversations: list[Sequence[ChatMessage]]) -> list[str]:
        step = self._script[min(self.calls, len(self._script) - 1)]
        self.calls += 1
        if step == "raise":
            raise RuntimeError("CUDA error: device-side assert triggered")
        if step == "listen":
            self.listening.set()
            while not self.release.is_set():
                if self._stop.wait(0.05):
                    self.listening.clear()
                    raise GenerationInterrupted("generation interrupted")
            self.listening.clear()
        if step in ("hang", "announce"):
            if step == "announce":
                print(STARTED, flush=True)
            self.release.wait()
        return [SUMMARY for _ in conversations]


def by_opening(
    *, event: str | None, lines: dict[str, str | None]
) -> Callable[[Sequence[ChatMessage]], str | None]:
    """A 'trickle' step's answers: a stance line by the name its answer opens with, the
    event sentence otherwise; None for a row that never finishes."""

    def answer(conversation: Sequence[ChatMessage]) -> str | None:
        opening = conversation[-1]["content"] if conversation[-1]["role"] == "assistant" else ""
        return next((line for name, line in lines.items() if opening.startswith(name)), event)

    return answer


class StandInAnalyzer(LocalAnalyzer):
    """The real LocalAnalyzer (its one thread, its abandon_work) around the stand-in model."""

    def __init__(self, model: StandInModel, *, digest_timeout_s: float = 20.0) -> None:
        super().__init__(
            model.name, cache_dir=Path("unused"), threads=1, digest_timeout_s=digest_timeout_s
        )
        self._generator = model
        self.written = 0

    async def write(
        self,
        text: str,
        found: Analysis,
        *,
        deadline: float | None = None,
        progress: Callable[[Written], None] | None = None,
    ) -> Analysis:
        self.written += 1
        return await super().write(text, found, deadline=deadline, progress=progress)


async def warm(service: ChatService) -> None:
    """Load spaCy first, so the short time limits below measure the model, not the load."""
    await service.analyzer.read(demo("01_alliance"), None)


async def read_ahead(analyzer: LocalAnalyzer, *texts: str) -> None:
    """Read each text now, outside any limit, and make the analyzer's later reads of it
    instant. The analysis limit bounds the read too: a test's 1 s limit, meant for the
    model, failed on spaCy's read of a short article while other work loaded the host."""
    done = {text.strip(): await analyzer.read(text.strip(), None) for text in texts}
    read = analyzer.read

    async def ahead(text: str, title: str | None) -> Analysis:
        if text not in done:  # as stored: a message is stripped on its way in
            return await read(text, title)
        return done[text].model_copy(update={"title": title or done[text].title})

    analyzer.read = ahead  # type: ignore[method-assign]


class StandInModelServer:
    """A real OpenAI-compatible HTTP server on 127.0.0.1 that answers as a test scripts, one
    step per answer request (the last step repeats): 'answer', '400', '500', 'garbage' (not JSON),
    'empty' (no choices) or 'slow' (answers after `slow_s`, or when the server closes).
    `together`: each answer request waits (up to 10 s) until that many are in flight, so
    a test can see concurrency without timing it. A request for `logprobs` gets one token's
    alternatives, `verdict` (token to log-probability), in the endpoint's own shape. It lists
    one model, 'stand-in'."""

    def __init__(
        self,
        *script: str,
        answer: Callable[[dict[str, Any]], str] = lambda body: SUMMARY,
        verdict: dict[str, float] | None = None,
        slow_s: float = 60.0,
        together: int = 1,
    ) -> None:
        self.script = list(script) or ["answer"]
        self.answer = answer
        self.verdict = verdict or {"Yes": -0.1, " No": -2.4, "Maybe": -5.0}
        self.slow_s = slow_s
        self.together = together
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []  # path, headers, body
        self.in_flight = 0
        self.most_in_flight = 0
        self._closing = threading.Event()
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StandInModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def answers(self) -> list[dict[str, Any]]:
        """The bodies of the answer requests, in arrival order."""
        return [body for path, _, body in self.requests if path != "/v1/models"]

    def _step(self, request: tuple[str, dict[str, str], dict[str, Any]]) -> str:
        """Record an answer request and wait for its company; its step in the script."""
        with self._changed:
            self.requests.append(request)
            step = self.script[min(len(self.answers()) - 1, len(self.script) - 1)]
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.in_flight >= self.together, timeout=10)
        return step

    def _done(self) -> None:
        with self._changed:
            self.in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _send(self, code: int, payload: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers), {}))
                self._send(200, json.dumps({"data": [{"id": "stand-in"}]}).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                step = server._step((self.path, dict(self.headers), body))
                try:
                    self._answer(step, body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass
                finally:
                    server._done()

            def _answer(self, step: str, body: dict[str, Any]) -> None:
                if step == "slow":
                    server._closing.wait(server.slow_s)
                if step in ("400", "500"):
                    self._send(int(step), b'{"error": "scripted"}')
                elif step == "garbage":
                    self._send(200, b"<html>Bad gateway</html>")
                elif step == "empty":
                    self._send(200, b'{"choices": []}')
                else:
                    self._send(200, json.dumps({"choices": [self._choice(body)]}).encode())

            def _choice(self, body: dict[str, Any]) -> dict[str, Any]:
                completion = self.path.endswith("/completions") and "prompt" in body
                if body.get("logprobs") and completion:
                    best = max(server.verdict, key=server.verdict.__getitem__)
                    return {"text": best, "logprobs": {"top_logprobs": [server.verdict]}}
                if body.get("logprobs"):
                    best = max(server.verdict, key=server.verdict.__getitem__)
                    listed = [{"token": t, "logprob": lp} for t, lp in server.verdict.items()]
                    return {
                        "message": {"role": "assistant", "content": best},
                        "logprobs": {"content": [{"token": best, "top_logprobs": listed}]},
                    }
                text = server.answer(body)
                if completion:
                    return {"text": text}
                return {"message": {"role": "assistant", "content": text}}

        return Handler


def free_port() -> int:
    """A loopback port nothing listens on (for a model server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
