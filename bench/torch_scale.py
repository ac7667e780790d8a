#!/usr/bin/env python3
"""PyTorch eager peer for `npm run bench:scale`: the same training step as the engine at a released shape.

A Qwen2 decoder (q/k/v biases, grouped-query attention, RoPE, SwiGLU, RMSNorm, tied or untied head) with
random weights of the case's shape, one batch of B x S tokens, mean cross-entropy, global-norm clipping
at 1 and AdamW; LoRA (frozen base, A/B adapters on every projection) or full fine-tuning; activation
checkpointing per layer with torch.utils.checkpoint when the case asks for it. float32 (Debian's torch
1.13 has no fast bf16 CPU matmul). Written independently of the engine: only the shape is shared.

Usage: torch_scale.py CASE_JSON   (prints {tokensPerSecond, stepSeconds, peakRssBytes} as its last line)
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(1)
    H, I, L, nh, kvh, hd, V = c["hidden"], c["intermediate"], c["layers"], c["heads"], c["kvHeads"], c["headDim"], c["vocab"]
    lora, rank = c["method"] == "lora", c["loraRank"]
    train_base = not lora

    def w(*shape):
        return (torch.randn(*shape) * 0.02).requires_grad_(train_base)

    shapes = {"q_proj": (nh * hd, H), "k_proj": (kvh * hd, H), "v_proj": (kvh * hd, H), "o_proj": (H, nh * hd), "gate_proj": (I, H), "up_proj": (I, H), "down_proj": (H, I)}
    embed = w(V, H)
    head = embed if c["tied"] else w(V, H)
    layers, adapters = [], []
    for _ in range(L):
        layer = {name: w(*shape) for name, shape in shapes.items()}
        for name in ("q_proj", "k_proj", "v_proj"):
            layer[name + ".bias"] = w(shapes[name][0])
        layer["in_norm"] = torch.ones(H).requires_grad_(train_base)
        layer["post_norm"] = torch.ones(H).requires_grad_(train_base)
        layers.append(layer)
        if lora:
            adapters.append({name: ((torch.rand(rank, shape[1]) * 2 - 1) / shape[1] ** 0.5, torch.zeros(shape[0], rank)) for name, shape in shapes.items() if name in c["loraTargets"]})
    final_norm = torch.ones(H).requires_grad_(train_base)
    params = [embed, final_norm] + ([] if c["tied"] else [head]) + [t for layer in layers for t in layer.values()]
    if lora:
        params = [t.requires_grad_(True) for a in adapters for pair in a.values() for t in pair]
    scale = 2.0

    inv_freq = 1.0 / (c["ropeTheta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    B, S = c["batch"], c["seq"]
    ids = torch.tensor([[100 + ((b * 7919 + t * 104729) % 150000) for t in range(S)] for b in range(B)])
    labels = torch.cat([ids[:, 1:], torch.full((B, 1), -100)], dim=1)
    freqs = torch.arange(S, dtype=torch.float64)[:, None] * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos().float()[None, None], emb.sin().float()[None, None]
    bias = torch.full((S, S), -1e9).triu(1)

    def proj(x, layer, adapter, name):
        y = F.linear(x, layer[name], layer.get(name + ".bias"))
        if adapter and name in adapter:
            a, b = adapter[name]
            y = y + scale * F.linear(F.linear(x, a), b)
        return y

    def block(x, i):
        layer, adapter = layers[i], adapters[i] if lora else None
        h = rms_norm(x, layer["in_norm"], c["eps"])
        q = proj(h, layer, adapter, "q_proj").view(B, S, nh, hd).transpose(1, 2)
        k = proj(h, layer, adapter, "k_proj").view(B, S, kvh, hd).transpose(1, 2)
        v = proj(h, layer, adapter, "v_proj").view(B, S, kvh, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // kvh, dim=1)
        v = v.repeat_interleave(nh // kvh, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / hd ** 0.5 + bias, dim=-1) @ v
        x = x + proj(att.transpose(1, 2).reshape(B, S, nh * hd), layer, adapter, "o_proj")
        h = rms_norm(x, layer["post_norm"], c["eps"])
        return x + proj(F.silu(proj(h, layer, adapter, "gate_proj")) * proj(h, layer, adapter, "up_proj"), layer, adapter, "down_proj")

    def loss_fn():
        x = F.embedding(ids, embed)
        for i in range(L):
            x = checkpoint(block, x, i, use_reentrant=False) if c["checkpointing"] else block(x, i)
        logits = rms_norm(x, final_norm, c["eps"]) @ head.t()
        return F.cross_entropy(logits.view(-1, V), labels.reshape(-1), ignore_index=-100)

    optimizer = torch.optim.AdamW(params, lr=1e-5, foreach=False)
    times = []
    for step in range(1 + c["steps"]):
        started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        elapsed = time.perf_counter() - started
        print(f"torch step {step}: loss {loss.item():.4f} in {elapsed:.1f} s", file=sys.stderr, flush=True)
        if step > 0:
            times.append(elapsed)
    mean = sum(times) / len(times)
    print(json.dumps({"tokensPerSecond": B * S / mean, "stepSeconds": times, "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
