"""Local stand-ins for the outside world: a Bot API server and a news site, both on 127.0.0.1.

The real python-telegram-bot Application talks to `BotApiStub` over HTTP exactly as it would
to Telegram, so the tests exercise the library's requests, retries and parsing, not a mock.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

JSON_FIELDS = {"reply_markup", "commands", "link_preview_options", "entities", "scope"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that drops its kept-alive connection at shutdown is not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client gave up
            self.wfile.write(body)


def _serve(handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None) -> _Server:
    server = _Server(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return server


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 200  # what the stand-in answered: a refused call (429, 5xx) is kept too


async def poll(predicate: Callable[[], Any], seconds: float, texts: Callable[[], list[str]]) -> Any:
    """Wait until `predicate` holds, or fail showing the chat (`texts`) as it stands."""
    try:
        async with asyncio.timeout(seconds):
            while not (result := predicate()):  # noqa: ASYNC110 (state lives in a thread)
                await asyncio.sleep(0.02)
            return result
    except TimeoutError:
        raise AssertionError(f"timed out; the chat shows: {texts()!r}") from None


@dataclass
class BotApiStub:
    """Answers the Bot API methods briefbot uses and records every call, in order."""

    token: str = "123456:TEST-token-for-the-local-stub-only"
    bot_id: int = 123456
    calls: list[Call] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    # Telegram's bulk limit, enforced: more chat requests than this in any rolling second
    # get 429, as Telegram answers a bot that floods. None (the default) enforces nothing.
    global_limit: int | None = None
    # Telegram's limit in one chat, about one new message a second: a second sendMessage to
    # the same chat within a second gets 429. Edits are not counted (a reply's placeholder
    # is edited into its answer at once, which Telegram allows). None enforces nothing.
    per_chat_limit: int | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._floods: dict[str, list[int]] = {}
        self._failures: dict[str, list[int]] = {}
        self._recent: collections.deque[float] = collections.deque()
        self._chat_recent: dict[int, collections.deque[float]] = {}
        self.throttled = 0  # 429 answers given, injected or earned
        self._closed = False
        self._webhooks: list[str] = []
        self._webhook_secret = ""
        self._deliverer: threading.Thread | None = None
        self.delivered: list[tuple[int, str]] = []  # (update_id, webhook) for each delivery
        self.messages: dict[tuple[int, int], str] = {}
        stub = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                data = stub.file_bytes(unquote(self.path).removeprefix(f"/file/bot{stub.token}/"))
                if data is None:
                    self.reply(404, b"not found", "text/plain")
                else:
                    self.reply(200, data, "application/octet-stream")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(raw or "{}")
                else:
                    params = {
                        k: json.loads(v) if k in JSON_FIELDS else v for k, v in parse_qsl(raw)
                    }
                status, payload = stub._answer(self.path, params)
                self.reply(status, json.dumps(payload).encode(), "application/json")

        self._server = _serve(Handler)

    # addresses ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._deliverer is not None:
            self._deliverer.join(10)
        self._server.shutdown()
        self._server.server_close()

    # webhook mode -----------------------------------------------------------------------------

    def deliver_to(self, webhooks: list[str], secret: str) -> None:
        """Telegram with a webhook set, and the load balancer in front of several bot
        processes, in one: every update is POSTed to one of `webhooks`, round-robin, with the
        secret header. One refused or not answered 200 (a process not up yet, or dead) goes to
        the next, as a balancer's health check routes around it, and Telegram retries it
        until some process takes it: an update is never dropped, and never taken twice."""
        self._webhooks = list(webhooks)
        self._webhook_secret = secret
        self._deliverer = threading.Thread(target=self._deliver, name="webhook", daemon=True)
        self._deliverer.start()

    def _deliver(self) -> None:
        turn = itertools.count()
        while True:
            with self._lock:
                while not self._updates and not self._closed:
                    self._lock.wait(0.5)
                if self._closed:
                    return
                update = self._updates[0]
            body = json.dumps(update).encode()
            while not self._closed:
                url = self._webhooks[next(turn) % len(self._webhooks)]
                request = urllib.request.Request(
                    url,
                    data=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-Telegram-Bot-Api-Secret-Token": self._webhook_secret,
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        taken = answer.status == 200
                except OSError:  # refused, reset, timed out, or an HTTP error status
                    taken = False
                if taken:
                    with self._lock:
                        self._updates.remove(update)
                        self.delivered.append((update["update_id"], url))
                    break
                time.sleep(0.05)

    # what tests inject ----------------------------------------------------------------------

    def flood(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get 429 Too Many Requests."""
        with self._lock:
            self._floods.setdefault(method, []).extend([retry_after] * times)

    def fail(self, method: str, times: int = 1, status: int = 502) -> None:
        """The next `times` calls of `method` get a server error, as in a bad Telegram minute."""
        with self._lock:
            self._failures.setdefault(method, []).extend([status] * times)

    def _push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; returned too, for posting to a webhook instead."""
        with self._lock:
            update = {"update_id": next(self._update_ids), kind: payload}
            self._updates.append(update)
            self._lock.notify_all()
        return update

    @staticmethod
    def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}

    def message(
        self, text: str | None = None, *, chat_id: int = 42, user_id: int = 7, **extra: Any
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Reader"},
            "from": self.user(user_id),
            **extra,
        }
        if text is not None:
            payload["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                payload["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push("message", payload)

    def document(
        self, filename: str, data: bytes, *, mime: str, chat_id: int = 42, user_id: int = 7
    ) -> None:
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = (f"documents/{filename}", data)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "mime_type": mime,
            "file_size": len(data),
        }
        self.message(chat_id=chat_id, user_id=user_id, document=document)

    def press(self, data: str, message_id: int, *, chat_id: int = 42, user_id: int = 7) -> None:
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "briefbot"},
            "text": self.messages.get((chat_id, message_id), ""),
        }
        payload = {
            "id": f"cq{message_id}",
            "from": self.user(user_id),
            "chat_instance": "ci",
            "message": message,
            "data": data,
        }
        self._push("callback_query", payload)

    # what tests read ------------------------------------------------------------------------

    def sent(self, *methods: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method in methods]

    def texts(self, chat_id: int = 42) -> list[str]:
        """The chat as a user sees it now: every bot message, with edits applied."""
        with self._lock:
            return [text for (chat, _), text in sorted(self.messages.items()) if chat == chat_id]

    async def wait_for(self, predicate: Callable[[], Any], seconds: float = 15.0) -> Any:
        return await poll(predicate, seconds, self.texts)

    # the server side ------------------------------------------------------------------------

    def _answer(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix) :]
        with self._lock:
            call = Call(method, params)
            if method != "getUpdates":
                self.calls.append(call)
            refusal = self._refusal(method, params)
            if refusal is not None:
                call.status = refusal[0]
                return refusal
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        result = handler(params)
        if isinstance(result, tuple):
            return result
        return 200, {"ok": True, "result": result}

    def _refusal(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """An injected failure or flood, or a limit the call broke; under the lock."""
        failure = self._failures.get(method)
        if failure:
            status = failure.pop(0)
            return status, {"ok": False, "error_code": status, "description": "Bad Gateway"}
        flood = self._floods.get(method)
        if flood:
            return self._too_many(flood.pop(0))
        if self.global_limit is not None and "chat_id" in params:
            now = time.monotonic()
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.global_limit:
                return self._too_many(1)
            self._recent.append(now)
        if self.per_chat_limit is not None and method == "sendMessage":
            now = time.monotonic()
            recent = self._chat_recent.setdefault(int(params["chat_id"]), collections.deque())
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= self.per_chat_limit:
                return self._too_many(1)
            recent.append(now)
        return None

    def _too_many(self, retry: int) -> tuple[int, dict[str, Any]]:
        self.throttled += 1
        return 429, {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry}",
            "parameters": {"retry_after": retry},
        }

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "briefbot",
            "username": "briefbot_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 1.0)
        with self._lock:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and not self._closed:
                self._lock.wait(wait)
            return list(self._updates)

    def _bot_message(self, params: dict[str, Any], message_id: int) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        self.messages[(chat_id, message_id)] = params["text"]
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "briefbot"},
            "text": params["text"],
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        if len(params["text"]) > 4096:
            return 400, {"ok": False, "error_code": 400, "description": "message is too long"}
        with self._lock:
            return self._bot_message(params, next(self._message_ids))

    def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        key = (int(params["chat_id"]), int(params["message_id"]))
        with self._lock:
            if self.messages.get(key) == params["text"]:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message is not modified",
                }
            return self._bot_message(params, key[1])

    def _m_deleteMessage(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self.messages.pop((int(params["chat_id"]), int(params["message_id"])), None)
        return True

    def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        path, data = self.files[params["file_id"]]
        return {
            "file_id": params["file_id"],
            "file_unique_id": f"u{params['file_id']}",
            "file_size": len(data),
            "file_path": path,
        }

    def _ok(self, params: dict[str, Any]) -> bool:
        return True

    _m_sendChatAction = _m_answerCallbackQuery = _m_setMyCommands = _ok
    _m_deleteWebhook = _m_setWebhook = _m_close = _m_logOut = _ok

    def file_bytes(self, path: str) -> bytes | None:
        return next((data for p, data in self.files.values() if p == path), None)


Route = Callable[[_QuietHandler], None]


def page(
    body: str | bytes, content_type: str = "text/html; charset=utf-8", status: int = 200
) -> Route:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return lambda handler: handler.reply(status, data, content_type)


def redirect(location: str, status: int = 302) -> Route:
    return lambda handler: handler.reply(status, b"", "text/plain", Location=location)


class PageServer:
    """A news site on 127.0.0.1 that records every request, so a test can prove that a
    refused redirect hop was never connected to."""

    def __init__(
        self, routes: dict[str, Route] | None = None, tls: ssl.SSLContext | None = None
    ) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[str] = []
        site = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                route = site.routes.get(self.path)
                if route is None:
                    self.reply(404, b"<h1>Not found</h1>", "text/html")
                    return
                # the client may hang up on purpose (size cap, timeout)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

        self._server = _serve(Handler, tls)

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"http://{self.host_port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


ARTICLE_PARAGRAPHS = [
    "The city council voted seven to two on Tuesday to expand the night bus network, ending"
    " a year of debate over how to pay for services after midnight.",
    "\u201cBuses are the backbone of this city, and people who work late deserve a safe way"
    " home,\u201d said Mayor Jane Doe after the vote.",
    "Councillor John Roe, who voted against the plan, said: \u201cThis is money we do not"
    " have, and the fares will go up for everyone to pay for it.\u201d",
    "The expansion adds six routes from March. Transport officials said the cost would be"
    " met from the parking levy for the first two years, and that ridership would be"
    " reviewed each quarter before any further routes are approved by the council.",
]


def article_html(
    title: str = "Council expands night buses",
    paragraphs: list[str] | None = None,
    outlet: str = "The Local Ledger",
) -> str:
    from html import escape

    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs or ARTICLE_PARAGRAPHS)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} | {escape(outlet)}</title>
<meta property="og:title" content="{escape(title)}">
<meta property="og:site_name" content="{escape(outlet)}">
<meta property="article:published_time" content="2026-03-14T09:00:00Z">
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>{escape(title)}</h1>
{body}
</article><footer>Copyright {escape(outlet)}</footer></body></html>"""


