#!/usr/bin/env python3
"""PyTorch eager peer for `npm run bench:rm`.

A Qwen2 reward model (Qwen2ForSequenceClassification, num_labels 1) trained with the Bradley-Terry loss
from the same initial weights on the same pair batches as the engine, then used to score the same
batches without gradients. Written independently of the engine: only the config is shared.

Usage: torch_rm.py WORK_DIR [THREADS]   (reads config.json, init.safetensors, data.safetensors; writes torch.json)

THREADS is torch's intra-op thread count (default 1). OpenBLAS keeps its own pool for the matmuls either
way; whether PyTorch's elementwise work (AdamW over the 151k-row embedding, its gradient) gains more from
a second OpenMP thread than it loses to the two pools competing for 2 cores depends on the machine, so
the bench runs both and keeps the faster: the peer is never handicapped by our choice.

Per batch: rows 0..P-1 are the chosen answers, rows P..2P-1 the rejected ones, right-padded; the reward
is the score head at each row's last real token; loss = mean softplus(-(r_c - r_r)); global-norm
clipping, AdamW (weight decay as configured) with a constant learning rate.
"""
import json
import os
import resource
import struct
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_train import loaded_blas_libraries, matmul_gflops, read_safetensors  # noqa: E402  (shared bench helpers)

DEFAULT_INTRA_OP_THREADS = 1


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class RewardModel:
    def __init__(self, cfg, p):
        self.cfg, self.p = cfg, p
        d = cfg["head_dim"]
        self.inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))

    def lin(self, x, name):
        return F.linear(x, self.p[name + ".weight"], self.p.get(name + ".bias"))

    def rewards(self, ids, mask):
        cfg, p = self.cfg, self.p
        b, s = ids.shape
        h, kvh, d, eps = cfg["heads"], cfg["kv_heads"], cfg["head_dim"], cfg["rms_eps"]
        pos = torch.arange(s, dtype=torch.float64)
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos().float(), emb.sin().float()
        keep = torch.tril(torch.ones(s, s, dtype=torch.bool))[None, None] & mask.bool()[:, None, None, :]
        bias = torch.zeros(b, 1, s, s).masked_fill(~keep, -1e9)
        x = F.embedding(ids, p["model.embed_tokens.weight"])
        for i in range(cfg["layers"]):
            pre = f"model.layers.{i}."
            y = rms_norm(x, p[pre + "input_layernorm.weight"], eps)
            q = self.lin(y, pre + "self_attn.q_proj").view(b, s, h, d).transpose(1, 2)
            k = self.lin(y, pre + "self_attn.k_proj").view(b, s, kvh, d).transpose(1, 2)
            v = self.lin(y, pre + "self_attn.v_proj").view(b, s, kvh, d).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = k.repeat_interleave(h // kvh, dim=1)
            v = v.repeat_interleave(h // kvh, dim=1)
            a = torch.softmax(q @ k.transpose(-1, -2) / d**0.5 + bias, -1) @ v
            x = x + self.lin(a.transpose(1, 2).reshape(b, s, h * d), pre + "self_attn.o_proj")
            y = rms_norm(x, p[pre + "post_attention_layernorm.weight"], eps)
            x = x + self.lin(F.silu(self.lin(y, pre + "mlp.gate_proj")) * self.lin(y, pre + "mlp.up_proj"), pre + "mlp.down_proj")
        x = rms_norm(x, p["model.norm.weight"], eps)
        last = mask.sum(-1) - 1
        return (x[torch.arange(b), last] @ p["score.weight"].t())[:, 0]


def main():
    work = sys.argv[1]
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_INTRA_OP_THREADS)
    cfg = json.load(open(os.path.join(work, "config.json")))
    params = read_safetensors(os.path.join(work, "init.safetensors"))
    data = read_safetensors(os.path.join(work, "data.safetensors"))
    ids, mask, lengths = data["input_ids"], data["attention_mask"], data["batch_length"]
    for t in params.values():
        t.requires_grad_(True)
    model = RewardModel(cfg, params)
    o = cfg["optimizer"]
    decay = [t for n, t in params.items() if t.dim() >= 2]
    no_decay = [t for n, t in params.items() if t.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": o["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], foreach=False)
    P = cfg["pairs_per_batch"]
    losses, step_times = [], []
    for step in range(cfg["steps"]):
        s = int(lengths[step])
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        r = model.rewards(ids[step, :, :s], mask[step, :, :s])
        loss = F.softplus(-(r[:P] - r[P:])).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), o["clip_norm"])
        opt.step()
        step_times.append(time.perf_counter() - t0)
        losses.append(loss.item())
        print(f"torch step {step + 1}: loss {losses[-1]:.6f} in {step_times[-1] * 1000:.0f} ms", file=sys.stderr, flush=True)
    score_times = []
    with torch.no_grad():
        for step in range(cfg["steps"]):
            s = int(lengths[step])
            t0 = time.perf_counter()
            model.rewards(ids[step, :, :s], mask[step, :, :s])
            score_times.append(time.perf_counter() - t0)
    json.dump({
        "losses": losses,
        "step_times_s": step_times,
        "score_times_s": score_times,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "matmul_gflops": matmul_gflops(),
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas_libraries": loaded_blas_libraries(),
    }, open(os.path.join(work, "torch.json"), "w"))


if __name__ == "__main__":
    main()
