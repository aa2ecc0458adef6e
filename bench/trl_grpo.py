"""TRL's GRPOTrainer on CPU at the shape of `embody bench grpo`, for its throughput comparison.

A random GPT-2 (GPT2Config: n_layer 4, n_embd 128, n_head 4, context 64; seeded init, no
download) over a character vocabulary (a `tokenizers` WordLevel model, one token per
character), G completions for each of P prompts per step, every completion exactly L tokens
(`min_new_tokens = max_completion_length`), a seeded random reward (so advantages are not all
zero and the update is real), one optimiser step per generation batch. Prints one JSON line per
measured step and a summary line with medians:

    HF_HUB_OFFLINE=1 .venv-bench/bin/python bench/trl_grpo.py --steps 6 --threads 2 \
        --prompts 32 --generations 8 --completion-len 32
"""

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
warnings.filterwarnings("ignore")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--prompts", type=int, default=32)
    p.add_argument("--generations", type=int, default=8)
    p.add_argument("--completion-len", type=int, default=32)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=128)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-positions", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    import torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    from datasets import Dataset
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
    from trl import GRPOConfig, GRPOTrainer

    alphabet = "0123456789+-*/(),:="
    vocab = {"<pad>": 0, "<eos>": 1}
    for c in alphabet:
        vocab[c] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>")
    tokenizer.padding_side = "left"

    config = GPT2Config(
        vocab_size=len(vocab),
        n_positions=a.n_positions,
        n_embd=a.n_embd,
        n_layer=a.n_layer,
        n_head=a.n_head,
        bos_token_id=1,
        eos_token_id=1,
        pad_token_id=0,
    )
    model = GPT2LMHeadModel(config)

    rng = random.Random(a.seed)
    prompts = []
    for _ in range(a.prompts * (a.steps + a.warmup + 2)):
        nums = [rng.randint(1, 10) for _ in range(3)]
        prompts.append(",".join(map(str, nums)) + ":" + str(rng.randint(1, 200)) + "=")
    dataset = Dataset.from_dict({"prompt": prompts})

    reward_rng = random.Random(a.seed + 1)

    def random_reward(completions, **kwargs):
        return [reward_rng.random() for _ in completions]

    batch = a.prompts * a.generations
    args = GRPOConfig(
        output_dir=tempfile.mkdtemp(prefix="trl_grpo_bench_"),
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=1,
        num_generations=a.generations,
        max_completion_length=a.completion_len,
        generation_kwargs={"min_new_tokens": a.completion_len},
        temperature=1.0,
        learning_rate=1e-5,
        beta=0.0,
        loss_type="dapo",
        max_steps=a.steps + a.warmup,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        seed=a.seed,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )

    timings = {"gen": [], "step": [], "tokens": []}

    class Timed(GRPOTrainer):
        def _generate_and_score_completions(self, inputs):
            t0 = time.perf_counter()
            out = super()._generate_and_score_completions(inputs)
            timings["gen"].append(time.perf_counter() - t0)
            timings["tokens"].append(int(out["completion_mask"].sum().item()))
            return out

        def training_step(self, *args, **kwargs):
            t0 = time.perf_counter()
            out = super().training_step(*args, **kwargs)
            timings["step"].append(time.perf_counter() - t0)
            return out

    trainer = Timed(
        model=model,
        reward_funcs=[random_reward],
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    trainer.train()

    rows = []
    for i, (g, s, t) in enumerate(zip(timings["gen"], timings["step"], timings["tokens"])):
        if i < a.warmup:
            continue
        row = {"step": i, "generate_s": g, "update_s": s - g, "step_s": s, "completion_tokens": t}
        rows.append(row)
        print(json.dumps(row))
    med = lambda k: statistics.median(r[k] for r in rows)
    summary = {
        "peer": "trl",
        "trl_version": __import__("trl").__version__,
        "torch_version": torch.__version__,
        "threads": a.threads,
        "completions_per_step": batch,
        "completion_len": a.completion_len,
        "steps": len(rows),
        "generate_s": med("generate_s"),
        "update_s": med("update_s"),
        "step_s": med("step_s"),
        "completion_tokens": med("completion_tokens"),
        "completions_per_s": batch / med("step_s"),
        "tokens_per_s": med("completion_tokens") / med("step_s"),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
