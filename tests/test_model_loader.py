"""Loader and generation plumbing on a tiny random model built on the spot (no network)."""

from __future__ import annotations

import hashlib
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from tiny_model import build_tiny_gguf, build_tiny_model

from bot.settings import Settings
from summarizer.model import batch, loader, packaged, transformers_loading
from summarizer.model.base import ChatMessage, GenerationInterrupted
from summarizer.model.batch import cheapest_groups
from summarizer.model.loader import load_generator, resolve
from summarizer.model.packaged import ModelSetupError, PackagedModel
from summarizer.model.prompt_cache import PromptCache
from summarizer.model.quantize import int8_linear, quantize_int8, snapshot_path
from summarizer.model.transformers_backend import STATIC_CHUNK, TransformersGenerator
from summarizer.model.transformers_loading import LocalOptions, Precision, load_transformers


def generator_for(
    spec: str, *, cache_dir: Path, precision: Precision = "auto"
) -> TransformersGenerator:
    """`load_generator` for a checkpoint folder, which the transformers backend serves."""
    gen = load_generator(spec, cache_dir=cache_dir, local=LocalOptions(precision=precision))
    assert isinstance(gen, TransformersGenerator), type(gen)
    return gen


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def tiny_gguf(tiny_dir, tmp_path_factory) -> Path:
    return build_tiny_gguf(tiny_dir, tmp_path_factory.mktemp("gguf") / "tiny.gguf")


@contextmanager
def endless(gen):
    """No end-of-turn token while inside: random weights must not stop by chance."""
    eos = gen.model.generation_config.eos_token_id
    gen.model.generation_config.eos_token_id = None
    try:
        yield
    finally:
        gen.model.generation_config.eos_token_id = eos


def convo(text: str):
    return [{"role": "user", "content": text}]


SHORT = convo("The minister said")
LONGER = convo("The spokesman denied the report . Officials agreed to meet again in the capital")


def test_directory_spec_loads_once_per_process(tiny_dir, tmp_path):
    fp32 = LocalOptions(precision="fp32")
    first = load_generator(str(tiny_dir), cache_dir=tmp_path, local=fp32)
    again = load_generator(str(tiny_dir), cache_dir=tmp_path, local=fp32)
    assert first is again
    assert first.name.startswith("model")


def test_the_settings_local_options_reach_the_model_whole(tiny_dir, tmp_path):
    """The console and the service hand `load_generator` the options settings built, in
    one piece: a decode loop or precision chosen in BRIEFBOT_MODEL_* is the one loaded."""
    settings = Settings(model_precision="fp32", model_decode="static", model_cache=tmp_path)
    gen = load_generator(str(tiny_dir), cache_dir=tmp_path, local=settings.model_local())
    assert isinstance(gen, TransformersGenerator)
    assert (gen.decode, gen.name) == ("static", f"{tiny_dir.name} [fp32, static]")


