#!/usr/bin/env python3
"""The recipe sweep of docs/long-texts.md: bptt train runs on one text, compared at equal CPU time.

This machine's 2 cores are shared, so wall-clock budgets are unfair between runs made minutes
apart. Each configuration runs on 1 thread (--threads 1) and is charged the CPU seconds it used
(user + system, from getrusage of the child); a calibration run of CALIBRATE steps gives its CPU
cost per step, and the measured run gets as many steps as fit in --cpu-budget seconds.
The last --val of the text is held out (bptt's own split); the loss is bptt's final validation
loss on it (state carried through the held-out text, nats/char).

  /usr/bin/python3 bench/long-texts/sweep.py TEXT --cpu-budget 90 --config 'NAME: --flag v ...' ... [--out results.jsonl]
Prints one JSON line per configuration.
"""
import argparse
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALIBRATE = 30


def run(text, flags, steps, workdir):
    """One bptt train run; returns (CPU seconds, validation loss, stderr)."""
    out = os.path.join(workdir, "model.safetensors")
    if os.path.exists(out):
        os.remove(out)
    command = ["node", os.environ.get("BPTT_MAIN", os.path.join(ROOT, "dist", "cli", "main.js")), "train", "--data", text, "--threads", "1",
               "--print", "0", "--steps", str(steps), "--out", out] + flags
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.time() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    match = re.search(r"validation loss ([0-9.]+)", done.stderr)
    best = re.search(r"the best, ([0-9.]+)", done.stderr)
    loss = float(best.group(1)) if best else float(match.group(1)) if match else float("nan")
    return cpu, wall, loss, done.stderr


def kernels(stderr):
    """The kernels the run said it used (its first lines: '…; native kernels, 1 thread; …')."""
    match = re.search(r"([\w-]+) kernels, \d+ threads?", stderr)
    return match.group(1) if match else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("text")
    parser.add_argument("--cpu-budget", type=float, required=True, help="CPU seconds of training per configuration")
    parser.add_argument("--config", action="append", required=True, help="'NAME: bptt train flags'")
    parser.add_argument("--out", help="append the JSON lines here too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        startup, _, _, _ = run(args.text, ["--mode", "stream", "--val", "0", "--hidden", "8", "--embed", "4", "--batch", "1", "--seq-length", "1"], 1, workdir)
        for spec in args.config:
            name, _, flag_text = spec.partition(":")
            flags = shlex.split(flag_text)
            cpu, _, _, _ = run(args.text, flags + ["--val", "0"], CALIBRATE, workdir)  # no evaluation in the calibration
            per_step = max(1e-3, (cpu - startup) / CALIBRATE)
            steps = max(1, int(args.cpu_budget / per_step))
            cpu, wall, loss, stderr = run(args.text, flags, steps, workdir)
            result = {"text": os.path.basename(args.text), "name": name.strip(), "flags": flag_text.strip(), "steps": steps,
                      "cpu_per_step": round(per_step, 4), "cpu": round(cpu, 1), "wall": round(wall, 1), "val": loss,
                      "load": os.getloadavg()[0], "kernels": kernels(stderr)}
            print(json.dumps(result), flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
