#!/usr/bin/env python3
"""Bigger models' training speed: bptt against PyTorch's nn.LSTM / nn.GRU with the same recipe (issue 16).

Each run is charged its CPU time on 1 thread (user + system of the child, getrusage), so the figures
survive a shared machine: a configuration's cost per step is the CPU time of a run of S + N steps
minus that of a run of S = --steps-short steps (start-up, reading the text and the first step's
set-up cancel), divided by N, where the N steps hold about --tokens tokens (at least 2 steps).
Rounds alternate bptt and PyTorch.

  /usr/bin/python3 bench/long-texts/big-models.py TEXT [--rounds 2] [--config 'NAME: --cell lstm --hidden 512 ...']
Prints one JSON line per measurement and a table.
"""
import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CONFIGS = [
    "LSTM 512 × 2: --cell lstm --hidden 512 --layers 2 --embed 64 --batch 64 --seq-length 128",
    "GRU 512 × 2: --cell gru --hidden 512 --layers 2 --embed 64 --batch 64 --seq-length 128",
    "LSTM 256 (text recipe): --cell lstm --hidden 256 --layers 1 --embed 64 --batch 32 --seq-length 64",
]


def cpu_of(command, env=None):
    """Runs command; the CPU seconds (user + system) it used, and its result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def flag(flags, name, default):
    return flags[flags.index(name) + 1] if name in flags else default


def bptt(text, flags, steps, workdir):
    out = os.path.join(workdir, f"m{steps}.safetensors")
    if os.path.exists(out):
        os.remove(out)
    main = os.environ.get("BPTT_MAIN")
    launcher = ["node", main] if main else ["npx", "tsx", os.path.join(ROOT, "src", "cli", "main.ts")]
    cpu, done = cpu_of(launcher + ["train", "--data", text, "--mode", "stream", "--threads", "1", "--val", "0", "--dropout", "0",
                                   "--print", "0", "--steps", str(steps), "--out", out] + flags)
    kernels = next((part.strip() for part in done.stderr.split(";") if "kernels" in part), "?")
    return cpu, kernels


def torch(text, flags, steps):
    command = [os.environ.get("PY", "/usr/bin/python3"), os.path.join(ROOT, "bench", "peers", "torch_stream.py"), text,
               "--cell", flag(flags, "--cell", "lstm"), "--hidden", flag(flags, "--hidden", "256"), "--layers", flag(flags, "--layers", "1"),
               "--embed", flag(flags, "--embed", "64"), "--batch", flag(flags, "--batch", "32"), "--seq", flag(flags, "--seq-length", "64"),
               "--optimizer", "adagrad", "--lr", "0.04", "--val", "0.1", "--speed-only", "--steps", str(steps), "--threads", "1"]
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return cpu_of(command, env)[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("text")
    p.add_argument("--config", action="append", help="'NAME: bptt train flags' (default: LSTM and GRU 512 × 2, and the text recipe's LSTM)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--steps-short", type=int, default=2)
    p.add_argument("--tokens", type=int, default=65536, help="tokens in the measured steps (the two runs' difference)")
    args = p.parse_args()
    configs = [(c.split(":", 1)[0].strip(), shlex.split(c.split(":", 1)[1])) for c in (args.config or DEFAULT_CONFIGS)]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for round_ in range(1, args.rounds + 1):
            for name, flags in configs:
                per_step = int(flag(flags, "--batch", "32")) * int(flag(flags, "--seq-length", "64"))
                between = max(2, round(args.tokens / per_step))
                steps_long = args.steps_short + between
                tokens = per_step * between
                order = ["bptt", "torch"] if round_ % 2 else ["torch", "bptt"]
                for who in order:
                    if who == "bptt":
                        (short, kernels), (long_, _) = bptt(args.text, flags, args.steps_short, workdir), bptt(args.text, flags, steps_long, workdir)
                    else:
                        kernels = "nn." + flag(flags, "--cell", "lstm").upper()
                        short, long_ = torch(args.text, flags, args.steps_short), torch(args.text, flags, steps_long)
                    row = {"round": round_, "config": name, "who": who, "kernels": kernels, "cpu_per_step": round((long_ - short) / between, 4),
                           "tokens_per_cpu_second": round(tokens / max(long_ - short, 1e-9)), "load": round(os.getloadavg()[0], 1)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    print(f"\n{'configuration':<28} {'round':>5} {'bptt tok/CPU-s':>15} {'PyTorch tok/CPU-s':>18} {'bptt ÷ PyTorch':>15}")
    for round_ in range(1, args.rounds + 1):
        for name, _ in configs:
            b = next(r for r in rows if r["round"] == round_ and r["config"] == name and r["who"] == "bptt")
            t = next(r for r in rows if r["round"] == round_ and r["config"] == name and r["who"] == "torch")
            print(f"{name:<28} {round_:>5} {b['tokens_per_cpu_second']:>15,} {t['tokens_per_cpu_second']:>18,} {b['tokens_per_cpu_second'] / t['tokens_per_cpu_second']:>14.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
