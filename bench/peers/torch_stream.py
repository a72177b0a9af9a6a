#!/usr/bin/env python3
"""The long-text peer: a PyTorch nn.LSTM / nn.GRU char-rnn trained the way bptt's mode stream trains.

Same data layout as bptt (src/data/stream.ts): the characters of the text (vocabulary: its sorted
distinct characters), the last --val of them held out; the rest cut into B contiguous streams,
trained window by window (T steps), the state carried from one window to the next (detached:
truncated BPTT), every epoch starting from zeros. The held-out end is evaluated the same way, in
min(B, (held − 1) // T) streams, state carried: nats per character, the figure bptt reports.
No document resets (run it on texts without blank lines, or read its figure as an upper bound).

Model: embedding → nn.LSTM/nn.GRU (layers, dropout between them) → dropout → linear. Optimizer
Adam (or Adagrad), learning rate constant or cosine to 0 over the budget, gradients clipped to a
global norm (--clip-norm) or elementwise (--clip, as bptt's default).

Budget: --steps, or --cpu-seconds (this process's CPU time, time.process_time(): fair on a
shared machine), or --seconds (wall clock); the cosine spans whichever is given.

  /usr/bin/python3 bench/peers/torch_stream.py TEXT [--cell lstm] [--hidden 256] [--embed 64] [--layers 1]
      [--batch 32] [--seq 64] [--optimizer adam] [--lr 0.002] [--cosine] [--dropout 0]
      (--steps N | --cpu-seconds S | --seconds S) [--threads 1] [--speed-only]
Prints one JSON line.
"""
import argparse
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
        kind = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
        self.rnn = kind(input_size=embed, hidden_size=hidden, num_layers=layers, dropout=dropout if layers > 1 else 0.0)
        self.drop = torch.nn.Dropout(dropout)
        self.out = torch.nn.Linear(hidden, vocab)

    def forward(self, inputs, state):
        hidden, state = self.rnn(self.embed(inputs), state)
        return self.out(self.drop(hidden)), state


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def streams(ids, streams_count, steps):
    """ids (N,) → inputs and targets (L, B): B contiguous streams of L = (N − 1) // B positions."""
    length = (len(ids) - 1) // streams_count
    inputs = ids[: streams_count * length].view(streams_count, length).t().contiguous()
    targets = ids[1 : streams_count * length + 1].view(streams_count, length).t().contiguous()
    return inputs, targets


def evaluate(model, ids, batch, steps):
    held = len(ids)
    count = max(1, min(batch, (held - 1) // steps))
    inputs, targets = streams(ids, count, steps)
    model.eval()
    total, state = 0.0, None
    with torch.no_grad():
        for start in range(0, inputs.shape[0], steps):
            logits, state = model(inputs[start : start + steps], state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets[start : start + steps].reshape(-1), reduction="sum").item()
    model.train()
    return total / targets.numel()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("text")
    p.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--optimizer", choices=["adam", "adagrad"], default="adam")
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--cosine", action="store_true")
    p.add_argument("--clip", type=float, default=5.0, help="elementwise clip (bptt's default); 0 for none")
    p.add_argument("--clip-norm", type=float, default=0.0, help="global-norm clip; 0 for none")
    p.add_argument("--val", type=float, default=0.1)
    p.add_argument("--steps", type=int)
    p.add_argument("--cpu-seconds", type=float)
    p.add_argument("--seconds", type=float)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--speed-only", action="store_true", help="no validation: training tokens per second only")
    p.add_argument("--workload", help="label the JSON line as this bench/peers workload (run.sh's text workload), with its fields")
    args = p.parse_args()
    if sum(x is not None for x in (args.steps, args.cpu_seconds, args.seconds)) != 1:
        p.error("give one budget: --steps, --cpu-seconds or --seconds")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    text = open(args.text, encoding="utf-8").read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    held = int(len(ids) * args.val)
    train_ids, val_ids = ids[: len(ids) - held], ids[len(ids) - held :]
    inputs, targets = streams(train_ids, args.batch, args.seq)
    windows = math.ceil(inputs.shape[0] / args.seq)

    model = CharModel(args.cell, len(vocab), args.embed, args.hidden, args.layers, args.dropout)
    make = torch.optim.Adam if args.optimizer == "adam" else torch.optim.Adagrad
    optimizer = make(model.parameters(), lr=args.lr)

    wall0, cpu0 = time.perf_counter(), time.process_time()

    def spent():
        """The fraction of the budget used."""
        if args.steps is not None:
            return step / args.steps
        if args.cpu_seconds is not None:
            return (time.process_time() - cpu0) / args.cpu_seconds
        return (time.perf_counter() - wall0) / args.seconds

    step, state, tokens = 0, None, 0
    while spent() < 1:
        w = step % windows
        if w == 0:
            state = None  # every epoch starts from zeros
        x, y = inputs[w * args.seq : (w + 1) * args.seq], targets[w * args.seq : (w + 1) * args.seq]
        if args.cosine:
            for group in optimizer.param_groups:
                group["lr"] = args.lr * (1 + math.cos(math.pi * min(1.0, spent()))) / 2
        logits, state = model(x, state)
        state = detach(state)
        # bptt's loss: summed over the window, divided by the batch (B)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum") / args.batch
        optimizer.zero_grad()
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_value_(model.parameters(), args.clip)
        if args.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_norm)
        optimizer.step()
        step += 1
        tokens += y.numel()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    result = {"peer": f"torch nn.{args.cell.upper()}", "torch": torch.__version__, "threads": args.threads, "text": os.path.basename(args.text),
              "hidden": args.hidden, "embed": args.embed, "layers": args.layers, "dropout": args.dropout, "batch": args.batch, "seq": args.seq,
              "optimizer": args.optimizer, "lr": args.lr, "cosine": args.cosine, "steps": step, "tokens": tokens,
              "wall": round(wall, 1), "cpu": round(cpu, 1), "tokens_per_cpu_second": round(tokens / cpu), "tokens_per_second": round(tokens / wall),
              "load": os.getloadavg()[0]}
    if args.workload:  # the fields summarize.py reads
        result.update({"workload": args.workload, "dtype": "float32", "tokens_per_s": result["tokens_per_second"],
                       "blas_threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0")) or None})
    if not args.speed_only:
        result["val"] = round(evaluate(model, val_ids, args.batch, args.seq), 4)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
