#!/usr/bin/env python3
"""The table of bench/peers/run.sh: reads the collected JSON lines and prints, for each
workload, every measurement's tokens/s and how many times faster bptt's best backend is.

  summarize.py FILE.jsonl

Lines with "backend" are bptt's (`bptt bench --json`), lines with "peer" are numpy/PyTorch,
"meta" lines are notes (load average, BLAS), "failed"/"skipped" say what did not run.
"""
import json
import sys

WORKLOAD_TEXT = {
    "seed": "sigmoid, H=256, V=27, B=512, T=15 (7,680 tokens/step)",
    "small": "tanh, H=128, V=27, B=32, T=12 (384 tokens/step; bptt: real tokens of padded name batches)",
}


def load(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                print(f"(line {n} is not JSON: {e})", file=sys.stderr)
    return rows


def label(r):
    if "backend" in r:
        return f"bptt {r['backend']}"
    peer = r["peer"]
    if peer == "numpy":
        return f"numpy {r.get('dtype', '?')}"
    return f"{peer} {r.get('dtype', '?')}"


def threads_text(r):
    if "backend" in r:
        return f"{r.get('threads', 1)} thread{'s' if r.get('threads', 1) != 1 else ''}"
    if r.get("peer") == "numpy":
        return f"BLAS {r.get('threads')}"
    if "blas_threads" in r:
        return f"torch {r.get('threads')}, BLAS {r.get('blas_threads')}"
    return str(r.get("threads", "?"))


def fmt_rate(x):
    return f"{x:,.0f}"


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rows = load(sys.argv[1])
    metas = [r for r in rows if "meta" in r]
    failed = [r for r in rows if "failed" in r]
    results = [r for r in rows if ("backend" in r or "peer" in r) and "tokens_per_s" in r]
    skipped = [r for r in rows if "skipped" in r]

    workloads = []
    for r in results + skipped:
        if r.get("workload") not in workloads:
            workloads.append(r.get("workload"))

    print("=" * 100)
    print("bptt vs peers: training tokens/s (forward + BPTT + clip + Adagrad), higher is better")
    print("ratio = tokens/s of bptt's best backend / tokens/s of that row (>1: bptt faster)")
    print("=" * 100)
    for w in workloads:
        bptt = [r for r in results if "backend" in r and r.get("workload") == w]
        peers = [r for r in results if "peer" in r and r.get("workload") == w]
        best = max(bptt, key=lambda r: r["tokens_per_s"]) if bptt else None
        best1 = max((r for r in bptt if r.get("threads", 1) == 1), key=lambda r: r["tokens_per_s"], default=None)
        print(f"\n{w}: {WORKLOAD_TEXT.get(w, '')}")
        if best:
            print(f"  bptt best: {best['backend']} ({threads_text(best)}) {fmt_rate(best['tokens_per_s'])} tokens/s"
                  + (f"; best 1-thread: {best1['backend']} {fmt_rate(best1['tokens_per_s'])}" if best1 and best1 is not best else ""))
        else:
            print("  (no bptt measurement: no ratios)")
        header = f"  {'implementation':<28} {'threads':<18} {'tokens/s':>12}  {'best bptt / it':<46}"
        print(header)
        print("  " + "-" * (len(header) - 2))
        # best setting per peer+dtype, to mark it
        best_of = {}
        for r in peers:
            key = (r["peer"], r.get("dtype"))
            if key not in best_of or r["tokens_per_s"] > best_of[key]["tokens_per_s"]:
                best_of[key] = r
        for r in sorted(bptt, key=lambda r: -r["tokens_per_s"]) + peers:
            ratio = ""
            if best:
                x = best["tokens_per_s"] / r["tokens_per_s"]
                ratio = f"bptt {best['backend']} / {label(r).removeprefix('bptt ')} = {x:.2f}×"
            mark = ""
            if "peer" in r and len([p for p in peers if (p["peer"], p.get("dtype")) == (r["peer"], r.get("dtype"))]) > 1:
                mark = "  <- best setting" if best_of[(r["peer"], r.get("dtype"))] is r else ""
            if "peer" in r and r.get("clip") == "params only":
                mark += "  (clips params only)"
            print(f"  {label(r):<28} {threads_text(r):<18} {fmt_rate(r['tokens_per_s']):>12}  {ratio}{mark}")
        for r in skipped:
            if r.get("workload") == w:
                print(f"  {r.get('peer', '?'):<28} skipped: {r['skipped']}")
        # the headline: best bptt vs each peer's best setting
        if best and best_of:
            print("  summary:")
            for (peer, dtype), r in best_of.items():
                x = best["tokens_per_s"] / r["tokens_per_s"]
                print(f"    bptt {best['backend']} / {peer} {dtype} ({threads_text(r)}) = {x:.2f}×")
    if failed:
        print("\nFAILED runs:")
        for r in failed:
            print(f"  {r['failed']} (exit {r.get('exit')})")
    if metas:
        print("\nnotes:")
        for r in metas:
            print(f"  {r['meta']}: {r['value']}")
        busy = []
        for r in metas:
            if str(r["meta"]).startswith("CPU busy with other work"):
                try:
                    busy.append(int(r["value"]))
                except (TypeError, ValueError):
                    pass
        if busy and max(busy) >= 20:
            print(f"  WARNING: other work kept {max(busy)}% of the 2 cores busy (1 s samples before/after the runs):")
            print("           2-thread rows, and ratios against them, are unreliable; run again on a quiet machine")
    blas = next((r.get("blas") for r in results if r.get("peer") == "numpy" and r.get("blas")), None)
    if blas:
        print(f"  numpy's BLAS in the runs: {blas}")
    torch_v = next((r.get("torch") for r in results if str(r.get("peer", "")).startswith("torch")), None)
    if torch_v:
        print(f"  PyTorch {torch_v}: clips parameter gradients only (not the affine dh); Adagrad eps outside the sqrt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
