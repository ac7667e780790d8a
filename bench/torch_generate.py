#!/usr/bin/env python3
"""PyTorch eager peer for `npm run bench:generate`.

Greedy KV-cache generation with a plain hand-written Qwen2 forward pass (written from the Hugging Face
config and weight names, sharing no code with the engine), loading the same model.safetensors.

Usage: torch_generate.py MODEL_DIR PROMPTS_JSON NEW_TOKENS OUT_JSON
  PROMPTS_JSON: {"prompts": [[ids...], ...]} with equal-length rows (one batch, no padding).
  Writes {tokens, prefill_s, decode_s, total_s, tokens_per_s, kv_cache_bytes, peak_rss_bytes, matmul_gflops, ...}.

Qwen2 (HF names, [out, in] weights):
  x = embed_tokens[ids]
  per layer: h = rms(x); q,k,v = q_proj(h)+b, k_proj(h)+b, v_proj(h)+b; rotate q,k (rope_theta);
             append k,v to the cache; x += o_proj(softmax(q k^T / sqrt(d) + causal) v)
             (GQA: the query heads of a group attend to their shared kv head in one matmul, no cache copy)
             x += down_proj(silu(gate_proj(rms(x))) * up_proj(rms(x)))
  logits = rms(x)[:, -1] @ lm_head^T   (lm_head = embed_tokens when tied)
The cache is preallocated for prompt + new tokens and written in place (as transformers' StaticCache),
so a step costs no reallocation. Sequences never stop early (no EOS check): every row runs NEW_TOKENS.
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_train import loaded_blas_libraries, matmul_gflops, read_safetensors  # noqa: E402  (shared bench helpers)


INTRA_OP_THREADS = 1


def openblas_threads():
    """OpenBLAS' own thread count (it ignores torch.set_num_threads), or None if not loaded."""
    try:
        import ctypes

        for path in loaded_blas_libraries():
            if "openblas" in path:
                return ctypes.CDLL(path).openblas_get_num_threads()
    except OSError:
        pass
    return None


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Qwen2:
    def __init__(self, config, weights, batch, max_length):
        if config["model_type"] not in ("qwen2", "llama"):
            raise SystemExit(f"torch_generate.py: only Qwen2/Llama layouts are implemented, got {config['model_type']}")
        self.c = config
        self.w = weights
        self.hidden = config["hidden_size"]
        self.heads = config["num_attention_heads"]
        self.kv_heads = config["num_key_value_heads"]
        self.head_dim = config.get("head_dim") or self.hidden // self.heads
        self.layers = config["num_hidden_layers"]
        self.eps = config["rms_norm_eps"]
        d = self.head_dim
        inv_freq = 1.0 / (config["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
        freqs = torch.outer(torch.arange(max_length, dtype=torch.float64), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.cos, self.sin = emb.cos().float(), emb.sin().float()
        shape = (batch, self.kv_heads, max_length, d)
        self.k_cache = [torch.zeros(shape) for _ in range(self.layers)]
        self.v_cache = [torch.zeros(shape) for _ in range(self.layers)]
        tied = config.get("tie_word_embeddings", False) or "lm_head.weight" not in weights
        self.head_t = (weights["model.embed_tokens.weight"] if tied else weights["lm_head.weight"]).t()
        # Transposed once, so each step is a plain x @ W (what nn.Linear does internally via addmm).
        self.linear_t = {name[: -len(".weight")]: t.t() for name, t in weights.items() if name.endswith("_proj.weight")}

    def linear(self, x, name):
        bias = self.w.get(name + ".bias")
        return torch.addmm(bias, x, self.linear_t[name]) if bias is not None else x @ self.linear_t[name]

    def forward(self, ids, start):
        """ids [B, T] at positions start..start+T-1 → last position's logits [B, V]; fills the cache."""
        b, t = ids.shape
        end = start + t
        x = self.w["model.embed_tokens.weight"][ids].reshape(b * t, self.hidden)
        cos, sin = self.cos[start:end], self.sin[start:end]
        causal = None
        if t > 1:  # prefill: causal over the new positions (the cache before `start` is all visible)
            causal = torch.full((t, end), float("-inf")).triu(start + 1)
        group = self.heads // self.kv_heads
        for i in range(self.layers):
            pre = f"model.layers.{i}."
            h = rms_norm(x, self.w[pre + "input_layernorm.weight"], self.eps)
            q = self.linear(h, pre + "self_attn.q_proj").view(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = self.linear(h, pre + "self_attn.k_proj").view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            v = self.linear(h, pre + "self_attn.v_proj").view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            self.k_cache[i][:, :, start:end] = k
            self.v_cache[i][:, :, start:end] = v
            # GQA without copying the cache: the `group` query heads that share a kv head attend together.
            keys = self.k_cache[i][:, :, :end]
            values = self.v_cache[i][:, :, :end]
            qg = q.reshape(b, self.kv_heads, group * t, self.head_dim)
            scores = (qg @ keys.transpose(-1, -2)) / self.head_dim**0.5
            if causal is not None:
                scores = (scores.view(b, self.kv_heads, group, t, end) + causal).view(b, self.kv_heads, group * t, end)
            attn = (scores.softmax(-1) @ values).view(b, self.heads, t, self.head_dim)
            attn = attn.transpose(1, 2).reshape(b * t, self.heads * self.head_dim)
            x = x + self.linear(attn, pre + "self_attn.o_proj")
            h = rms_norm(x, self.w[pre + "post_attention_layernorm.weight"], self.eps)
            x = x + self.linear(F.silu(self.linear(h, pre + "mlp.gate_proj")) * self.linear(h, pre + "mlp.up_proj"), pre + "mlp.down_proj")
        last = x.view(b, t, self.hidden)[:, -1]
        return rms_norm(last, self.w["model.norm.weight"], self.eps) @ self.head_t


def generate(model, prompts, new_tokens):
    ids = torch.tensor(prompts, dtype=torch.long)
    started = time.perf_counter()
    logits = model.forward(ids, 0)
    prefill = time.perf_counter() - started
    out = []
    pos = ids.shape[1]
    for step in range(new_tokens):
        nxt = logits.argmax(-1)
        out.append(nxt)
        if step + 1 == new_tokens:
            break
        logits = model.forward(nxt.view(-1, 1), pos)
        pos += 1
    total = time.perf_counter() - started
    return torch.stack(out, dim=1).tolist(), prefill, total


def main():
    model_dir, prompts_path, new_tokens, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    # The GEMMs run on OpenBLAS' own pthread pool (all cores). PyTorch's OpenMP pool for the small
    # elementwise/softmax ops would wake threads onto cores where OpenBLAS workers still spin: on 2 cores
    # that doubles a batch-16 decode step (48 → 28 ms measured). One intra-op thread is the faster setup.
    torch.set_num_threads(INTRA_OP_THREADS)
    config = json.load(open(os.path.join(model_dir, "config.json")))
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    weights = {k: v.float() for k, v in weights.items()}
    prompts = json.load(open(prompts_path))["prompts"]
    if len({len(p) for p in prompts}) != 1:
        raise SystemExit("torch_generate.py: prompts must have equal lengths (no padding in this peer)")
    batch, length = len(prompts), len(prompts[0])
    with torch.inference_mode():
        # Warm-up (allocator, BLAS threads) on a throwaway cache, then the measured run on a fresh one.
        generate(Qwen2(config, weights, batch, length + 4), prompts, 4)
        model = Qwen2(config, weights, batch, length + new_tokens)
        tokens, prefill, total = generate(model, prompts, new_tokens)
        gflops = matmul_gflops()
    kv_bytes = sum(t.numel() * t.element_size() for t in model.k_cache + model.v_cache)
    result = {
        "tokens": tokens,
        "prefill_s": prefill,
        "total_s": total,
        "decode_s": total - prefill,
        "tokens_per_s": batch * new_tokens / total,
        "kv_cache_bytes": kv_bytes,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "matmul_gflops": gflops,
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "openblas_threads": openblas_threads(),
        "blas_libraries": loaded_blas_libraries(),
    }
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
