#!/usr/bin/env python3
"""PyTorch peer of `embody bench learner`: the same PPO minibatch update and batch-1 inference.

Network: actor and critic MLPs, ELU, hidden layers from --hidden (default [512, 256, 128], rsl_rl's),
a state-independent log-std. Update: Gaussian log-prob, clipped surrogate (0.2), clipped value loss (0.2, coef 1.0),
entropy bonus (0.01), analytic KL (as rsl_rl computes it for its adaptive rate), backward, global
gradient-norm clip (1.0), Adam (eps 1e-8). Each timed update uploads its minibatch from host
numpy arrays, as the Rust side uploads from host buffers. Prints one JSON object.
"""
import argparse
import json
import math
import statistics
import time

import numpy as np
import torch
from torch import nn


def mlp(inp, hidden, out):
    layers, d = [], inp
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ELU()]
        d = h
    layers.append(nn.Linear(d, out))
    return nn.Sequential(*layers)


class ActorCritic(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden):
        super().__init__()
        self.actor = mlp(obs_dim, hidden, act_dim)
        self.critic = mlp(obs_dim, hidden, 1)
        self.log_std = nn.Parameter(torch.zeros(act_dim))


def update(model, opt, batch):
    obs, act, mu_old, logp_old, v_old, ret, adv = (torch.from_numpy(x) for x in batch)
    mean = model.actor(obs)
    log_std = model.log_std.expand_as(mean)
    std = log_std.exp()
    with torch.no_grad():
        kl = (torch.log(std / 1.0) + (1.0 + (mu_old - mean) ** 2) / (2 * std**2) - 0.5).sum(-1).mean()
    logp = (-0.5 * ((act - mean) / std) ** 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
    ratio = torch.exp(logp - logp_old)
    surrogate = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.2)).mean()
    values = model.critic(obs).squeeze(-1)
    v_clip = v_old + (values - v_old).clamp(-0.2, 0.2)
    v_loss = torch.max((values - ret) ** 2, (v_clip - ret) ** 2).mean()
    entropy = (model.log_std + 0.5 * (math.log(2 * math.pi) + 1)).sum()
    loss = surrogate + v_loss - 0.01 * entropy
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return float(kl)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--minibatch", type=int, default=24576)
    p.add_argument("--obs-dim", type=int, default=48)
    p.add_argument("--act-dim", type=int, default=12)
    p.add_argument("--updates", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--infer-calls", type=int, default=2000)
    p.add_argument("--hidden", default="512,256,128")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: torch's default)")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    n, od, ad = a.minibatch, a.obs_dim, a.act_dim
    f32 = lambda *s: rng.uniform(-1, 1, size=s).astype(np.float32)
    batch = (f32(n, od), f32(n, ad), f32(n, ad), f32(n), f32(n), f32(n), f32(n))
    model = ActorCritic(od, ad, [int(h) for h in a.hidden.split(",")])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-8)
    update(model, opt, batch)  # warm-up
    rates = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        for _ in range(a.updates):
            update(model, opt, batch)
        rates.append(n * a.updates / (time.perf_counter() - t))
    obs = np.full((1, od), 0.1, dtype=np.float32)
    lat = []
    with torch.no_grad():
        for k in range(a.infer_calls + 100):
            t = time.perf_counter()
            out = model.actor(torch.from_numpy(obs)).numpy()
            us = (time.perf_counter() - t) * 1e6
            if k >= 100:
                lat.append(us)
    lat.sort()
    print(json.dumps({
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "minibatch": n,
        "samples_per_s": statistics.median(rates),
        "infer_batch1_us": statistics.median(lat),
        "infer_batch1_p99_us": lat[min(len(lat) - 1, len(lat) * 99 // 100)],
    }))


if __name__ == "__main__":
    main()
