"""Loads bptt model files into PyTorch modules with strict=True and recomputes bptt's eval loss.

Run by hand (Debian's python3-torch; not needed by CI), for any cell and layer count:
    npx tsx src/cli/main.ts train --activation tanh --hidden 32 --epochs 2 --out /tmp/tanh.safetensors
    npx tsx src/cli/main.ts eval --model /tmp/tanh.safetensors --data dinosaurs --json
    /usr/bin/python3 scripts/check_pytorch_load.py /tmp/tanh.safetensors node_modules/dinosaurs/dinosaurs.csv

The python `safetensors` package is not on Debian, so the file is read with the format's own few
lines (src/export/pytorch/safetensors_file.py); the state dict then goes through
`load_state_dict(..., strict=True)` exactly as `safetensors.torch.load_file` would hand it over,
into the module `bptt export pytorch` ships (src/export/pytorch/model.py).
"""
import json
import os
import sys

import torch

# The nn.Module and the safetensors reader of `bptt export pytorch`'s project (src/export/pytorch/).
sys.dont_write_bytecode = True  # no __pycache__ inside src/, which the npm package ships
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "export", "pytorch"))
from model import load_bptt  # noqa: E402


def main(model_path, data_path):
    model, meta = load_bptt(model_path)  # load_state_dict(..., strict=True)
    model.eval()
    vocab = meta["vocab"]
    index = {c: i for i, c in enumerate(vocab)}
    with open(data_path, encoding="utf-8") as f:
        lines = list(dict.fromkeys(line for line in f.read().split("\n") if line))
    if meta.get("lowercase"):
        lines = [line.lower() for line in lines]
    total, count = 0.0, 0
    with torch.no_grad():
        for line in lines:
            ids = [index["\n"]] + [index[c] for c in line] + [index["\n"]]
            logits, _ = model(torch.tensor([ids[:-1]]))
            total += torch.nn.functional.cross_entropy(logits[0], torch.tensor(ids[1:]), reduction="sum").item()
            count += len(ids) - 1
    print(json.dumps({"loaded_strict": True, "cell": meta.get("cell", "rnn"), "layers": meta.get("layers", 1), "activation": meta["activation"], "lines": len(lines), "chars": count, "nats_per_char": total / count}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
