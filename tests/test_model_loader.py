"""Loader and generation plumbing on a tiny random model built on the spot (no network)."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest
from tiny_model import build_tiny_model

from summarizer.model import loader, packaged
from summarizer.model.base import GenerationInterrupted
from summarizer.model.loader import load_generator, resolve
from summarizer.model.packaged import ModelSetupError, PackagedModel


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def convo(text: str):
    return [{"role": "user", "content": text}]


SHORT = convo("The minister said")
LONGER = convo("The spokesman denied the report . Officials agreed to meet again in the capital")


def test_directory_spec_loads_once_per_process(tiny_dir, tmp_path):
    first = load_generator(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    again = load_generator(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    assert first is again
    assert first.name.startswith("model")


def test_batched_generation_matches_one_by_one(tiny_dir, tmp_path):
    gen = load_generator(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    batched = gen.generate([SHORT, LONGER], max_new_tokens=8)
    single = [gen.generate([c], max_new_tokens=8)[0] for c in (SHORT, LONGER)]
    assert batched == single
    assert any(batched)
    assert gen.last_stats.batches == [1]  # the last call; the batched one went as one group


def test_int8_default_on_cpu_generates(tiny_dir, tmp_path):
    gen = load_generator(str(tiny_dir), cache_dir=tmp_path)
    assert gen.name.endswith("[int8]")
    out = gen.generate([SHORT, LONGER, SHORT], max_new_tokens=6)
    assert len(out) == 3 and out[0] == out[2]
    assert gen.last_stats.new_tokens > 0 and gen.last_stats.prompt_tokens > 0


def test_interrupt_stops_a_generation_under_way(tiny_dir, tmp_path):
    gen = load_generator(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    gen.model.generation_config.eos_token_id = None  # random weights must not stop by chance
    failure: list[BaseException] = []

    def run() -> None:
        try:
            gen.generate([LONGER], max_new_tokens=100_000)
        except GenerationInterrupted as exc:
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.5)
    started = time.perf_counter()
    gen.interrupt()
    worker.join(timeout=10)
    assert not worker.is_alive() and failure, "generation ran on after interrupt()"
    assert time.perf_counter() - started < 2
    assert gen.generate([SHORT], max_new_tokens=2)  # the next call runs normally


def test_prompts_of_very_different_length_are_not_padded_together(tiny_dir, tmp_path):
    gen = load_generator(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    huge = convo(" ".join(["The spokesman denied the report ."] * 30))
    gen.generate([SHORT, huge, SHORT], max_new_tokens=2)
    assert sorted(gen.last_stats.batches) == [1, 2]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("packaged:nonesuch", "unknown packaged model"),
        ("/no/such/model.gguf", "no such GGUF file"),
        ("not a model", "is not packaged:NAME"),
    ],
)
def test_bad_specs_fail_with_one_line(spec, message, tmp_path):
    with pytest.raises(ModelSetupError) as err:
        resolve(spec, tmp_path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_directory_without_config_is_refused(tmp_path):
    with pytest.raises(ModelSetupError, match=r"no config\.json"):
        resolve(str(tmp_path), tmp_path)


def test_hub_id_is_passed_through_without_offline(tmp_path):
    assert resolve("Qwen/Qwen2.5-1.5B-Instruct", tmp_path) == (
        "Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct", False
    )


def _fake_parts(tmp_path: Path, monkeypatch) -> PackagedModel:
    parts = []
    for n in (1, 2):
        f = tmp_path / f"part{n:02d}.bin"
        f.write_bytes(bytes([n]) * 1000)
        parts.append(f)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    fake = PackagedModel("fake", "fake-model-part", 2, "0.1", digest, "Fake model")
    monkeypatch.setitem(packaged.PACKAGED, "fake", fake)
    monkeypatch.setattr(packaged, "part_files", lambda pm: parts)
    return fake


def test_missing_parts_name_the_fix():
    fake = PackagedModel("x", "briefbot-no-such-part", 2, "0.1", "0" * 64, "X")
    with pytest.raises(ModelSetupError, match=r"summarizer\.model\.prepare --install"):
        packaged.part_files(fake)


def test_assemble_verifies_sha256(tmp_path, monkeypatch):
    fake = _fake_parts(tmp_path, monkeypatch)
    packaged.assemble(fake, tmp_path / "ok.gguf")
    assert (tmp_path / "ok.gguf").stat().st_size == 2000
    bad = PackagedModel("fake", "fake-model-part", 2, "0.1", "f" * 64, "Fake model")
    with pytest.raises(ModelSetupError, match="sha256"):
        packaged.assemble(bad, tmp_path / "bad.gguf")
    assert not (tmp_path / "bad.gguf").exists()


def test_prepare_converts_once_atomically(tmp_path, monkeypatch):
    _fake_parts(tmp_path, monkeypatch)
    calls = []

    def fake_convert(gguf: Path, out: Path) -> None:
        calls.append(gguf)
        out.mkdir()
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(packaged, "convert_gguf", fake_convert)
    cache = tmp_path / "cache"
    first = packaged.prepare("fake", cache)
    second = packaged.prepare("fake", cache)
    assert first == second and len(calls) == 1
    assert (first / "config.json").is_file() and packaged.is_converted(first)
    assert [p.name for p in cache.iterdir()] == [first.name]  # no temp dirs or GGUF left


def test_gguf_spec_converts_into_cache_once(tmp_path, monkeypatch):
    gguf = tmp_path / "my-model.gguf"
    gguf.write_bytes(b"GGUF")
    calls = []

    def fake_convert(path: Path, out: Path) -> None:
        calls.append(path)
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(loader, "convert_gguf", fake_convert)
    source, name, offline = resolve(str(gguf), tmp_path / "cache")
    assert resolve(str(gguf), tmp_path / "cache")[0] == source
    assert len(calls) == 1 and name == "my-model.gguf" and offline
    assert Path(source, "config.json").is_file()
