"""A tiny random-weights Qwen2 model with a word-level tokenizer and a chat template.

Built from nothing in under a second, so loading, batching and generation plumbing can be
tested without the 1.1 GB packaged model and without any network. Its output is noise.
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = """
The minister said the talks would continue next week . The spokesman denied the report .
Officials agreed to meet again in the capital . The author argues that the plan will fail .
A neutral summary reports who said what and when . Write one sentence about the speaker .
system user assistant news article excerpt quotes position stance summary neutral words
"""


def build_tiny_model(directory: Path, *, seed: int = 0, hidden_size: int = 32) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    # Byte-level BPE, like Qwen2's own: AutoTokenizer rebuilds a qwen2 checkpoint's
    # tokenizer as byte-level BPE whatever the file says, so a word-level one would break.
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(CORPUS.splitlines(), trainer=trainer)
    vocab = core.get_vocab()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="<unk>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=core.get_vocab_size(),
        hidden_size=hidden_size,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=False,  # tied, a random model echoes its last token forever
        eos_token_id=vocab["<|im_end|>"],
        pad_token_id=vocab["<|endoftext|>"],
    )
    model = Qwen2ForCausalLM(config)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_tiny_gguf(model_dir: Path, path: Path) -> Path:
    """The tiny model of `model_dir` as a GGUF file, its matrices in Q8_0: the packaged model
    arrives as a quantised GGUF, and converting one is what this lets a test do in a second."""
    import json

    import numpy as np
    import torch
    from gguf import GGMLQuantizationType, GGUFWriter, TokenType
    from gguf.quants import quantize
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import TensorProcessor, get_gguf_hf_weights_map

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    config = model.config
    bpe = json.loads(tokenizer.backend_tokenizer.to_str())["model"]
    by_id = {i: t for t, i in tokenizer.get_vocab().items()}
    tokens = [by_id[i] for i in range(len(by_id))]
    special = set(tokenizer.all_special_tokens)

    writer = GGUFWriter(str(path), "qwen2")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(config.rope_parameters["rope_theta"])
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types(
        [TokenType.CONTROL if t in special else TokenType.NORMAL for t in tokens]
    )
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in bpe["merges"]])
    writer.add_eos_token_id(config.eos_token_id)
    writer.add_pad_token_id(config.pad_token_id)
    writer.add_chat_template(tokenizer.chat_template)
    to_gguf = {hf: g for g, hf in get_gguf_hf_weights_map(model, TensorProcessor()).items()}
    for name, tensor in model.state_dict().items():
        data = tensor.numpy()
        if data.ndim == 2:
            writer.add_tensor(
                to_gguf[name],
                quantize(data, GGMLQuantizationType.Q8_0),
                raw_dtype=GGMLQuantizationType.Q8_0,
            )
        else:
            writer.add_tensor(to_gguf[name], data.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
