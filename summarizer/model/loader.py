"""Turn `BRIEFBOT_MODEL` into one loaded `TextGenerator`, once per process.

Spec forms: `packaged:NAME` (the offline default), a local directory, a `.gguf` file, a
hub id, or `openai:URL` for a model server (`openai_backend`; its options come as
`server`). Only the hub id and the server may reach the network (the hub only if the user's
own environment allows it); everything else is loaded with HF_HUB_OFFLINE=1. A GGUF's
tokenizer and config are converted once into the cache, beside a link to the GGUF, whose
weights are read tensor by tensor when the model is built.

The generator is synchronous; the service must call it from a worker thread
(`await asyncio.to_thread(...)`), never on the event loop.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import httpx

from summarizer.model.base import TextGenerator
from summarizer.model.openai_backend import OpenAIGenerator, ServerOptions
from summarizer.model.packaged import (
    DONE_MARKER,
    ModelSetupError,
    convert_gguf,
    is_converted,
    packaged_spec,
    prepare,
)
from summarizer.model.transformers_loading import LocalOptions, load_transformers

OPENAI = "openai:"
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_loaded: dict[tuple, TextGenerator] = {}
_lock = threading.Lock()


def _converted_gguf(gguf: Path, cache_dir: Path) -> Path:
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    final = Path(cache_dir).expanduser() / f"gguf-{gguf.stem}-{key.hexdigest()[:12]}"
    if is_converted(final):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".gguf-", dir=final.parent))
    try:
        convert_gguf(gguf, work)
        (work / DONE_MARKER).write_text(f"converted from {gguf.resolve()}\n")
        try:
            work.rename(final)
        except OSError:
            if not is_converted(final):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _server_generator(url: str, options: ServerOptions, cache_dir: Path) -> OpenAIGenerator:
    """The client for a model server; loads the template's tokenizer (not its weights) when
    there is one. Touches no network: the server is first asked at the first generation."""
    parsed = httpx.URL(url) if url.startswith(("http://", "https://")) else None
    if parsed is None or not parsed.host:
        raise ModelSetupError(f"BRIEFBOT_MODEL={OPENAI}{url}: expected {OPENAI}http://host:port/v1")
    if parsed.userinfo:
        raise ModelSetupError(
            f"BRIEFBOT_MODEL={OPENAI}{parsed.copy_with(username=None, password=None)}: put "
            "credentials in BRIEFBOT_MODEL_API_KEY, not in the URL (the URL is shown and logged)"
        )
    tokenizer = None
    if options.template:
        source, _, offline = resolve(options.template, cache_dir)
        if offline:
            os.environ["HF_HUB_OFFLINE"] = "1"
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(source)
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelSetupError(
                f"BRIEFBOT_MODEL_TEMPLATE={options.template}: cannot load its tokenizer: {first}"
            ) from exc
        if not tokenizer.chat_template:
            raise ModelSetupError(
                f"BRIEFBOT_MODEL_TEMPLATE={options.template}: its tokenizer has no chat template"
            )
    return OpenAIGenerator(url, options, tokenizer)


def resolve(spec: str, cache_dir: Path) -> tuple[str, str, bool]:
    """(what to hand from_pretrained, display name, offline?) for a spec, or a one-line error."""
    spec = spec.strip()
    if spec.startswith("packaged:"):
        pm = packaged_spec(spec.removeprefix("packaged:"))
        return str(prepare(pm.key, cache_dir)), pm.display, True
    path = Path(spec).expanduser()
    if spec.endswith(".gguf"):
        if not path.is_file():
            raise ModelSetupError(f"BRIEFBOT_MODEL={spec}: no such GGUF file")
        return str(_converted_gguf(path, cache_dir)), path.name, True
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelSetupError(f"BRIEFBOT_MODEL={spec}: directory has no config.json")
        return str(path), path.name, True
    if _HUB_ID.match(spec) and not path.exists():
        return spec, spec, False
    raise ModelSetupError(
        f"BRIEFBOT_MODEL={spec!r} is not packaged:NAME, a model directory, a .gguf file "
        "or a hub id like Qwen/Qwen2.5-1.5B-Instruct"
    )


def load_generator(
    spec: str,
    *,
    cache_dir: Path,
    threads: int = 0,
    local: LocalOptions | None = None,
    server: ServerOptions | None = None,
) -> TextGenerator:
    """The process-wide generator for `spec`; later calls return the same instance.
    `server` applies to an `openai:URL` spec only, `local` (taken whole, as settings build
    it, so no caller unpacks it field by field) to an in-process model."""
    remote = spec.strip().startswith(OPENAI)
    server = (server or ServerOptions()) if remote else None
    local = None if remote else (local or LocalOptions())
    key = (spec, str(cache_dir), threads, local, server)
    with _lock:
        if key not in _loaded and server is not None:
            _loaded[key] = _server_generator(spec.strip().removeprefix(OPENAI), server, cache_dir)
        if key not in _loaded and local is not None:
            source, name, offline = resolve(spec, cache_dir)
            try:
                _loaded[key] = load_transformers(
                    source,
                    name=name,
                    threads=threads,
                    precision=local.precision,
                    device=local.device,
                    decode=local.decode,
                    offline=offline,
                    cache_dir=cache_dir,
                )
            except (OSError, ValueError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ModelSetupError(f"BRIEFBOT_MODEL={spec}: cannot load: {first}") from exc
        return _loaded[key]