# the stand-in in its own process --------------------------------------------------------------
#
# A real Telegram answers from another machine; a stand-in in the bot's own process competes
# with the bot's event loop for the GIL, so a load measurement counts the stand-in's work as the
# bot's. `BotApiStubProcess` runs this same `BotApiStub` in a child Python process (this file run
# as a script) and drives it over the child's stdin/stdout, one JSON line each way per request.
# Call.at stays comparable across the two processes: time.monotonic() is CLOCK_MONOTONIC, one
# clock for the whole system on Linux.

_REMOTE = {"message", "press", "flood", "fail", "texts"}


def _serve_over_pipes(global_limit: int | None, per_chat_limit: int | None = None) -> None:
    """The child's side: serve HTTP on 127.0.0.1, answer control requests from stdin until EOF."""
    control, sys.stdout = sys.stdout, sys.stderr  # a stray print must not corrupt a reply
    stub = BotApiStub(global_limit=global_limit, per_chat_limit=per_chat_limit)

    def send(payload: Any) -> None:
        control.write(json.dumps(payload) + "\n")
        control.flush()

    send({"token": stub.token, "base_url": stub.base_url})
    try:
        for line in sys.stdin:  # EOF: the parent closed the pipe or died
            request = json.loads(line)
            op = request["op"]
            try:
                if op == "calls":  # only those after the first `since`: the parent keeps a copy
                    since = request["kwargs"]["since"]
                    with stub._lock:
                        result: Any = [
                            [c.method, c.params, c.at, c.status] for c in stub.calls[since:]
                        ]
                elif op == "throttled":
                    result = stub.throttled
                elif op in _REMOTE:
                    result = getattr(stub, op)(*request["args"], **request["kwargs"])
                else:
                    raise ValueError(f"unknown op {op!r}")
            except Exception as error:  # reported to the parent, which raises it there
                send({"error": f"{type(error).__name__}: {error}"})
            else:
                send({"result": result})
    finally:
        stub.close()


