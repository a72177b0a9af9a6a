#!/usr/bin/env python3
"""The quality peer: how low can PyTorch get the held-out loss on bptt's dinosaur split?

Issue 5's target: `bptt train --time 60` must reach a validation loss (nats per character,
end token included, 10% of names held out) at least as low as the best point reached by
PyTorch RNN, LSTM and GRU models, with and without dropout and weight decay, each trained
up to 120 s on the same split. Every such model overfits this small data set within
seconds, so each run keeps its best validation loss (early-stopped best) and the table
reports the best of all runs.

Data: the JSON written by `npx tsx bench/peers/export-split.ts` (bptt's own split and
vocabulary: every name is fed as '\\n' + name and predicts name + '\\n').
Models: embedding → nn.RNN(tanh) / nn.LSTM / nn.GRU (1 or 2 layers, dropout between them)
→ dropout → linear; Adam (L2 weight decay, PyTorch's `weight_decay`) or AdamW; batches of
32 names, reshuffled every epoch; validation after every epoch; a run stops after 120 s or
after --patience epochs without a better validation loss (or --max-epochs: on a busy
machine, seconds are not a fair bound).

  /usr/bin/python3 bench/peers/quality.py SPLIT.json [--grid full|quick] [--budget 120]
Prints one JSON line per run and a summary table; the last line is the best run.
"""
import argparse
import itertools
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F


class CharModel(torch.nn.Module):
    def __init__(self, cell, vocab, embed, hidden, layers, dropout):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embed)
        between = dropout if layers > 1 else 0.0
        kinds = {"rnn": lambda **k: torch.nn.RNN(nonlinearity="tanh", **k), "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
        self.rnn = kinds[cell](input_size=embed, hidden_size=hidden, num_layers=layers, dropout=between)
        self.drop = torch.nn.Dropout(dropout)
        self.out = torch.nn.Linear(hidden, vocab)

    def loss_sum(self, inputs, targets, mask):
        """inputs, targets, mask: (T, B). The sum of cross-entropy over real (unmasked) tokens."""
        hidden, _ = self.rnn(self.embed(inputs))
        logits = self.out(self.drop(hidden))
        losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
        return (losses * mask.reshape(-1)).sum()


def pad(sequences):
    """A list of {input, target} → (T, B) tensors of inputs, targets and a 0/1 mask."""
    T = max(len(s["input"]) for s in sequences)
    B = len(sequences)
    inputs = torch.zeros(T, B, dtype=torch.long)
    targets = torch.zeros(T, B, dtype=torch.long)
    mask = torch.zeros(T, B)
    for b, s in enumerate(sequences):
        n = len(s["input"])
        inputs[:n, b] = torch.tensor(s["input"])
        targets[:n, b] = torch.tensor(s["target"])
        mask[:n, b] = 1
    return inputs, targets, mask


def validation_loss(model, batches, tokens):
    model.eval()
    with torch.no_grad():
        total = sum(model.loss_sum(*batch).item() for batch in batches)
    model.train()
    return total / tokens


def train_one(split, config, budget, patience, max_epochs, seed):
    torch.manual_seed(seed)
    vocab = len(split["vocab"])
    model = CharModel(config["cell"], vocab, config["embed"], config["hidden"], config["layers"], config["dropout"])
    make = torch.optim.AdamW if config["optimizer"] == "adamw" else torch.optim.Adam
    optimizer = make(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    train = split["train"]
    validation = split["validation"]
    validation_batches = [pad(validation[i:i + 256]) for i in range(0, len(validation), 256)]
    validation_tokens = sum(len(s["target"]) for s in validation)
    batch_size = config["batch"]
    generator = torch.Generator().manual_seed(seed)

    best = math.inf
    best_epoch = 0
    best_seconds = 0.0
    epoch = 0
    elapsed = 0.0
    while elapsed < budget and epoch < max_epochs and epoch - best_epoch < patience:
        started = time.perf_counter()
        order = torch.randperm(len(train), generator=generator).tolist()
        for i in range(0, len(order), batch_size):
            inputs, targets, mask = pad([train[j] for j in order[i:i + batch_size]])
            optimizer.zero_grad()
            loss = model.loss_sum(inputs, targets, mask) / mask.sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config["clip_norm"])
            optimizer.step()
        epoch += 1
        loss = validation_loss(model, validation_batches, validation_tokens)
        elapsed += time.perf_counter() - started
        if loss < best:
            best, best_epoch, best_seconds = loss, epoch, elapsed
    return {**config, "best_validation": best, "best_epoch": best_epoch, "seconds_to_best": round(best_seconds, 2), "epochs": epoch, "seconds": round(elapsed, 2)}


GRIDS = {
    # every cell × width × depth × dropout × weight decay, Adam lr 2e-3
    "full": dict(cell=["rnn", "lstm", "gru"], hidden=[128, 256], layers=[1, 2], dropout=[0.0, 0.3], weight_decay=[0.0, 1e-5]),
    "quick": dict(cell=["rnn", "lstm", "gru"], hidden=[256], layers=[1], dropout=[0.0, 0.3], weight_decay=[0.0]),
    # only the --extra runs
    "none": dict(cell=[]),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("split", help="the JSON written by bench/peers/export-split.ts")
    parser.add_argument("--grid", choices=sorted(GRIDS), default="full")
    parser.add_argument("--budget", type=float, default=120.0, help="training seconds per run at most")
    parser.add_argument("--patience", type=int, default=10, help="epochs without a better validation loss before a run stops")
    parser.add_argument("--max-epochs", type=int, default=1000, help="epochs per run at most (on a busy machine, a fairer bound than seconds)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--extra", action="append", default=[], help="extra runs as JSON objects overriding the base config")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.split) as f:
        split = json.load(f)

    base = dict(cell="lstm", embed=32, hidden=256, layers=1, dropout=0.0, weight_decay=0.0, optimizer="adam", lr=2e-3, batch=32, clip_norm=5.0)
    grid = GRIDS[args.grid]
    configs = [{**base, **dict(zip(grid, values))} for values in itertools.product(*grid.values())]
    configs += [{**base, **json.loads(extra)} for extra in args.extra]
    print(f"torch {torch.__version__}, {args.threads} threads; {len(split['train'])} training and {len(split['validation'])} validation names; {len(configs)} runs of at most {args.budget:g} s", file=sys.stderr)
    results = []
    for config in configs:
        result = train_one(split, config, args.budget, args.patience, args.max_epochs, args.seed)
        results.append(result)
        print(json.dumps(result), flush=True)

    print(file=sys.stderr)
    print(f"{'cell':5} {'hidden':>6} {'layers':>6} {'dropout':>7} {'wd':>7} {'best val':>9} {'epoch':>5} {'s to best':>9}", file=sys.stderr)
    for r in sorted(results, key=lambda r: r["best_validation"]):
        print(f"{r['cell']:5} {r['hidden']:6} {r['layers']:6} {r['dropout']:7} {r['weight_decay']:7} {r['best_validation']:9.4f} {r['best_epoch']:5} {r['seconds_to_best']:9}", file=sys.stderr)
    best = min(results, key=lambda r: r["best_validation"])
    print(json.dumps({"best": best}))


if __name__ == "__main__":
    main()
