"""Brief prompts through llama.cpp, for bench/model.py's side-by-side comparison.

Run by bench/model.py with .venv-llama's python (llama-cpp-python is a comparison, never a
dependency, so this file imports only the standard library and llama_cpp):

    .venv-llama/bin/python bench/llama_brief.py --model FILE.gguf --threads N

It loads the GGUF once, in this process (no HTTP server: a server's JSON and sockets would
be timed too), prints one JSON line with the load time and memory, then answers each JSON
line on stdin with one JSON line on stdout. A request is
`{"prompts": [{"text": ..., "max_tokens": ...}, ...], "fresh": false}`: each prompt's text
(already rendered through the chat template, special tokens written out) is decoded greedily
up to `max_tokens` new tokens or an end-of-generation token. llama.cpp keeps the previous
prompt's keys and values and rereads only from the first token that differs, as a user of
it gets by default; `fresh` clears them first, so a whole prompt is read. The reply sums the
prompt tokens actually read, the new tokens, and the seconds spent on each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from rss import rss_now, rss_peak


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def run(llm, llama_cpp, prompts: list[dict], fresh: bool) -> dict:
    """Decode each prompt greedily; the first token's wait is prefill, the rest decode."""
    totals = {"prompt_tokens": 0, "new_tokens": 0, "prefill_s": 0.0, "decode_s": 0.0}
    for prompt in prompts:
        tokens = llm.tokenize(prompt["text"].encode(), add_bos=False, special=True)
        if fresh:
            llm.reset()
        # what llama.cpp rereads: from the first differing token (the last one at least)
        kept = common_prefix(list(llm._input_ids[: llm.n_tokens]), tokens)
        totals["prompt_tokens"] += len(tokens) - min(kept, len(tokens) - 1)
        started = time.perf_counter()
        first = None
        new = 0
        for token in llm.generate(tokens, temp=0.0, top_k=1, repeat_penalty=1.0):
            new += 1
            if first is None:
                first = time.perf_counter()
            if new >= prompt["max_tokens"] or llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                break
        end = time.perf_counter()
        totals["prefill_s"] += (first or end) - started
        totals["decode_s"] += end - (first or end)
        totals["new_tokens"] += new
    return {**totals, "rss_gib": rss_now(), "peak_rss_gib": rss_peak()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", required=True, help="the GGUF file")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--ctx", type=int, default=4096)
    args = p.parse_args()

    import llama_cpp

    started = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=args.model,
        n_ctx=args.ctx,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        verbose=False,
    )
    loaded = {
        "load_s": time.perf_counter() - started,
        "rss_gib": rss_now(),
        "peak_rss_gib": rss_peak(),
        "version": llama_cpp.__version__,
    }
    print(json.dumps(loaded), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        reply = run(llm, llama_cpp, request["prompts"], request.get("fresh", False))
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
