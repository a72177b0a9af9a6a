#!/usr/bin/env python3
"""docs/long-texts.md's sweep table from sweep.py's JSON lines: one Markdown row per run, grouped by text (in order of first appearance).

  /usr/bin/python3 bench/long-texts/sweep_table.py bench/long-texts/sweep-native.jsonl
CPU s/step is the run's own CPU time (startup and evaluations included) over its steps.
"""
import json
import sys


def main():
    print("| text | recipe: the text recipe of the time (LSTM 256, dropout 0.4), with | steps | CPU s | CPU s/step | val | load |")
    print("|---|---|---|---|---|---|---|")
    runs = [json.loads(line) for path in sys.argv[1:] for line in open(path)]
    texts = list(dict.fromkeys(r["text"] for r in runs))
    for r in sorted(runs, key=lambda r: texts.index(r["text"])):  # stable: file order within a text
            flags = f" (`{r['flags']}`)" if r["flags"] else ""
            print(f"| {r['text'].removesuffix('.txt')} | {r['name']}{flags} | {r['steps']} | {r['cpu']:.0f} | {r['cpu'] / r['steps']:.4f} | {r['val']:.4f} | {r['load']:.1f} |")


if __name__ == "__main__":
    main()
