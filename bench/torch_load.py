#!/usr/bin/env python3
"""PyTorch peer for `npm run bench:load`: start-up, time to first token and peak RSS.

Usage: torch_load.py MODEL_DIR PROMPT_JSON NEW_TOKENS OUT_JSON
  PROMPT_JSON: {"prompt": [ids...]}. Writes {ready_at_ms, first_token_at_ms, done_at_ms, tokens, peak_rss_bytes, ...}
  with wall-clock epoch milliseconds, so the parent measures from the moment it spawned this process
  (interpreter start and `import torch` count, as node's start and imports count for ours).

Loading is what a careful PyTorch user gets from safetensors: each tensor read once from its shard
(single file or index + shards) straight into its own buffer, bf16/f16 widened to float32 once and the
narrow copy dropped, so the peak is about the float32 weights plus one tensor. The model is
torch_generate.py's hand-written Qwen2 with a preallocated KV cache; greedy decoding.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_generate import INTRA_OP_THREADS, Qwen2  # noqa: E402  (the same peer model as bench:generate)

NUMPY = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "BF16": np.int16, "I64": np.int64, "I32": np.int32}


def shard_files(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            return sorted(set(json.load(f)["weight_map"].values()))
    return ["model.safetensors"]


def read_header(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    return 8 + n, header


def load_weights(model_dir):
    weights = {}
    for name in shard_files(model_dir):
        path = os.path.join(model_dir, name)
        start, header = read_header(path)
        with open(path, "rb") as f:
            for key, info in header.items():
                if key == "__metadata__":
                    continue
                begin, end = info["data_offsets"]
                dtype = NUMPY[info["dtype"]]
                f.seek(start + begin)
                arr = np.fromfile(f, dtype=dtype, count=(end - begin) // np.dtype(dtype).itemsize).reshape(info["shape"])
                t = torch.from_numpy(arr)
                if info["dtype"] == "BF16":
                    t = t.view(torch.bfloat16)
                weights[key] = t.float() if t.dtype != torch.float32 else t  # the narrow copy is dropped here
    return weights


def main():
    model_dir, prompt_path, new_tokens, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(INTRA_OP_THREADS)
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    with open(prompt_path) as f:
        prompt = json.load(f)["prompt"]
    weights = load_weights(model_dir)
    with torch.inference_mode():
        model = Qwen2(config, weights, 1, len(prompt) + new_tokens)
        ready = time.time() * 1000
        ready_cpu = time.process_time()  # user + system seconds of every thread so far
        ids = torch.tensor([prompt], dtype=torch.long)
        logits = model.forward(ids, 0)
        tokens = [int(logits.argmax(-1)[0])]
        first = time.time() * 1000
        pos = len(prompt)
        while len(tokens) < new_tokens:
            logits = model.forward(torch.tensor([[tokens[-1]]], dtype=torch.long), pos)
            pos += 1
            tokens.append(int(logits.argmax(-1)[0]))
        done = time.time() * 1000
    with open(out_path, "w") as f:
        json.dump({
            "ready_at_ms": ready,
            "start_cpu_s": ready_cpu,
            "first_token_at_ms": first,
            "done_at_ms": done,
            "tokens": tokens,
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "torch_version": torch.__version__,
        }, f)


if __name__ == "__main__":
    main()
