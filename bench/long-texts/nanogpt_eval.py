#!/usr/bin/env python3
"""nanoGPT's loss over the whole held-out split, to compare with bptt's (nats per character).

nanoGPT's printed `val loss` is an estimate on a few random blocks. This reads the checkpoint its
train.py wrote and evaluates every character of val.bin: non-overlapping blocks of block_size
characters (each predicted from the block's earlier characters, as in training), cross-entropy
averaged over all predicted positions. Run it with nanoGPT's folder (model.py) as the first argument;
nothing of nanoGPT is copied here.

  /usr/bin/python3 bench/long-texts/nanogpt_eval.py NANOGPT_DIR OUT_DIR/ckpt.pt DATA_DIR/val.bin
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

nanogpt, checkpoint_path, val_path = sys.argv[1:4]
sys.path.insert(0, nanogpt)
from model import GPT, GPTConfig  # noqa: E402  (nanoGPT's own model, from its folder)

checkpoint = torch.load(checkpoint_path, map_location="cpu")
config = GPTConfig(**checkpoint["model_args"])
model = GPT(config)
state = {k.removeprefix("_orig_mod."): v for k, v in checkpoint["model"].items()}
model.load_state_dict(state)
model.eval()
ids = torch.from_numpy(np.fromfile(val_path, dtype=np.uint16).astype(np.int64))
block = config.block_size
total, count = 0.0, 0
with torch.no_grad():
    for start in range(0, len(ids) - 1, block * 64):
        rows = []
        for s in range(start, min(start + block * 64, len(ids) - 1), block):
            rows.append((ids[s : min(s + block, len(ids) - 1)], ids[s + 1 : min(s + block, len(ids) - 1) + 1]))
        for x, y in rows:
            logits, _ = model(x[None, :], y[None, :])
            total += F.cross_entropy(logits.view(-1, logits.size(-1)), y, reduction="sum").item()
            count += len(y)
print(json.dumps({"peer": "nanoGPT", "iter": checkpoint.get("iter_num"), "val_nats_per_char": round(total / count, 4), "characters": count, "block_size": block}))
