#!/usr/bin/env python3
"""PyTorch eager peer for `npm run bench:train`.

Trains the same decoder-only transformer as the engine, from the same initial weights, on the same
token batches, and reports losses, step times, peak RSS and the machine's matmul speed as JSON.
Written independently of the engine: only the architecture description in the config is shared.

Usage: torch_train.py WORK_DIR   (reads config.json, init.safetensors, data.safetensors; writes torch.json)

Architecture (Qwen2-style, parameters in Hugging Face names and [out, in] layout):
  x = embed_tokens[input_ids]
  per layer: x += o_proj(attn(rope(q_proj(rms(x))), rope(k_proj(..)), v_proj(..)))   causal, GQA
             x += down_proj(silu(gate_proj(rms(x))) * up_proj(rms(x)))
  logits = lm_head(rms(x))  (lm_head = embed_tokens when tied)
  loss = mean cross-entropy over labels != ignore_index
  global-norm gradient clipping, then AdamW (decoupled weight decay, except on names ending with
  optimizer.no_decay_suffixes).
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

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "F16": np.float16, "U8": np.uint8}


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
        arr = np.frombuffer(blob, dtype=DTYPES[info["dtype"]], count=(end - start) // np.dtype(DTYPES[info["dtype"]]).itemsize, offset=start)
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Model:
    def __init__(self, cfg, params):
        self.cfg = cfg
        self.p = params
        hd = cfg["hidden"] // cfg["heads"]
        inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        pos = torch.arange(cfg["seq"], dtype=torch.float64)
        freqs = torch.outer(pos, inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.cos = emb.cos().float()
        self.sin = emb.sin().float()
        self.causal = torch.full((cfg["seq"], cfg["seq"]), float("-inf")).triu(1)

    def linear(self, x, name):
        bias = self.p.get(name + ".bias")
        return F.linear(x, self.p[name + ".weight"], bias)

    def attention(self, x, prefix):
        cfg = self.cfg
        b, s, _ = x.shape
        h, kvh = cfg["heads"], cfg["kv_heads"]
        hd = cfg["hidden"] // h
        q = self.linear(x, prefix + "q_proj").view(b, s, h, hd).transpose(1, 2)
        k = self.linear(x, prefix + "k_proj").view(b, s, kvh, hd).transpose(1, 2)
        v = self.linear(x, prefix + "v_proj").view(b, s, kvh, hd).transpose(1, 2)
        cos, sin = self.cos[:s], self.sin[:s]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if kvh != h:
            k = k.repeat_interleave(h // kvh, dim=1)
            v = v.repeat_interleave(h // kvh, dim=1)
        scores = q @ k.transpose(-1, -2) / (hd ** 0.5) + self.causal[:s, :s]
        out = torch.softmax(scores, dim=-1) @ v
        return self.linear(out.transpose(1, 2).reshape(b, s, h * hd), prefix + "o_proj")

    def loss(self, input_ids, labels):
        cfg, p = self.cfg, self.p
        eps = cfg["rms_eps"]
        x = F.embedding(input_ids, p["model.embed_tokens.weight"])
        for i in range(cfg["layers"]):
            pre = f"model.layers.{i}."
            x = x + self.attention(rms_norm(x, p[pre + "input_layernorm.weight"], eps), pre + "self_attn.")
            hdn = rms_norm(x, p[pre + "post_attention_layernorm.weight"], eps)
            x = x + self.linear(F.silu(self.linear(hdn, pre + "mlp.gate_proj")) * self.linear(hdn, pre + "mlp.up_proj"), pre + "mlp.down_proj")
        x = rms_norm(x, p["model.norm.weight"], eps)
        head = p["model.embed_tokens.weight"] if cfg["tie_embeddings"] else p["lm_head.weight"]
        logits = x @ head.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1), ignore_index=cfg["ignore_index"])


def matmul_gflops(n=1024, reps=20):
    a, b = torch.rand(n, n), torch.rand(n, n)
    for _ in range(3):
        a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def loaded_blas_libraries():
    """The BLAS shared objects actually mapped into this process (Debian picks them via update-alternatives)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return sorted(os.path.realpath(p) for p in paths)
    except OSError:
        return []


def main():
    work = sys.argv[1]
    torch.set_num_threads(os.cpu_count() or 1)
    cfg = json.load(open(os.path.join(work, "config.json")))
    params = read_safetensors(os.path.join(work, "init.safetensors"))
    data = read_safetensors(os.path.join(work, "data.safetensors"))
    for t in params.values():
        t.requires_grad_(True)
    model = Model(cfg, params)
    opt_cfg = cfg["optimizer"]
    # foreach=False: the classic per-parameter eager loop (the default on CPU in this version).
    # Parameters whose names end with one of no_decay_suffixes (e.g. norm weights) get no weight decay.
    no_decay = tuple(opt_cfg.get("no_decay_suffixes", []))
    groups = [
        {"params": [t for n, t in params.items() if not (no_decay and n.endswith(no_decay))], "weight_decay": opt_cfg["weight_decay"]},
        {"params": [t for n, t in params.items() if no_decay and n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW([g for g in groups if g["params"]], lr=opt_cfg["lr"], betas=(opt_cfg["beta1"], opt_cfg["beta2"]),
                                  eps=opt_cfg["eps"], foreach=False)
    losses, step_times = [], []
    for step in range(cfg["steps"]):
        started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = model.loss(data["input_ids"][step], data["labels"][step])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), opt_cfg["clip_norm"])
        for group in optimizer.param_groups:
            group["lr"] = cfg["lr_schedule"][step]
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
