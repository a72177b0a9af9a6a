#!/usr/bin/env python3
"""The table of bench/peers/run.sh: reads the collected JSON lines and prints, for each
workload, every measurement's tokens/s and how many times faster bptt's best backend is.

  summarize.py FILE.jsonl

Lines with "backend" are bptt's (`bptt bench --json`), lines with "peer" are numpy/PyTorch,
"meta" lines are notes (load average, BLAS), "failed"/"skipped" say what did not run. A "round"
field (run.sh's ROUNDS) groups measurements: each row then shows its median and range over the
rounds, and each ratio is the median of the ratios taken within a round.
"""
import json
import sys

WORKLOAD_TEXT = {
    "seed": "sigmoid, H=256, V=27, B=512, T=15 (7,680 tokens/step)",
    "small": "tanh, H=128, V=27, B=32, T=12 (384 tokens/step; bptt: real tokens of padded name batches)",
    "lstm": "LSTM, the small shape (nn.LSTM on one-hot input)",
    "gru": "GRU, the small shape (nn.GRU on one-hot input)",
    "text": "LSTM, H=256, embedding 64, dropout 0.4, mode stream: 32 streams × windows of 64 (2,048 tokens/step; nn.LSTM)",
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


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def spread(values, fmt):
    """' (min–max)' over the rounds, or nothing for a single value."""
    return f" ({fmt(min(values))}–{fmt(max(values))})" if len(values) > 1 else ""


def ratio_text(x):
    return f"{x:.2f}×"


def workload_table(w, results, skipped):
    """Prints one workload's rows. With several rounds each row is the median of its rounds, and
    each ratio the median of the ratios taken within a round (bptt's best of that round / the row)."""
    here = [r for r in results if r.get("workload") == w]
    groups = {}  # (label, threads) -> {round: row}
    for r in here:
        groups.setdefault((label(r), threads_text(r)), {})[r.get("round", 1)] = r
    rate = {g: median([r["tokens_per_s"] for r in by_round.values()]) for g, by_round in groups.items()}
    is_bptt = {g: "backend" in next(iter(by_round.values())) for g, by_round in groups.items()}
    bptt_groups = [g for g in groups if is_bptt[g]]
    peer_groups = [g for g in groups if not is_bptt[g]]
    # bptt's best of each round: the numerator of that round's ratios
    best_in_round = {}
    for r in here:
        if "backend" in r:
            n = r.get("round", 1)
            best_in_round[n] = max(best_in_round.get(n, 0), r["tokens_per_s"])
    best = max(bptt_groups, key=lambda g: rate[g], default=None)
    best1 = max((g for g in bptt_groups if g[1] == "1 thread"), key=lambda g: rate[g], default=None)

    def ratios(by_round):
        return [best_in_round[n] / r["tokens_per_s"] for n, r in by_round.items() if n in best_in_round]

    print(f"\n{w}: {WORKLOAD_TEXT.get(w, '')}")
    if best:
        print(f"  bptt best: {best[0].removeprefix('bptt ')} ({best[1]}) {fmt_rate(rate[best])} tokens/s"
              + (f"; best 1-thread: {best1[0].removeprefix('bptt ')} {fmt_rate(rate[best1])}" if best1 and best1 != best else ""))
    else:
        print("  (no bptt measurement: no ratios)")
    rounds = max(len(by_round) for by_round in groups.values()) if groups else 1
    rate_head = "tokens/s" + (f" (median of {rounds})" if rounds > 1 else "")
    header = f"  {'implementation':<28} {'threads':<18} {rate_head:>{12 if rounds == 1 else 40}}  best bptt / it"
    print(header)
    print("  " + "-" * (len(header) + 20))
    # each peer's best setting (by median), to mark it, and how many settings it has
    best_of, settings = {}, {}
    for g in peer_groups:
        r = next(iter(groups[g].values()))
        k = (r["peer"], r.get("dtype"))
        settings[k] = settings.get(k, 0) + 1
        if k not in best_of or rate[g] > rate[best_of[k]]:
            best_of[k] = g
    for g in sorted(bptt_groups, key=lambda g: -rate[g]) + peer_groups:
        by_round = groups[g]
        r = next(iter(by_round.values()))
        column = fmt_rate(rate[g]) + spread([x["tokens_per_s"] for x in by_round.values()], fmt_rate)
        x = ratios(by_round) if best else []
        ratio = f"{ratio_text(median(x))}{spread(x, ratio_text)}" if x else ""
        mark = ""
        if "peer" in r and settings[(r["peer"], r.get("dtype"))] > 1:
            mark = "  <- best setting" if best_of[(r["peer"], r.get("dtype"))] == g else ""
        if "peer" in r and r.get("clip") == "params only":
            mark += "  (clips params only)"
        print(f"  {g[0]:<28} {g[1]:<18} {column:>{12 if rounds == 1 else 40}}  {ratio}{mark}")
    for r in skipped:
        if r.get("workload") == w:
            print(f"  {r.get('peer', '?'):<28} skipped: {r['skipped']}")
    # the headline: bptt's best against each peer's best setting, within each round
    if best and best_of:
        print("  summary" + (f" (median of the {rounds} rounds' ratios, and their range)" if rounds > 1 else "") + ":")
        for (peer, dtype), g in best_of.items():
            per_round = []
            for n, top in best_in_round.items():
                peer_rates = [x["tokens_per_s"] for x in here if x.get("peer") == peer and x.get("dtype") == dtype and x.get("round", 1) == n]
                if peer_rates:
                    per_round.append(top / max(peer_rates))
            if per_round:
                print(f"    bptt {best[0].removeprefix('bptt ')} / {peer} {dtype} = {ratio_text(median(per_round))}{spread(per_round, ratio_text)}")


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
        workload_table(w, results, skipped)
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