class BotApiStubProcess:
    """`BotApiStub` in a child process, with the parts of its interface a bench drives:
    inject updates, read what the bot sent (`sent`, `texts`, `throttled`), `wait_for`."""

    def __init__(self, global_limit: int | None = None, per_chat_limit: int | None = None) -> None:
        command = [sys.executable, __file__]
        if global_limit is not None:
            command += ["--global-limit", str(global_limit)]
        if per_chat_limit is not None:
            command += ["--per-chat-limit", str(per_chat_limit)]
        self._child = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )
        ready = json.loads(self._read())
        self.token: str = ready["token"]
        self.base_url: str = ready["base_url"]
        self._calls: list[Call] = []  # a local copy, topped up with only the new calls

    def _read(self) -> str:
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError(f"the stand-in process exited ({self._child.poll()})")
        return line

    def _request(self, op: str, *args: Any, **kwargs: Any) -> Any:
        assert self._child.stdin is not None
        self._child.stdin.write(json.dumps({"op": op, "args": args, "kwargs": kwargs}) + "\n")
        self._child.stdin.flush()
        reply = json.loads(self._read())
        if "error" in reply:
            raise RuntimeError(f"the stand-in process: {reply['error']}")
        return reply["result"]

    def message(self, text: str | None = None, **kwargs: Any) -> dict[str, Any]:
        return self._request("message", text, **kwargs)

    def press(self, data: str, message_id: int, **kwargs: Any) -> None:
        self._request("press", data, message_id, **kwargs)

    def flood(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        self._request("flood", method, times, retry_after)

    def fail(self, method: str, times: int = 1, status: int = 502) -> None:
        self._request("fail", method, times, status)

    def texts(self, chat_id: int = 42) -> list[str]:
        return self._request("texts", chat_id)

    @property
    def throttled(self) -> int:
        """429 answers given so far, injected or earned."""
        return self._request("throttled")

    def sent(self, *methods: str) -> list[Call]:
        news = self._request("calls", since=len(self._calls))
        self._calls += [Call(*call) for call in news]
        return [c for c in self._calls if c.method in methods]

    async def wait_for(self, predicate: Callable[[], Any], seconds: float = 15.0) -> Any:
        return await poll(predicate, seconds, self.texts)

    def close(self) -> None:
        assert self._child.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._child.stdin.close()  # EOF: the child closes its server and exits
        try:
            self._child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        if self._child.stdout is not None:
            self._child.stdout.close()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="The Bot API stand-in, driven over stdin/stdout")
    parser.add_argument("--global-limit", type=int, default=None)
    parser.add_argument("--per-chat-limit", type=int, default=None)
    options = parser.parse_args()
    _serve_over_pipes(options.global_limit, options.per_chat_limit)
