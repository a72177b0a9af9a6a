"""Loads bptt model files into PyTorch modules with strict=True and recomputes bptt's eval loss.

Run by hand (Debian's python3-torch; not needed by CI), for any cell and layer count:
    npx tsx src/cli/main.ts train --activation tanh --hidden 32 --epochs 2 --out /tmp/tanh.safetensors
    npx tsx src/cli/main.ts eval --model /tmp/tanh.safetensors --data dinosaurs --json
    /usr/bin/python3 scripts/check_pytorch_load.py /tmp/tanh.safetensors node_modules/dinosaurs/dinosaurs.csv

The python `safetensors` package is not on Debian, so the file is read here with the format's
own few lines (8-byte little-endian header length, JSON header, raw little-endian data); the
state dict then goes through `load_state_dict(..., strict=True)` exactly as
`safetensors.torch.load_file` would hand it over.
"""
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[base + begin : base + end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata


class CharRNN(torch.nn.Module):
    """nn.RNN (or a sigmoid RNN, which nn.RNN lacks) + nn.Linear, with an optional nn.Embedding."""

    def __init__(self, vocab, hidden, embed, activation, cell="rnn", layers=1):
        super().__init__()
        if embed > 0:
            self.embedding = torch.nn.Embedding(vocab, embed)
        size = embed if embed > 0 else vocab
        if cell == "lstm":
            self.rnn = torch.nn.LSTM(size, hidden, num_layers=layers, batch_first=True)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(size, hidden, num_layers=layers, batch_first=True)
        else:
            self.rnn = torch.nn.RNN(size, hidden, num_layers=layers, batch_first=True, nonlinearity="relu" if activation == "relu" else "tanh")
        self.cell = cell
        self.fc = torch.nn.Linear(hidden, vocab)
        self.activation = activation
        self.vocab = vocab
        self.embed = embed

    def forward(self, ids):
        x = self.embedding(ids) if self.embed > 0 else torch.nn.functional.one_hot(ids, self.vocab).to(self.fc.weight.dtype)
        if self.cell in ("lstm", "gru") or self.activation in ("tanh", "relu"):
            h, _ = self.rnn(x)
        else:  # the seed's sigmoid unit, with nn.RNN's own parameters, layer after layer
            h = x
            for layer in range(self.rnn.num_layers):
                w_ih, w_hh = getattr(self.rnn, f"weight_ih_l{layer}"), getattr(self.rnn, f"weight_hh_l{layer}")
                b_ih, b_hh = getattr(self.rnn, f"bias_ih_l{layer}"), getattr(self.rnn, f"bias_hh_l{layer}")
                state = torch.zeros(h.shape[0], w_hh.shape[0], dtype=h.dtype)
                steps = []
                for t in range(h.shape[1]):
                    state = torch.sigmoid(h[:, t] @ w_ih.T + b_ih + state @ w_hh.T + b_hh)
                    steps.append(state)
                h = torch.stack(steps, dim=1)
        return self.fc(h)


def main(model_path, data_path):
    tensors, metadata = load_safetensors(model_path)
    meta = json.loads(metadata["bptt"])
    assert metadata["format"] == "pt"
    vocab = meta["vocab"]
    model = CharRNN(len(vocab), meta["hidden"], meta["embed"], meta["activation"], meta.get("cell", "rnn"), meta.get("layers", 1))
    if meta["dtype"] == "float64":
        model = model.double()
    model.load_state_dict(tensors, strict=True)
    index = {c: i for i, c in enumerate(vocab)}
    with open(data_path, encoding="utf-8") as f:
        lines = list(dict.fromkeys(line for line in f.read().split("\n") if line))
    if meta.get("lowercase"):
        lines = [line.lower() for line in lines]
    total, count = 0.0, 0
    with torch.no_grad():
        for line in lines:
            ids = [index["\n"]] + [index[c] for c in line] + [index["\n"]]
            logits = model(torch.tensor([ids[:-1]]))
            total += torch.nn.functional.cross_entropy(logits[0], torch.tensor(ids[1:]), reduction="sum").item()
            count += len(ids) - 1
    print(json.dumps({"loaded_strict": True, "cell": meta.get("cell", "rnn"), "layers": meta.get("layers", 1), "activation": meta["activation"], "lines": len(lines), "chars": count, "nats_per_char": total / count}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
