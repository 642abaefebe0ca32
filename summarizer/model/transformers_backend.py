"""The in-process `TextGenerator`: a transformers causal LM, tuned for a small CPU.

What made it fast enough on 2 cores (figures in bench/model.py's output):
- int8 dynamic quantisation of every Linear (`quantize`; loading it: `transformers_loading`);
- batching: the prompts of one brief decode together, so one pass over the weights
  serves every speaker;
- kept prompts (`prompt_cache`): each prompt is read alone, so no padding is read; each
  task's system message (its rules and wording) is read once per process, and a retry reuses its
  first prompt's system and text messages, so only its task message (problems included)
  is read again; in the batch, rows are padded in the middle (kept part, padding, own
  part) and positions skip the pads;
- a cache with room to grow (`kv_cache`): a decode step writes its keys and values into
  the room instead of copying every layer's whole cache to append them;
- rows leave the batch when done: at end of turn, at their own token limit, or when the
  caller's test says the rest would be cut away (a stance line's second sentence) or can
  no longer pass; a row's follow-up (its retry) then joins the running batch at the next
  step instead of waiting for a pass of its own;
- grouping by a cost model (`batch`, beside each row's stopping and banned tokens):
  padding a short prompt to a long one wastes prefill, but each extra group is one more
  full decode run, which costs more on a CPU than a few hundred padded tokens.

On a GPU the cost is the other way round: a decode step of this model's shape is bound by
launching its hundreds of small kernels (~70 ms a step on one H100 with the loop above,
where reading the weights takes ~1 ms), and a row more or less costs next to nothing. So
`decode="static"` keeps every shape of a group fixed from its first step to its last: a
transformers `StaticCache` (kept per batch size and length, so its tensors keep their
addresses from brief to brief), finished rows stay in the batch fed a pad token with their
new keys masked, and a row's follow-up waits for a pass of its own after its group instead
of joining it. `decode="compiled"` adds `torch.compile` of the decode step, whose fixed
shapes and addresses let it replay as CUDA graphs (`mode="reduce-overhead"`) on a GPU.
Prompt-lookup drafts need the changing widths that static shapes rule out: not drafted there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from summarizer.model.base import ChatMessage, Completion, FollowUp, GenerationInterrupted
from summarizer.model.batch import (
    Opening,
    Row,
    avoided_forms,
    cheapest_groups,
    real_positions,
    stack_kept,
)
from summarizer.model.chat_template import fit, render
from summarizer.model.prompt_cache import PromptCache, StoredPrompt
from summarizer.model.prompt_lookup import draft_room

# Prompt tokens whose keys and values are kept for reuse: ~230 MB for the packaged model,
# room for every prompt of a long article's brief until its last retry has been read.
PROMPT_CACHE_TOKENS = 4096
# A static cache's length is this times a power of two, and its rows a power of two
# (`_bucket`): `_static` says why.
STATIC_CHUNK = 256

Decode = Literal["dynamic", "static", "compiled"]
T = TypeVar("T")


def _bucket(n: int) -> int:
    """The least power of two not below `n` (n >= 1)."""
    return 1 << (n - 1).bit_length()


@dataclass
class GenerationStats:
    """What the last `generate` call cost; the benchmark reads it, nothing else depends on it."""

    prompt_tokens: int = 0
    new_tokens: int = 0
    steps: int = 0  # decode passes: a brief's decode time is about steps x one pass
    prefill_s: float = 0.0
    decode_s: float = 0.0
    # The caller's code the decode loop runs: each row's completion test and follow-up (a
    # draft's checks, the model's verdicts on it, its retry prompt). Not in decode_s: a
    # benchmark that timed the verdicts itself subtracted them twice, and printed the
    # checks' share as negative seconds.
    callers_s: float = 0.0
    batches: list[int] = field(default_factory=list)
    follow_ups: int = 0  # rows that joined a running batch (retries)
    drafted: int = 0  # draft tokens fed (prompt lookup)
    accepted: int = 0  # of those, the ones greedy decoding chose too


class TransformersGenerator:
    """One model, one lock: callers may share the instance across threads."""

    def __init__(
        self, model, tokenizer, name: str, *, max_batch: int = 16, decode: Decode = "dynamic"
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.max_batch = max_batch
        self.decode = decode
        self._static_caches: dict[tuple[int, int], Any] = {}  # (rows, length) -> StaticCache
        self._compiled_step: Any = None  # torch.compile of the model's forward, on first use
        # torch.compile's backend; "eager" traces the same whole graph without generating
        # code (the tests' choice: inductor takes minutes on a small CPU, seconds on a GPU)
        self.compile_backend = "inductor"
        self.reuse_prompts = True
        self.lookup = False  # drafts from the prompt (`prompt_lookup`: why off)
        self.prompts = PromptCache(PROMPT_CACHE_TOKENS)
        self.last_stats = GenerationStats()
        self._lock = threading.RLock()  # re-entrant: a follow-up may ask `judge`
        self.clock: Callable[[], float] = time.perf_counter  # what the stats are timed by
        self._interrupt = threading.Event()
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token

    def interrupt(self) -> None:
        self._interrupt.set()

    def render(self, conversation: Sequence[ChatMessage]) -> str:
        """The prompt text; a last assistant message is the answer's opening, continued."""
        return render(self.tokenizer, conversation)

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
        import torch

        n = len(conversations)
        limits = [max_new_tokens] * n if isinstance(max_new_tokens, int) else list(max_new_tokens)
        tests = list(complete) if complete is not None else [None] * n
        nexts = list(follow_up) if follow_up is not None else [None] * n
        phrases: list[Sequence[str]] = list(avoid) if avoid is not None else [()] * n
        given: list[Sequence[str]] = list(avoid_first) if avoid_first is not None else [()] * n
        # a phrase avoided anywhere may not begin an answer either, where it has no space
        firsts = [(*p, *f) for p, f in zip(phrases, given, strict=True)]
        prompts = [self._prompt(c) for c in conversations]
        results: list[str] = [""] * n
        stats = GenerationStats()
        with self._lock, torch.inference_mode():
            self._interrupt.clear()
            # then all rows decode together, each feeding the assistant header
            hits, own = self._kept_parts(prompts, stats)
            for group in cheapest_groups(own, self.max_batch):
                stats.batches.append(len(group))
                stats.prompt_tokens += sum(own[i] for i in group)
                answers = self._decode(
                    [prompts[i][0] for i in group],
                    [hits[i] for i in group],
                    [
                        Row(
                            limits[i], tests[i], nexts[i], firsts[i], self._banned(phrases[i])
                        ).start(
                            self._opening(conversations[i], prompts[i][0], firsts[i]),
                            prompts[i][0] if self.lookup else None,
                        )
                        for i in group
                    ],
                    stats,
                )
                for i, answer in zip(group, answers, strict=True):
                    results[i] = answer
        self.last_stats = stats
        return results

    def judge(
        self, conversations: Sequence[Sequence[ChatMessage]], options: Sequence[str] = ("Yes", "No")
    ) -> list[dict[str, float]]:
        """Each option's probability as the next token after each prompt (its first token's),
        from one forward pass and no decoding: a yes/no verdict costs only its prompt. A
        conversation's messages before its last are read from what is kept and kept, as
        `generate` reads them, so a question asked after a brief's prompt text reads only
        itself; the question is not kept (nothing asks it twice). May be called from a
        follow-up of `generate` (the lock is re-entrant); it leaves an interrupt set."""
        import torch

        firsts = [self._ids(option)[0] for option in options]
        prompts = [self._prompt(c) for c in conversations]
        # every message but the last (the question) is read from what is kept, and kept
        context = [(ids, [e for e in ends if e < ends[-1]]) for ids, ends in prompts]
        results: list[dict[str, float]] = [{} for _ in prompts]
        stats = GenerationStats()
        with self._lock, torch.inference_mode():
            hits, own = self._kept_parts(context, stats)
            for group in cheapest_groups(own, self.max_batch):
                started = self.clock()
                stats.batches.append(len(group))
                stats.prompt_tokens += sum(own[i] for i in group)
                feed, mask, cache = self._assemble(
                    [prompts[i][0] for i in group], [hits[i] for i in group]
                )
                probs = self._forward(feed, mask, cache).float().softmax(-1)[:, firsts]
                stats.prefill_s += self.clock() - started
                for i, row in zip(group, probs.tolist(), strict=True):
                    results[i] = dict(zip(options, row, strict=True))
        self.last_stats = stats
        return results

    def _kept_parts(
        self, prompts: Sequence[tuple[list[int], list[int]]], stats: GenerationStats
    ) -> tuple[list[tuple[int, StoredPrompt | None]], list[int]]:
        """Each prompt's messages up to its `ends` read alone, from what is kept (so no padding
        is read), then per prompt the kept part it starts from and the tokens left to read."""
        if self.reuse_prompts:
            for ids, ends in prompts:
                self._read(ids, ends, stats)
        hits = [self._reusable(ids, ends) for ids, ends in prompts]
        own = [len(ids) - kept for (ids, _), (kept, _) in zip(prompts, hits, strict=True)]
        return hits, own

    def _opening(
        self, conversation: Sequence[ChatMessage], ids: list[int], firsts: Sequence[str]
    ) -> Opening:
        """How the answer to `conversation` opens, and which of `firsts` it may begin with."""
        text = conversation[-1]["content"] if conversation[-1]["role"] == "assistant" else ""
        opening = self._ids(text) if text else []
        if ids[len(ids) - len(opening) :] != opening:  # merged with the header: no anchoring
            return Opening(text)
        return Opening(text, opening, self._anchored(firsts, text, opening))

    def _banned(self, phrases: Sequence[str]) -> list[list[int]]:
        """Each phrase as the token sequences the model writes it with (`avoided_forms`)."""
        return [self._ids(form) for form in avoided_forms(phrases)]

    def _anchored(self, phrases: Sequence[str], opening: str, ids: list[int]) -> list[list[int]]:
        """The phrases an answer may not begin with (its opening included), as the token
        sequences of the opening and then the rest: "Rutte is" after the opening "Rutte".
        An answer with no opening may not begin with any phrase, in its form without a
        leading space."""
        forms = {
            variant[len(opening) :]
            for phrase in phrases
            for variant in (phrase, phrase[:1].upper() + phrase[1:])
            if variant.startswith(opening) and len(variant) > len(opening)
        }
        return [ids + self._ids(rest) for rest in sorted(forms)]

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _prompt(self, conversation: Sequence[ChatMessage]) -> tuple[list[int], list[int]]:
        """A conversation's token ids and where its messages end in them."""
        fitted = fit(self.tokenizer, conversation)
        ids = self.tokenizer(self.render(fitted), add_special_tokens=False)["input_ids"]
        return ids, self._message_ends(fitted, ids)

    def _message_ends(self, conversation: Sequence[ChatMessage], ids: list[int]) -> list[int]:
        """Where each message ends in `ids` (the last one before the assistant header): the
        only places a kept prompt may end."""
        ends = []
        for k in range(1, len(conversation) + 1):
            text = self.tokenizer.apply_chat_template(
                list(conversation[:k]), tokenize=False, add_generation_prompt=False
            )
            head = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            if len(head) < len(ids) and ids[: len(head)] == head:
                ends.append(len(head))
        return ends

    def _reusable(self, ids: list[int], ends: list[int]) -> tuple[int, StoredPrompt | None]:
        stored = self.prompts.longest(ids, ends) if self.reuse_prompts else None
        return (len(stored.ids), stored) if stored else (0, None)

    def _read(self, ids: list[int], ends: list[int], stats: GenerationStats) -> None:
        """Read `ids` up to its last message end, from the longest kept part, and keep it.
        The first message (the task's system message, shared by all its prompts) is read
        alone, so it is read once and shared; the rest in one pass."""
        if self._interrupt.is_set():
            raise GenerationInterrupted("generation interrupted")
        stored = self.prompts.longest(ids, ends)
        start = len(stored.ids) if stored else 0
        todo = [e for e in ends if e > start]
        if not todo:
            return
        for stop in sorted({todo[0], todo[-1]} if start == 0 else set(todo[-1:])):
            started = self.clock()
            feed, mask, cache = self._assemble([ids[:stop]], [(start, stored)])
            self._forward(feed, mask, cache)
            # copies, not views: the read's buffers keep room for decoding it will not do
            layers = [(layer.keys[0].clone(), layer.values[0].clone()) for layer in cache.layers]
            self.prompts.add(ids[:stop], layers, [e for e in todo if start < e <= stop])
            stats.prompt_tokens += feed.shape[1]
            stats.prefill_s += self.clock() - started
            stored, start = self.prompts.longest(ids, [stop]), stop
            if stored is None:  # longer than the whole cache: decoding reads the rest
                return

    def _assemble(
        self,
        rows: list[list[int]],
        hits: list[tuple[int, StoredPrompt | None]],
        room: int | None = None,
    ):
        """The tokens to feed, the attention mask and the cache for a batch of rows whose
        openings come from kept prompts. Kept parts are padded on the left to one depth and
        the rest in the middle; the mask hides every pad and positions skip them. With
        `room`, the cache is static, with room for that many more tokens."""
        import torch

        from summarizer.model.kv_cache import new_cache

        reused = [n for n, _ in hits]
        depth, pad = max(reused), self.tokenizer.pad_token_id
        own = [len(r) - n for r, n in zip(rows, reused, strict=True)]
        width = max(own)
        feed = [[pad] * (width - o) + r[n:] for r, n, o in zip(rows, reused, own, strict=True)]
        mask = [
            [0] * (depth - n) + [1] * n + [0] * (width - o) + [1] * o
            for n, o in zip(reused, own, strict=True)
        ]
        cache = (
            new_cache(self.model.config)
            if room is None
            else self._static(len(rows), depth + width + room)
        )
        if depth:
            for layer in range(len(next(s for _, s in hits if s is not None).layers)):
                keys, values = (stack_kept(hits, layer, part, depth) for part in (0, 1))
                cache.update(keys, values, layer)
        device = self.model.device
        return torch.tensor(feed, device=device), torch.tensor(mask, device=device), cache

    def _static(self, rows: int, tokens: int):
        """An emptied static cache of `rows` with room for `tokens` (rounded up), the same
        one for the same shape every time: a compiled step's CUDA graphs read its tensors
        at the addresses they were recorded with.

        Rows come as a power of two (`_decode_static` pads the batch) and the length as
        STATIC_CHUNK times a power of two, so the shapes over any run are a few, fixed in
        advance: log2(max_batch) + 1 row counts by log2(longest / STATIC_CHUNK) + 1 lengths.
        Each shape costs a cache kept for the process and, on a GPU, a CUDA graph recorded
        for it; rounding to each multiple of STATIC_CHUNK and keeping every batch size made
        one per pair, up to max_batch x longest / STATIC_CHUNK of them as briefs vary.
        Dynamo itself compiles a handful of graphs for them all (the sizes that change
        become symbolic: "automatic dynamic shapes"), below its recompile limit. A pad row
        costs a GPU next to nothing; at most it doubles a batch's prefill."""
        from transformers import StaticCache

        length = _bucket(-(-tokens // STATIC_CHUNK)) * STATIC_CHUNK
        cache = self._static_caches.get((rows, length))
        if cache is None:
            cache = StaticCache(config=self.model.config, max_cache_len=length)
            self._static_caches[rows, length] = cache
        else:
            cache.reset()
        return cache

    def _step(self):
        """The model's forward for decode steps: compiled with `decode="compiled"` (CUDA
        graphs on a GPU), else as it is. Prefill stays eager: its shapes change with
        every prompt, and compiling each would cost more than it saves."""
        if self.decode != "compiled":
            return self.model
        if self._compiled_step is None:
            import torch

            cuda = self.model.device.type == "cuda"
            self._compiled_step = torch.compile(
                self.model.forward,
                backend=self.compile_backend,
                mode="reduce-overhead" if cuda and self.compile_backend == "inductor" else None,
                fullgraph=True,
            )
        return self._compiled_step

    def _forward(self, feed, mask, cache, positions=None, keep: int = 0, step: bool = False):
        """One pass over `feed`, extending `cache`; the logits of each row's last token, or
        with `keep`, of its last `keep` tokens (a draft's). Positions count each row's real
        tokens, so pads never shift them. `step`: a decode step of a static batch."""
        if positions is None:
            positions = real_positions(mask)[:, -feed.shape[1] :]
        logits = (self._step() if step else self.model)(
            input_ids=feed,
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=keep or 1,
        ).logits
        if step:  # a compiled step's output is overwritten by its next replay
            logits = logits.clone()
        return logits[:, -keep:] if keep else logits[:, -1]

    def _text(self, row: Row) -> str:
        """The answer so far, its opening included."""
        said = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
        return (row.opening.text + said).strip()

    def _complete(self, row: Row, stats: GenerationStats) -> bool:
        """The row's completion test, if it has one (its text is decoded only then)."""
        return row.complete is not None and bool(self._caller(stats, row.complete, self._text(row)))

    def _caller(
        self, stats: GenerationStats, call: Callable[[str], T] | None, text: str
    ) -> T | None:
        """The caller's `call` on an answer, if any, its time kept out of prefill and decode."""
        if call is None:
            return None
        started = self.clock()
        try:
            return call(text)
        finally:
            stats.callers_s += self.clock() - started

    def _end_tokens(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        return set(eos if isinstance(eos, list) else [] if eos is None else [eos])

    def _decode(self, prompts, hits, rows: list[Row], stats) -> list[str]:
        """Greedy decoding that takes each row out of the batch as soon as it is finished:
        at its end-of-turn token, at its own token limit, or when its `complete` test says
        the rest would be cut away. `model.generate` computes every row until the longest is
        done; here a row that has said what will be kept stops costing anything. A row's
        follow-up (a retry) joins the batch at the next step, so it decodes alongside the
        rows still running instead of in a pass of its own after them.

        With `lookup`, each row feeds its last token and a draft of the next few from its
        prompt (`prompt_lookup`); one pass scores them all, and the row takes its greedy
        choices in order while they agree with the draft (`_take`). A draft token not taken
        stays in the cache until the batch's longest taken run ends, hidden by the mask."""
        import torch

        if self.decode != "dynamic":
            return self._decode_static(prompts, hits, rows, stats)
        started, first, joining_s, callers = self.clock(), None, 0.0, stats.callers_s
        feed, mask, cache = self._assemble(prompts, hits)
        positions = real_positions(mask)[:, -feed.shape[1] :]
        active = list(range(len(rows)))  # batch row -> index into the group
        drafts: list[list[int]] = [[] for _ in rows]  # the first pass reads the prompts
        width = 1  # tokens scored per row: the last fed and its draft
        answers = [""] * len(rows)
        while active:
            if self._interrupt.is_set():
                raise GenerationInterrupted("generation interrupted")
            logits = self._forward(feed, mask, cache, positions, keep=width)
            if first is None:
                first = self.clock()
            stats.steps += 1
            keep, joining, fed = [], [], []
            for b, r in enumerate(active):
                row, draft = rows[r], drafts[b]
                taken, done = self._take(row, logits[b], draft, stats)
                stats.drafted += len(draft)
                stats.accepted += taken
                fed.append(1 + taken)  # the last token and the draft tokens taken
                if not done:
                    keep.append(b)
                    continue
                answer = self._text(row)
                answers[r] = answer
                then = self._caller(stats, row.follow_up, answer)
                if then is not None:
                    ids, message_ends = self._prompt(then)
                    row.start(self._opening(then, ids, row.firsts), ids if self.lookup else None)
                    joining.append((r, (ids, message_ends)))
            if width > 1:  # each row's next position follows what it fed and took
                after = positions[:, 0] + torch.tensor(fed, device=mask.device)
            else:
                after = positions[:, -1] + 1
            if len(keep) < len(active):
                index = torch.tensor(keep, dtype=torch.long, device=mask.device)
                cache.batch_select_indices(index)
                mask, after = mask[index], after[index]
                active = [active[b] for b in keep]
                fed = [fed[b] for b in keep]
            if width > 1:
                mask = self._drop_untaken(cache, mask, fed, width)
            last = [rows[r].tokens[-1] for r in active]
            for r, (ids, message_ends) in joining:
                joined = self.clock()
                mask, after = self._join(ids, message_ends, cache, mask, after, stats)
                joining_s += self.clock() - joined
                active.append(r)
                last.append(ids[-1])  # the prompt's last token is fed with the next step
            room = draft_room(len(active))
            drafts = [rows[r].draft(room) for r in active]
            width = 1 + max((len(d) for d in drafts), default=0)
            pad = self.tokenizer.pad_token_id
            feed = torch.tensor(
                [[t, *d] + [pad] * (width - 1 - len(d)) for t, d in zip(last, drafts, strict=True)],
                dtype=torch.long,
                device=mask.device,
            )
            positions = after[:, None] + torch.arange(width, device=mask.device)
            fresh = [[1] * (1 + len(d)) + [0] * (width - 1 - len(d)) for d in drafts]
            mask = torch.cat([mask, mask.new_tensor(fresh).reshape(len(active), width)], dim=1)
        end = self.clock()
        stats.prefill_s += (first or end) - started + joining_s
        stats.decode_s += end - (first or end) - joining_s - (stats.callers_s - callers)
        return answers

    def _decode_static(self, prompts, hits, rows: list[Row], stats) -> list[str]:
        """`_decode` with every shape fixed from the first step to the last (the module's
        docstring says why): the cache is static, a finished row stays in the batch fed a
        pad whose keys the mask hides, and follow-ups decode together in a pass of their
        own once this one is done. Each row's choices are made as `_decode` makes them."""
        import torch.nn.functional as F

        started, callers = self.clock(), stats.callers_s
        pad = self.tokenizer.pad_token_id
        # rows up to the batch's bucket (`_static`: why) read one pad and are never live
        spare = _bucket(len(rows)) - len(rows)
        feed, mask, cache = self._assemble(
            [*prompts, *[[pad]] * spare],
            [*hits, *[(0, None)] * spare],
            room=max(row.limit for row in rows),
        )
        positions = real_positions(mask)[:, -feed.shape[1] :]
        filled, length = mask.shape[1], cache.layers[0].max_cache_len
        mask = F.pad(mask, (0, length - filled))
        live = [True] * len(rows) + [False] * spare
        answers = [""] * len(rows)
        later: list[tuple[int, tuple[list[int], list[int]]]] = []  # rows whose follow-ups wait
        first = None
        while True:
            if self._interrupt.is_set():
                raise GenerationInterrupted("generation interrupted")
            logits = self._forward(feed, mask, cache, positions, keep=1, step=first is not None)
            if first is None:
                first = self.clock()
            stats.steps += 1
            for b, row in enumerate(rows):
                if not live[b]:
                    continue
                _, done = self._take(row, logits[b], [], stats)
                if not done:
                    continue
                live[b] = False
                answers[b] = self._text(row)
                then = self._caller(stats, row.follow_up, answers[b])
                if then is not None:
                    ids, message_ends = self._prompt(then)
                    row.start(self._opening(then, ids, row.firsts))
                    later.append((b, (ids, message_ends)))
            if not any(live):
                break
            mask[:, filled] = mask.new_tensor(live)
            filled += 1
            feed = feed.new_tensor(
                [[rows[b].tokens[-1] if on else pad] for b, on in enumerate(live)]
            )
            positions = positions[:, -1:] + 1
        end = self.clock()
        stats.prefill_s += first - started
        stats.decode_s += end - first - (stats.callers_s - callers)
        if later:
            kept = [self._reusable(ids, ends) for _, (ids, ends) in later]
            stats.follow_ups += len(later)
            stats.prompt_tokens += sum(
                len(ids) - n for (_, (ids, _)), (n, _) in zip(later, kept, strict=True)
            )
            again = self._decode_static(
                [ids for _, (ids, _) in later], kept, [rows[b] for b, _ in later], stats
            )
            for (b, _), answer in zip(later, again, strict=True):
                answers[b] = answer
        return answers

    def _take(self, row: Row, logits, draft: list[int], stats) -> tuple[int, bool]:
        """Greedy decoding's choices for `row` from one pass's scores, in order: the next
        token after the row's last, then after each draft token that matched its choice.
        Each choice is made exactly as a one-token step would make it (banned tokens,
        end of turn, limit, completion test), so the answer cannot differ from plain greedy
        decoding. Returns how many draft tokens were taken, and whether the row is done."""
        ends = self._end_tokens()
        for j in range(len(draft) + 1):
            scores = logits[j]
            banned = row.banned_next()
            if banned:
                scores[banned] = float("-inf")
            token = int(scores.argmax())
            stats.new_tokens += 1
            if token in ends:
                return j, True
            row.add(token)
            if len(row.tokens) >= row.limit or self._complete(row, stats):
                return j, True
            if j == len(draft) or token != draft[j]:
                return j, False
        raise AssertionError("unreachable: the loop returns at its last position")

    @staticmethod
    def _drop_untaken(cache, mask, fed: list[int], width: int):
        """After a pass with drafts: hide each row's draft tokens not taken, and drop the
        cache positions no row took (the room of the cache's buffers is kept)."""
        import torch

        depth = mask.shape[1]
        hide = torch.tensor(fed, device=mask.device)[:, None] <= torch.arange(
            width, device=mask.device
        )
        mask = mask.clone()
        mask[:, depth - width :] = mask[:, depth - width :].masked_fill(hide, 0)
        spare = width - max(fed, default=width)
        if spare:
            for layer in cache.layers:
                layer.crop(-spare)
            mask = mask[:, : depth - spare]
        return mask

    def _join(self, ids, ends, cache, mask, after, stats):
        """Read a follow-up prompt alone, from its longest kept part up to its last token
        (which the next step feeds), and append its keys and values to the batch's cache as
        one more row; the shorter side is padded on the left, and the mask hides the pads.
        Returns the batch's new mask and next positions."""
        import torch
        import torch.nn.functional as F

        n, stored = self._reusable(ids[:-1], [e for e in ends if e < len(ids) - 1])
        feed, own_mask, own_cache = self._assemble([ids[:-1]], [(n, stored)])
        self._forward(feed, own_mask, own_cache)
        stats.prompt_tokens += feed.shape[1]
        stats.follow_ups += 1
        width = max(mask.shape[1], own_mask.shape[1])
        for layer, own in zip(cache.layers, own_cache.layers, strict=True):
            for part in ("keys", "values"):
                ours, theirs = getattr(layer, part), getattr(own, part)
                setattr(
                    layer,
                    part,
                    torch.cat(
                        [
                            F.pad(ours, (0, 0, width - ours.shape[-2], 0)),
                            F.pad(theirs, (0, 0, width - theirs.shape[-2], 0)),
                        ]
                    ),
                )
        mask = torch.cat(
            [
                F.pad(mask, (width - mask.shape[1], 0)),
                F.pad(own_mask, (width - own_mask.shape[1], 0)),
            ]
        )
        return mask, torch.cat([after, after.new_tensor([len(ids) - 1])])
