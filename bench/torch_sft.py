#!/usr/bin/env python3
"""PyTorch eager peer for `npm run bench:sft`.

Runs the same SFT steps as the engine: the same Qwen2 model (HF weights read from the model folder's
model.safetensors), the same packed batches (input_ids, segment-id attention_mask, per-example
position_ids, labels; step i's are the [batch, length] tensors "step{i}.<name>", the length varying
per step), block-diagonal causal attention, mean cross-entropy over labelled tokens, global-norm
clipping and AdamW. Written independently of the engine: only the config.json is shared.

Usage: torch_sft.py WORK_DIR   (reads model/config.json, model/model.safetensors, batches.safetensors,
bench.json; writes torch.json)
"""
import json
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        blob = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(DTYPES[info["dtype"]])
        arr = np.frombuffer(blob, dtype=dtype, count=(end - start) // dtype.itemsize, offset=start)
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Qwen2:
    def __init__(self, cfg, params):
        self.cfg = cfg
        self.p = params
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg["num_key_value_heads"]
        self.head_dim = cfg["hidden_size"] // self.heads
        self.eps = cfg["rms_norm_eps"]
        self.inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, self.head_dim, 2, dtype=torch.float64) / self.head_dim))

    def linear(self, x, name):
        return F.linear(x, self.p[name + ".weight"], self.p.get(name + ".bias"))

    def attention(self, x, prefix, cos, sin, bias):
        b, s, _ = x.shape
        h, kvh, hd = self.heads, self.kv_heads, self.head_dim
        q = self.linear(x, prefix + "q_proj").view(b, s, h, hd).transpose(1, 2)
        k = self.linear(x, prefix + "k_proj").view(b, s, kvh, hd).transpose(1, 2)
        v = self.linear(x, prefix + "v_proj").view(b, s, kvh, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if kvh != h:
            k = k.repeat_interleave(h // kvh, dim=1)
            v = v.repeat_interleave(h // kvh, dim=1)
        scores = q @ k.transpose(-1, -2) / (hd ** 0.5) + bias
        out = torch.softmax(scores, dim=-1) @ v
        return self.linear(out.transpose(1, 2).reshape(b, s, h * hd), prefix + "o_proj")

    def loss(self, input_ids, segments, positions, labels):
        p = self.p
        s = input_ids.shape[1]
        # Block-diagonal causal mask: same segment, key at or before the query, not padding.
        causal = torch.ones(s, s, dtype=torch.bool).tril()
        allowed = causal[None] & (segments[:, :, None] == segments[:, None, :]) & (segments[:, None, :] != 0)
        bias = torch.where(allowed, 0.0, -1e9)[:, None]
        freqs = positions.double()[..., None] * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().float()[:, None], emb.sin().float()[:, None]
        x = F.embedding(input_ids, p["model.embed_tokens.weight"])
        for i in range(self.cfg["num_hidden_layers"]):
            pre = f"model.layers.{i}."
            x = x + self.attention(rms_norm(x, p[pre + "input_layernorm.weight"], self.eps), pre + "self_attn.", cos, sin, bias)
            hdn = rms_norm(x, p[pre + "post_attention_layernorm.weight"], self.eps)
            x = x + self.linear(F.silu(self.linear(hdn, pre + "mlp.gate_proj")) * self.linear(hdn, pre + "mlp.up_proj"), pre + "mlp.down_proj")
        x = rms_norm(x, p["model.norm.weight"], self.eps)
        head = p["model.embed_tokens.weight"] if self.cfg.get("tie_word_embeddings") else p["lm_head.weight"]
        logits = x @ head.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


def matmul_gflops(n=1024, reps=20):
    a, b = torch.rand(n, n), torch.rand(n, n)
    for _ in range(3):
        a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def loaded_blas_libraries():
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return sorted(os.path.realpath(p) for p in paths)
    except OSError:
        return []


def main():
    work = sys.argv[1]
    # One intra-op thread pool: OpenBLAS keeps its own; OMP threads fighting spinning OpenBLAS workers
    # slow everything down on 2 cores (see bench/torch_generate.py).
    torch.set_num_threads(os.cpu_count() or 1)
    bench = json.load(open(os.path.join(work, "bench.json")))
    cfg = json.load(open(os.path.join(work, "model", "config.json")))
    params = read_safetensors(os.path.join(work, "model", "model.safetensors"))
    params = {k: v.float() for k, v in params.items()}
    data = read_safetensors(os.path.join(work, "batches.safetensors"))
    for t in params.values():
        t.requires_grad_(True)
    model = Qwen2(cfg, params)
    # Weight decay on matrices only (rank >= 2), as the engine does.
    decay = [t for t in params.values() if t.dim() >= 2]
    no_decay = [t for t in params.values() if t.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": bench["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=bench["learning_rate"], betas=(0.9, 0.999), eps=1e-8, foreach=False)
    losses, step_times = [], []
    for step in range(bench["steps"]):
        started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        # Each step's batch is its own [batch, length] tensors (lengths differ from step to step).
        feed = [data[f"step{step}.{name}"] for name in ("input_ids", "attention_mask", "position_ids", "labels")]
        loss = model.loss(*feed)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), bench["max_grad_norm"])
        optimizer.step()
        step_times.append(time.perf_counter() - started)
        losses.append(loss.item())
        print(f"torch step {step + 1}: loss {losses[-1]:.6f} in {step_times[-1] * 1000:.0f} ms", file=sys.stderr, flush=True)
    result = {
        "losses": losses,
        "step_times_s": step_times,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "matmul_gflops": matmul_gflops(),
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas_libraries": loaded_blas_libraries(),
    }
    with open(os.path.join(work, "torch.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
