"""Writes the GPT-2 parity fixture: a seeded, randomly initialised GPT-2 (Hugging Face
transformers, no download) as safetensors, and the per-token log-probabilities it gives a fixed
batch of token ids. embody's test `gpt2_parity` loads both and compares.

    .venv-bench/bin/python bench/make_gpt2_fixture.py [--out tests/fixtures/gpt2_tiny]
        [--n-layer 2 --n-embd 32 --n-head 4 --vocab 24 --n-positions 32]

The default shape is small so that the committed fixture stays small; `--n-layer 4 --n-embd 128
--vocab 24 --n-positions 64` gives the shape of the GRPO throughput benchmark.
"""

import argparse
import json
import os

import torch
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="tests/fixtures/gpt2_tiny")
    p.add_argument("--n-layer", type=int, default=2)
    p.add_argument("--n-embd", type=int, default=32)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--vocab", type=int, default=24)
    p.add_argument("--n-positions", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=3)
    p.add_argument("--len", type=int, default=20)
    a = p.parse_args()

    torch.manual_seed(a.seed)
    config = GPT2Config(
        vocab_size=a.vocab,
        n_positions=a.n_positions,
        n_embd=a.n_embd,
        n_layer=a.n_layer,
        n_head=a.n_head,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=1,
        eos_token_id=1,
        # A wide initialisation makes the next-token distributions far from uniform, so that a
        # loader or an attention that is slightly wrong shows in the log-probabilities.
        initializer_range=0.3,
    )
    model = GPT2LMHeadModel(config).eval()
    # The default init draws biases and LayerNorm parameters as zeros and ones; perturb them so
    # that a loader which dropped one of them would fail the comparison.
    with torch.no_grad():
        for name, t in model.named_parameters():
            if name.endswith(".bias") or ".ln_" in name:
                t.add_(0.05 * torch.randn_like(t))

    ids = torch.randint(0, a.vocab, (a.batch, a.len), generator=torch.Generator().manual_seed(a.seed + 1))
    with torch.no_grad():
        logits = model(input_ids=ids).logits.double()
    logp = torch.log_softmax(logits, dim=-1)
    # log p(ids[t + 1] | ids[..= t]) for t = 0 .. len - 2: [batch, len - 1]
    token_logp = logp[:, :-1, :].gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)

    os.makedirs(a.out, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    save_file(state, os.path.join(a.out, "model.safetensors"))
    model.config.save_pretrained(a.out)
    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump(
            {
                "config": {
                    "vocab_size": a.vocab,
                    "n_positions": a.n_positions,
                    "n_embd": a.n_embd,
                    "n_layer": a.n_layer,
                    "n_head": a.n_head,
                    "layer_norm_epsilon": config.layer_norm_epsilon,
                    "activation_function": config.activation_function,
                },
                "input_ids": ids.tolist(),
                "token_logprobs": token_logp.tolist(),
                "made_with": {"torch": torch.__version__, "transformers": __import__("transformers").__version__},
            },
            f,
            indent=1,
        )
    print(f"wrote {a.out}: {sorted(state)[:6]} ... ({len(state)} tensors)")


if __name__ == "__main__":
    main()