def test_batched_generation_matches_one_by_one(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    batched = gen.generate([SHORT, LONGER], max_new_tokens=8)
    single = [gen.generate([c], max_new_tokens=8)[0] for c in (SHORT, LONGER)]
    assert batched == single
    assert any(batched)
    assert gen.last_stats.batches == [1]  # the last call; the batched one went as one group


def test_int8_default_on_cpu_generates(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path)
    assert gen.name.endswith("[int8]")
    out = gen.generate([SHORT, LONGER, SHORT], max_new_tokens=6)
    assert len(out) == 3 and out[0] == out[2]
    assert gen.last_stats.new_tokens > 0 and gen.last_stats.prompt_tokens > 0


def test_interrupt_stops_a_generation_under_way(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
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


def test_interrupt_stops_reading_prompts_too(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    passes: list[int] = []

    def interrupt_after_a_pass(module, args, _output) -> None:
        passes.append(1)
        gen.interrupt()

    hook = gen.model.register_forward_hook(interrupt_after_a_pass)
    try:
        with pytest.raises(GenerationInterrupted):
            gen.generate([convo(f"Report number {i} , please") for i in range(6)], max_new_tokens=4)
    finally:
        hook.remove()
    assert len(passes) <= 2  # one prompt read (its system message and the rest), no more


# Like Mistral's and Gemma's templates: roles must alternate, and there is no system role.
STRICT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% if loop.index0 and m['role'] == messages[loop.index0 - 1]['role'] %}"
    "{{ raise_exception('Conversation roles must alternate') }}{% endif %}"
    "<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_a_template_that_refuses_our_message_layout_gets_it_merged(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    system: ChatMessage = {"role": "system", "content": "Report only what was said ."}
    text, task = convo("The minister said")[0], convo("Officials agreed")[0]
    merged = convo("Report only what was said .\n\nThe minister said\n\nOfficials agreed")
    usual = gen.tokenizer.chat_template
    gen.tokenizer.chat_template = STRICT_TEMPLATE
    try:
        answer = gen.generate([[system, text, task]], max_new_tokens=6)
        assert answer == gen.generate([merged], max_new_tokens=6) and answer[0]
    finally:
        gen.tokenizer.chat_template = usual


def test_each_row_stops_at_its_own_limit(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    with endless(gen):
        short, long = gen.generate([SHORT, LONGER], max_new_tokens=[2, 7])
    assert len(gen._ids(short)) <= 3 < len(gen._ids(long))


def test_a_complete_row_leaves_the_batch_and_the_others_run_on(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    seen: list[str] = []

    def four_chars(text: str) -> bool:
        seen.append(text)
        return len(text) >= 4

    with endless(gen):
        free = gen.generate([SHORT, LONGER], max_new_tokens=12)
        stopped = gen.generate([SHORT, LONGER], max_new_tokens=12, complete=[four_chars, None])
        alone = gen.generate([LONGER], max_new_tokens=12)
    assert stopped[1] == free[1] == alone[0]  # the cache rows left behind are the right ones
    assert free[0].startswith(stopped[0]) and len(stopped[0]) < len(free[0])
    assert len(seen[-1]) >= 4 and all(len(text) < 4 for text in seen[:-1])


def test_int8_model_is_kept_once_and_loads_back_the_same(tiny_dir, tmp_path, monkeypatch):
    first = load_transformers(str(tiny_dir), name="t", precision="int8", cache_dir=tmp_path)
    kept = snapshot_path(str(tiny_dir), tmp_path)
    assert (kept / "rest.pt").is_file() and len(list(kept.glob("layer-*.pt"))) == 2
    expected = first.generate([LONGER, SHORT], max_new_tokens=6)

    def no_quantising(model):
        raise AssertionError("the kept int8 model should have been loaded")

    monkeypatch.setattr(transformers_loading, "quantize_int8", no_quantising)
    again = load_transformers(str(tiny_dir), name="t", precision="int8", cache_dir=tmp_path)
    assert again.model is not first.model
    assert again.generate([LONGER, SHORT], max_new_tokens=6) == expected

    monkeypatch.undo()
    (kept / "layer-001.pt").unlink()  # incomplete: rebuilt, never a model missing a layer
    assert (
        load_transformers(str(tiny_dir), name="t", precision="int8", cache_dir=tmp_path).generate(
            [LONGER, SHORT], max_new_tokens=6
        )
        == expected
    )
    assert (kept / "layer-001.pt").is_file()
    (kept / "rest.pt").write_bytes(b"not a pickle")  # damaged: rebuilt, not fatal
    rebuilt = load_transformers(str(tiny_dir), name="t", precision="int8", cache_dir=tmp_path)
    assert rebuilt.generate([LONGER, SHORT], max_new_tokens=6) == expected
    assert (kept / "rest.pt").stat().st_size > 100


def test_grouping_pads_only_where_a_decode_run_costs_more():
    # close lengths: one batch (one decode run) beats saving a few padded tokens
    assert cheapest_groups([100, 120, 130], max_batch=16) == [[0, 1, 2]]
    # a prompt far longer than the rest: padding the short ones to it costs more than a group
    assert cheapest_groups([40, 1500, 50], max_batch=16) == [[0, 2], [1]]
    assert [len(g) for g in cheapest_groups([10] * 5, max_batch=2)] == [1, 2, 2]


def test_the_batch_holding_the_first_prompt_runs_first_whatever_its_length():
    # a brief's summary (first, longest) must not wait behind every speaker's short prompt
    for lengths in ([1500, 40, 50], [900, 40, 1000, 60, 45], [30, 2000, 25, 1900]):
        groups = cheapest_groups(lengths, max_batch=16)
        assert 0 in groups[0]
        assert [min(g) for g in groups] == sorted(min(g) for g in groups)
        assert sorted(i for g in groups for i in g) == list(range(len(lengths)))


def test_prompt_cache_reuses_whole_kept_prompts_within_its_token_budget():
    cache = PromptCache(max_tokens=100)
    system, user = list(range(30)), list(range(100, 130))
    cache.add(system, [], ends=[30])
    cache.add([*system, *user], [], ends=[60])
    found = cache.longest([*system, *user, 7, 8], ends=[30, 60, 62])
    assert found is not None and found.ids == (*system, *user)  # the longest that fits
    # only whole kept prompts count: sharing 20 tokens with one is not a match
    assert cache.longest([*range(20), 99, 98], ends=[21, 22]) is None
    cache.add(list(range(200, 240)), [], ends=[40])  # 130 tokens in all: the least recent goes
    assert cache.longest(system, ends=[30]) is None
    assert cache.longest([*system, *user], ends=[30, 60]) is not None


def test_the_parts_of_one_read_are_counted_once_and_share_its_keys():
    import torch

    cache = PromptCache(max_tokens=100)
    keys = torch.arange(80.0).reshape(1, 80, 1)
    cache.add(list(range(80)), [(keys, -keys)], ends=[30, 60, 80])
    assert len(cache) == 3  # 80 tokens held, not 30 + 60 + 80
    part = cache.longest([*range(60), 7], ends=[30, 60])
    assert part is not None and part.ids == tuple(range(60))
    assert torch.equal(part.layers[0][0], keys[:, :60]) and torch.equal(
        part.layers[0][1], -keys[:, :60]
    )
    cache.add(list(range(500, 530)), [], ends=[30])  # 110 tokens: the whole read goes
    assert len(cache) == 1 and cache.longest(list(range(30)), ends=[30]) is None


def test_kept_prompts_give_the_same_answers_and_save_reading(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    system: ChatMessage = {
        "role": "system",
        "content": "You report what people said , and only that . " * 3,
    }
    rows = [[system, *SHORT], [system, *LONGER], [system, *convo("Officials agreed")]]
    retry = [[*rows[1], *convo("Avoid these problems : none")]]
    tokens = lambda convo: gen.tokenizer(gen.render(convo))["input_ids"]  # noqa: E731
    gen.reuse_prompts = False
    plain, plain_retry = gen.generate(rows, max_new_tokens=8), gen.generate(retry, max_new_tokens=8)
    full = sum(len(tokens(r)) for r in rows)
    gen.reuse_prompts = True
    gen.prompts.clear()
    assert gen.generate(rows, max_new_tokens=8) == plain and any(plain)
    assert gen.last_stats.prompt_tokens < full  # the system message was read once, not per row
    assert gen.generate(retry, max_new_tokens=8) == plain_retry
    # only the retry's own message (and the assistant header) was read
    kept = gen._message_ends(rows[1], tokens(rows[1]))[-1]
    assert gen.last_stats.prompt_tokens == len(tokens(retry[0])) - kept


def test_an_answer_does_not_depend_on_what_was_asked_before(tiny_dir):
    # int8 scales each pass by its largest activation, so reusing part of another prompt's
    # pass changed the answer (this failed when kept prompts were matched token by token)
    system: ChatMessage = {
        "role": "system",
        "content": "You report what people said , and only that . " * 3,
    }
    rows = [[system, *LONGER], [system, *SHORT]]
    fresh = load_transformers(str(tiny_dir), name="t", precision="int8")
    expected = fresh.generate(rows, max_new_tokens=24)
    gen = load_transformers(str(tiny_dir), name="t", precision="int8")
    gen.generate([[system, *convo(LONGER[0]["content"] + " today")]], max_new_tokens=8)
    assert gen.generate(rows, max_new_tokens=24) == expected


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
        "Qwen/Qwen2.5-1.5B-Instruct",
        "Qwen/Qwen2.5-1.5B-Instruct",
        False,
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
    with pytest.raises(ModelSetupError, match=r"briefbot prepare --install"):
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
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(packaged, "convert_gguf", fake_convert)
    cache = tmp_path / "cache"
    first = packaged.prepare("fake", cache)
    second = packaged.prepare("fake", cache)
    assert first == second and len(calls) == 1
    assert (first / "config.json").is_file() and packaged.is_converted(first)
    assert (first / packaged.GGUF_NAME).stat().st_size == 2000  # the weights, kept quantised
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


def _whole_gguf_model(gguf: Path, precision: Precision):
    """What a GGUF became before: transformers' reader dequantised every tensor into one bf16
    state of the whole model, loaded whole, then quantised (the reference for the new path)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
    with torch.device("meta"):
        skeleton = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    state = load_gguf_checkpoint(
        str(gguf), return_tensors=True, model_to_load=skeleton, torch_dtype=torch.bfloat16
    )["tensors"]
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    assert model.load_state_dict(state, strict=False).missing_keys == []
    if precision == "fp32":
        model.float()
    return quantize_int8(model.eval()) if precision == "int8" else model.eval()


def test_the_int8_model_keeps_its_token_table_in_bf16_and_answers_as_with_f32(tiny_dir, tmp_path):
    """Half the table's memory (0.47 GB on the packaged model), the same logits as the f32
    table gave: its values came in bf16, so widening a looked-up row is exact."""
    import torch
    from transformers import AutoModelForCausalLM

    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="int8")
    f32_table = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.bfloat16)
    for name, module in list(f32_table.named_modules()):
        if isinstance(module, torch.nn.Linear):
            f32_table.set_submodule(name, int8_linear(module.weight, module.bias))
    f32_table.float()  # what quantising did before: every float tensor left in f32
    table = f32_table.get_input_embeddings().weight
    assert isinstance(table, torch.Tensor) and table.dtype == torch.float32
    f32_bytes = table.nbytes
    held = gen.model.get_input_embeddings()
    assert sum(t.nbytes for t in [*held.parameters(), *held.buffers()]) == f32_bytes // 2
    assert gen.model.dtype == torch.float32  # the rest, and what transformers reads, as before
    gen.tokenizer.padding_side = "left"
    batch = gen.tokenizer(
        ["The minister said", "The spokesman denied the report . Officials agreed"],
        return_tensors="pt",
        padding=True,
    )
    with torch.no_grad():
        got, expected = gen.model(**batch).logits, f32_table.eval()(**batch).logits
    assert got.abs().max() > 0
    assert torch.equal(got, expected)


@pytest.mark.parametrize("rows_bytes", [packaged.ROWS_BYTES, 3 * 32 * 4], ids=["whole", "3-rows"])
@pytest.mark.parametrize("precision", ["int8", "bf16", "fp32"])
def test_a_gguf_is_built_tensor_by_tensor_into_the_model_the_whole_state_gave(
    tiny_gguf, tmp_path, precision, rows_bytes, monkeypatch
):
    """No bf16 copy of the whole model (it peaked at 7 GiB on the packaged one), no bf16
    safetensors written; the same logits as dequantising everything and quantising after,
    also when each tensor is dequantised a few rows at a time (3 of the tiny token table's
    32-wide rows; the packaged model's tensors are all larger than one step)."""
    import torch

    monkeypatch.setattr(packaged, "ROWS_BYTES", rows_bytes)
    gen = generator_for(str(tiny_gguf), cache_dir=tmp_path, precision=precision)
    source = Path(resolve(str(tiny_gguf), tmp_path)[0])
    assert not list(source.glob("*.safetensors"))
    assert (source / packaged.GGUF_NAME).resolve() == tiny_gguf.resolve()
    ids = gen.tokenizer("The minister said the talks would continue", return_tensors="pt")
    with torch.no_grad():
        got = gen.model(ids["input_ids"]).logits
        expected = _whole_gguf_model(tiny_gguf, precision)(ids["input_ids"]).logits
    assert got.abs().max() > 0
    assert torch.equal(got, expected)


def _mapped(path: Path) -> bool:
    with open("/proc/self/maps") as maps:
        return any(line.rstrip().endswith(str(path.resolve())) for line in maps)


def test_the_gguf_is_not_mapped_while_its_weights_are_read(tiny_dir, tmp_path):
    """Reading through a mapping of the file left every page read resident: 1.1 GB of the
    packaged model's first start, on top of the model being built (bench/model_load.py)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    gguf = build_tiny_gguf(tiny_dir, tmp_path / "tiny.gguf")
    config = AutoConfig.from_pretrained(tiny_dir)
    with torch.device("meta"):
        skeleton = AutoModelForCausalLM.from_config(config)
    mapped_while_read = [_mapped(gguf) for _ in packaged.gguf_state(gguf, skeleton)]
    assert len(mapped_while_read) == len(skeleton.state_dict())
    assert not any(mapped_while_read)


def test_a_tensor_is_dequantised_a_few_rows_at_a_time(tmp_path, monkeypatch):
    """numpy's arrays (tracemalloc sees them) stay well under one f32 copy of the largest
    tensor, 1.6 MB here: dequantising it whole took 0.9 GB, and numpy's temporaries several
    times that, for the packaged model's output head."""
    import tracemalloc

    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    wide = build_tiny_model(tmp_path / "wide", hidden_size=1024)
    gguf = build_tiny_gguf(wide, tmp_path / "wide.gguf")
    with torch.device("meta"):
        skeleton = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(wide))
    largest = max(t.numel() * 4 for t in skeleton.state_dict().values())
    monkeypatch.setattr(packaged, "ROWS_BYTES", largest // 16)
    weights = packaged.gguf_state(gguf, skeleton)
    tracemalloc.start()
    try:
        next(weights)  # the reader and the reused buffer are made before the peak is taken
        tracemalloc.reset_peak()
        read = 1 + sum(1 for _ in weights)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read == len(skeleton.state_dict())
    assert peak < largest / 2


def test_a_gguf_missing_a_weight_is_refused_in_one_line(tiny_dir, tmp_path, monkeypatch):
    gguf = build_tiny_gguf(tiny_dir, tmp_path / "tiny.gguf")
    real = packaged.gguf_state

    def without_norm(path, model):
        return ((n, t) for n, t in real(path, model) if n != "model.norm.weight")

    monkeypatch.setattr(transformers_loading, "gguf_state", without_norm)
    with pytest.raises(ModelSetupError, match=r"tiny.gguf: weights missing .*model\.norm"):
        load_generator(
            str(gguf), cache_dir=tmp_path / "cache", local=LocalOptions(precision="int8")
        )


@pytest.mark.parametrize("reuse", [True, False], ids=["kept-prompts", "no-kept-prompts"])
@pytest.mark.parametrize("length", ["longer", "shorter"])
def test_a_follow_up_joins_the_running_batch_and_answers_as_if_asked_alone(
    tiny_dir, tmp_path, reuse, length
):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    gen.reuse_prompts = reuse
    system: ChatMessage = {
        "role": "system",
        "content": "You report what people said , and only that . " * 3,
    }
    first, other = [system, *SHORT], [system, *LONGER]
    # longer or shorter than what the running batch holds by then: one side is padded
    retry = (
        [*first, *convo("Avoid these problems : " + "none , " * 30)]
        if length == "longer"
        else convo("Again")
    )
    seen: list[str] = []

    def follow(answer: str):
        seen.append(answer)
        return retry if len(seen) == 1 else None

    with endless(gen):
        joined = gen.generate([first, other], max_new_tokens=[3, 14], follow_up=[follow, None])
        stats = gen.last_stats
        assert seen[0] == gen.generate([first], max_new_tokens=3)[0]
        assert joined == [
            gen.generate([retry], max_new_tokens=3)[0],
            gen.generate([other], max_new_tokens=14)[0],
        ]
    assert len(seen) == 2 and seen[1] == joined[0]
    # one decode run: the retry's 3 steps ran while the other row had steps to go
    assert stats.batches == [2] and stats.new_tokens == 3 + 3 + 14 and stats.follow_ups == 1


def _next_token_probs(gen: TransformersGenerator, conversation, options) -> list[float]:
    """The options' first-token probabilities from one plain pass over the whole prompt."""
    import torch

    ids = gen.tokenizer(gen.render(conversation), add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        logits = gen.model(input_ids=torch.tensor([ids])).logits[0, -1]
    probs = logits.float().softmax(-1)
    return [probs[gen._ids(o)[0]].item() for o in options]


@pytest.mark.parametrize("reuse", [True, False])
def test_judge_gives_each_options_next_token_probability_as_one_plain_pass_does(
    tiny_dir, tmp_path, reuse
):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    gen.reuse_prompts = reuse
    system: ChatMessage = {"role": "system", "content": "You report what people said ."}
    question = convo("The minister said the talks would continue ? Yes or No")
    rows = [[system, *LONGER, *question], [system, *SHORT, *convo("Officials agreed ?")]]
    options = ("Yes", "No", "The")
    verdicts = gen.judge(rows, options)
    for row, verdict in zip(rows, verdicts, strict=True):
        assert list(verdict) == list(options)
        expected = _next_token_probs(gen, row, options)
        assert list(verdict.values()) == pytest.approx(expected, rel=1e-4, abs=1e-7)
    if reuse:  # asked again, the text before the question is kept: only the question is read
        tokens = gen.tokenizer(gen.render(rows[0]), add_special_tokens=False)["input_ids"]
        kept = gen._message_ends(rows[0], tokens)[-2]
        assert gen.judge(rows[:1], options)[0] == pytest.approx(verdicts[0])
        assert gen.last_stats.prompt_tokens == len(tokens) - kept


def test_judge_may_be_asked_from_a_follow_up_of_a_generation_under_way(tiny_dir, tmp_path):
    """The checks ask for a verdict on each answer as it finishes, inside `generate`."""
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    asked = [*LONGER, *convo("Is that so ? Yes or No")]
    alone = gen.judge([asked])
    seen: list[list[dict[str, float]]] = []

    def follow(answer: str):
        seen.append(gen.judge([asked]))
        return None

    worker = threading.Thread(
        target=gen.generate,
        args=([SHORT, LONGER],),
        kwargs={"max_new_tokens": [3, 6], "follow_up": [follow, follow]},
        daemon=True,
    )
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the verdict waited on the generation that asked for it"
    assert len(seen) == 2 and all(v[0] == pytest.approx(alone[0]) for v in seen)


def test_avoided_phrases_are_never_written(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    encode = gen._ids
    with endless(gen):
        free = gen.generate([SHORT, LONGER], max_new_tokens=12)
        tokens = encode(free[1])
        # a word it wrote after a space, as one token: the model's noise has few of them
        at, word = next(
            (i, gen.tokenizer.decode([t]).strip())
            for i, t in enumerate(tokens)
            if i
            and gen.tokenizer.decode([t]).startswith(" ")
            and encode(" " + gen.tokenizer.decode([t]).strip()) == [t]
        )
        kept = gen.generate([SHORT, LONGER], max_new_tokens=12, avoid=[[], [word.upper()]])
    assert encode(kept[1])[:at] == tokens[:at] and encode(kept[1])[at] != tokens[at]
    assert kept[0] == free[0]  # another row's bans are its own


def test_a_banned_phrase_of_several_tokens_bans_only_its_last_after_the_rest():
    row = batch.Row(8, None, None, banned=[[5, 6, 7], [9]])
    assert row.banned_next() == [9]
    row.tokens = [1, 5, 6]
    assert row.banned_next() == [7, 9]
    row.tokens = [5, 6, 1]
    assert row.banned_next() == [9]


def test_an_opening_is_continued_and_opens_the_answer(tiny_dir, tmp_path):
    import torch

    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    opened = [*LONGER, {"role": "assistant", "content": "Officials"}]
    prompt = gen.render(opened)
    assert prompt.endswith("assistant\nOfficials")  # the opening is not closed
    ids = gen.tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        greedy = gen.model.generate(ids, max_new_tokens=6, do_sample=False, eos_token_id=None)
    expected = "Officials" + gen.tokenizer.decode(greedy[0, ids.shape[1] :])
    with endless(gen):
        [answer] = gen.generate([opened], max_new_tokens=6)
    assert answer == expected.strip()


def test_an_answer_may_not_begin_with_an_anchored_phrase(tiny_dir, tmp_path):
    import torch

    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    encode = gen._ids

    def first_word(opened):  # the greedy first token, if it is a whole word
        ids = torch.tensor([encode(gen.render(opened))])
        with torch.inference_mode():
            token = int(gen.model(ids).logits[0, -1].argmax())
        word = gen.tokenizer.decode([token])
        return word if encode(word) == [token] else None

    # an opening whose free answer begins with a word (the random model writes byte noise)
    opened, word = next(
        (o, w)
        for o in (
            [*c, {"role": "assistant", "content": a}]
            for c in (LONGER, SHORT)
            for a in ("Officials", "The minister", "The spokesman")
        )
        if (w := first_word(o))
    )
    opening = opened[-1]["content"]
    [free] = gen.generate([opened], max_new_tokens=1)
    [kept] = gen.generate([opened], max_new_tokens=1, avoid_first=[[opening + word]])
    assert free == (opening + word).strip()
    assert kept.startswith(opening) and kept != free


def test_an_anchored_phrase_is_banned_only_where_the_answer_begins():
    opening = batch.Opening("Rutte", [3, 4], anchored=[[3, 4, 7], [3, 4, 8, 9]])
    row = batch.Row(8, None, None, banned=[[5]]).start(opening)
    assert sorted(row.banned_next()) == [5, 7]
    row.tokens = [8]
    assert sorted(row.banned_next()) == [5, 9]
    row.tokens = [8, 1]
    assert row.banned_next() == [5]
    row.start(batch.Opening("", [], anchored=[[7]]))  # no opening: the start
    assert row.banned_next() == [5, 7] and row.tokens == []


def test_a_roomy_cache_layer_holds_what_concatenation_would():
    import torch

    from summarizer.model.kv_cache import ROOM, RoomyLayer

    layer, expected = RoomyLayer(), torch.empty(2, 1, 0, 4)
    for step, n in enumerate([5, 1, 1, ROOM, 1]):  # the fourth outgrows the room
        new = torch.full((2, 1, n, 4), float(step))
        keys, values = layer.update(new, -new)
        expected = torch.cat([expected, new], dim=-2)
        assert torch.equal(keys, expected) and torch.equal(values, -expected)
    layer.batch_select_indices(torch.tensor([1]))  # a row leaves: the layer adopts the rest
    new = torch.full((1, 1, 1, 4), 9.0)
    keys, _ = layer.update(new, -new)
    assert torch.equal(keys, torch.cat([expected[1:], new], dim=-2))


def test_a_converted_model_is_readable_by_other_users(tiny_dir, tmp_path):
    """An image converts the model as root and runs as another user."""
    import tempfile

    from transformers import AutoConfig, AutoTokenizer

    out = Path(tempfile.mkdtemp(dir=tmp_path))  # 0700, as prepare's working directory
    (out / packaged.GGUF_NAME).write_bytes(b"GGUF")
    (out / packaged.GGUF_NAME).chmod(0o600)  # as a file written under a strict umask
    packaged.save_converted(
        AutoTokenizer.from_pretrained(tiny_dir), AutoConfig.from_pretrained(tiny_dir), out
    )
    written = [out, *out.rglob("*")]
    assert any(p.name == "config.json" for p in written)
    for path in written:
        assert path.stat().st_mode & 0o444 == 0o444, path
        assert not path.is_dir() or path.stat().st_mode & 0o111 == 0o111, path


def test_the_summarizer_never_imports_bot():
    """bot → storage → summarizer → bot was a cycle (prepare read bot.settings): the
    summarizer takes what it needs as arguments, even in imports inside a function."""
    import ast

    import summarizer

    root = Path(summarizer.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "bot"]
    assert len(list(root.rglob("*.py"))) > 20  # the walk saw the package
    assert found == []


@pytest.mark.parametrize("decode", ["static", "compiled"])
def test_static_shapes_answer_as_the_dynamic_loop_does(tiny_dir, decode):
    """The GPU's decode loop (fixed shapes, a static cache, the step compiled) makes each
    row's choices as the CPU's does: rows at their own limits, a row stopped by its test,
    a follow-up longer than the batch, kept prompts. "compiled" traces the whole step with
    torch.compile (fullgraph: a graph break fails) on the eager backend: inductor would
    take minutes on a small CPU."""
    dynamic = load_transformers(str(tiny_dir), name="t", precision="fp32")
    fixed = load_transformers(str(tiny_dir), name="t", precision="fp32", decode=decode)
    fixed.compile_backend = "eager"
    assert fixed.name == f"t [fp32, {decode}]"
    system: ChatMessage = {"role": "system", "content": "You report what people said . " * 3}
    first, other, third = [system, *SHORT], [system, *LONGER], [system, *convo("Again")]
    retry = [*first, *convo("Avoid these problems : " + "none , " * 30)]

    def ask(gen: TransformersGenerator) -> list[str]:
        seen: list[str] = []

        def follow(answer: str):
            seen.append(answer)
            return retry if len(seen) == 1 else None

        with endless(gen):
            answers = gen.generate(
                [first, other, third],
                max_new_tokens=[3, 14, 9],
                follow_up=[follow, None, None],
                complete=[None, None, lambda text: len(text) >= 6],
            )
        return [*answers, seen[0]]

    expected = ask(dynamic)
    assert ask(fixed) == expected and all(expected)
    stats = fixed.last_stats
    assert stats.batches == [3] and stats.follow_ups == 1
    # the retry ran in a pass of its own: as many steps as the longest row, then its own 3
    assert stats.steps == 14 + 3
    # the same shape finds the same cache, whose tensors a CUDA graph would read in place
    caches = dict(fixed._static_caches)
    assert ask(fixed) == expected
    assert fixed._static_caches == caches


def test_the_compiled_step_sees_a_few_shapes_fixed_in_advance(tiny_dir):
    """Briefs of every size must not each bring a shape of their own to the compiled step:
    on a GPU each shape is a CUDA graph recorded and a static cache kept for the process,
    and dynamo stops compiling past its recompile limit. Nine batch sizes and two lengths
    here: the shapes are powers of two, and dynamo compiles a few graphs for them all."""
    import torch
    from torch._dynamo.utils import counters

    torch._dynamo.reset()  # graphs other tests compiled count towards the same limit
    gen = load_transformers(str(tiny_dir), name="t", precision="fp32", decode="compiled")
    gen.compile_backend = "eager"
    before = counters["stats"]["unique_graphs"]
    with endless(gen):
        for n in range(1, 10):
            words = "again . " * (90 if n % 2 else 1)  # odd sizes need the longer cache
            gen.generate([convo(f"The minister said {words}")] * n, max_new_tokens=2)
    graphs = counters["stats"]["unique_graphs"] - before
    shapes = set(gen._static_caches)
    assert {rows for rows, _ in shapes} == {1, 2, 4, 8, 16}
    assert {length for _, length in shapes} == {STATIC_CHUNK, 2 * STATIC_CHUNK}
    assert 1 <= graphs <= 4 < torch._dynamo.config.recompile_limit


def test_a_gpu_setting_without_a_gpu_or_with_int8_fails_in_one_line(tiny_dir):
    import torch

    with pytest.raises(ModelSetupError, match="int8 runs on a CPU only"):
        load_transformers(str(tiny_dir), name="t", precision="int8", device="cuda")
    if not torch.cuda.is_available():
        with pytest.raises(ModelSetupError, match="torch sees no GPU"):
            load_transformers(str(tiny_dir), name="t", device="cuda")


@pytest.mark.parametrize("decode", ["dynamic", "static"])
def test_the_callers_time_is_kept_apart_from_prefill_and_decode(tiny_dir, decode):
    """A follow-up's checks and verdicts, and each completion test, run inside the decode
    loop; counted as decoding, the verdicts a benchmark timed itself were subtracted twice
    and its checks' column read negative seconds. On a clock that moves only when the model
    reads or writes (1 s a pass) or the caller's code runs (10 s a follow-up, 100 s a
    completion test), the three parts add up to the call's time and the caller's part is
    exactly what the caller spent."""
    gen = load_transformers(str(tiny_dir), name="t", precision="fp32", decode=decode)
    now = [0.0]
    gen.clock = lambda: now[0]
    forward, passes = gen._forward, []

    def counted(*args, **kw):
        passes.append(1)
        now[0] += 1.0
        return forward(*args, **kw)

    gen._forward = counted  # type: ignore[method-assign]
    retry = [*SHORT, *convo("Avoid these problems : none")]
    follow_ups, tests = [], []

    def follow(answer: str):
        follow_ups.append(answer)
        now[0] += 10.0
        return retry if len(follow_ups) == 1 else None

    def complete(text: str) -> bool:
        tests.append(text)
        now[0] += 100.0
        return len(tests) >= 4

    with endless(gen):
        gen.generate(
            [SHORT, LONGER],
            max_new_tokens=[3, 9],
            follow_up=[follow, None],
            complete=[None, complete],
        )
    stats = gen.last_stats
    assert len(follow_ups) == 2 and len(tests) == 4
    assert stats.callers_s == 10.0 * 2 + 100.0 * 4
    assert stats.prefill_s + stats.decode_s == len(passes)
    assert stats.decode_s >= stats.steps - 2  # a pass a step, but the first
    assert stats.prefill_s + stats.decode_s + stats.callers_s == now[0]
