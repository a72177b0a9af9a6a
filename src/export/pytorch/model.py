"""The bptt model as a PyTorch module, loading and saving bptt's model files.

A bptt model file is a safetensors file whose tensors carry PyTorch's names (embedding.weight,
rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, ..., fc.weight, fc.bias), with
bptt's own description in the metadata entry "bptt" (cell, activation, hidden, layers, embed, the
vocabulary). So the module below has the attributes `embedding` (nn.Embedding, or one-hot input when
embed is 0), `rnn` (nn.RNN, nn.LSTM or nn.GRU) and `fc` (nn.Linear), and loads the file with
strict=True.

The seed's RNN uses the sigmoid, which nn.RNN does not offer (tanh or relu): it runs as a loop over
the time steps with nn.RNN's own parameters, so the names and the file stay the same.
Dropout is where bptt applies it, during training only: on every input of layers above the first and
on the top layer's output before `fc` (never on the recurrence).
"""
import json
import os

import torch
from torch import nn

from safetensors_file import load_file, save_bytes


class BpttModel(nn.Module):
    def __init__(self, meta, dropout=0.0):
        super().__init__()
        self.meta = meta
        vocab, hidden, layers, embed = len(meta["vocab"]), meta["hidden"], meta["layers"], meta["embed"]
        self.cell, self.activation = meta["cell"], meta["activation"]
        if embed > 0:
            self.embedding = nn.Embedding(vocab, embed)
        size = embed if embed > 0 else vocab
        between = dropout if layers > 1 else 0.0  # nn.RNN's dropout: on the outputs of every layer but the last
        if self.cell == "lstm":
            self.rnn = nn.LSTM(size, hidden, num_layers=layers, batch_first=True, dropout=between)
        elif self.cell == "gru":
            self.rnn = nn.GRU(size, hidden, num_layers=layers, batch_first=True, dropout=between)
        else:
            self.rnn = nn.RNN(size, hidden, num_layers=layers, batch_first=True, dropout=between, nonlinearity="relu" if self.activation == "relu" else "tanh")
        self.dropout = dropout
        self.fc = nn.Linear(hidden, vocab)

    def zero_state(self, rows, device=None):
        """The state a sequence starts from: zeros, [layers, rows, hidden] (a pair (h, c) for the LSTM)."""
        h = torch.zeros(self.rnn.num_layers, rows, self.rnn.hidden_size, dtype=self.fc.weight.dtype, device=device or self.fc.weight.device)
        return (h, h.clone()) if self.cell == "lstm" else h

    def forward(self, ids, state=None, clip_output_gradient=None, resets=None):
        """Logits [rows, steps, vocab] and the final state, for token ids [rows, steps] from `state` (zeros if None).

        clip_output_gradient: bptt's elementwise clip of dJ/dh(t) as it comes out of the output layer,
        before backpropagation through time (the seed's notebook clips there too); None: none.
        resets: [rows, steps], 1 where a row starts a new document (mode stream): its state is zero there.
        """
        if state is None:
            state = self.zero_state(ids.shape[0], ids.device)
        if resets is not None and bool(resets.any()):
            # Step by step, so that the rows starting a document mid-window can start it from zeros.
            logits = []
            for t in range(ids.shape[1]):
                keep = (1 - resets[:, t]).to(self.fc.weight.dtype).view(1, -1, 1)
                state = tuple(s * keep for s in state) if isinstance(state, tuple) else state * keep
                step_logits, state = self(ids[:, t : t + 1], state, clip_output_gradient)
                logits.append(step_logits)
            return torch.cat(logits, dim=1), state
        if hasattr(self, "embedding"):
            x = self.embedding(ids)
        else:
            x = nn.functional.one_hot(ids, self.fc.out_features).to(self.fc.weight.dtype)
        if self.cell == "rnn" and self.activation == "sigmoid":
            h, state = self.sigmoid_rnn(x, state)
        else:
            h, state = self.rnn(x, state)
        if clip_output_gradient is not None and h.requires_grad:
            h.register_hook(lambda gradient: gradient.clamp(-clip_output_gradient, clip_output_gradient))
        h = nn.functional.dropout(h, self.dropout, self.training)
        return self.fc(h), state

    def sigmoid_rnn(self, x, state):
        """The seed's unit, h(t) = sigmoid(W_ih x(t) + b_ih + W_hh h(t-1) + b_hh) (Eqs. 1.1, 1.2), layer after layer."""
        finals = []
        for layer in range(self.rnn.num_layers):
            if layer > 0:
                x = nn.functional.dropout(x, self.dropout, self.training)
            w_ih, w_hh = getattr(self.rnn, f"weight_ih_l{layer}"), getattr(self.rnn, f"weight_hh_l{layer}")
            b_ih, b_hh = getattr(self.rnn, f"bias_ih_l{layer}"), getattr(self.rnn, f"bias_hh_l{layer}")
            inputs = x @ w_ih.T + b_ih  # the input half of (1.1) for every step at once
            h = state[layer]
            steps = []
            for t in range(x.shape[1]):
                h = torch.sigmoid(inputs[:, t] + h @ w_hh.T + b_hh)
                steps.append(h)
            x = torch.stack(steps, dim=1)
            finals.append(h)
        return x, torch.stack(finals)


def load_bptt(path, dropout=0.0):
    """The model in a bptt model file (strict: every tensor must be there, none else), and its "bptt" metadata."""
    tensors, metadata = load_file(path)
    if "bptt" not in metadata:
        raise ValueError(f"{path} is a safetensors file but not a bptt model (no 'bptt' metadata)")
    meta = json.loads(metadata["bptt"])
    model = BpttModel(meta, dropout)
    if meta.get("dtype") == "float64":
        model = model.double()
    model.load_state_dict(tensors, strict=True)
    return model, meta


def save_bptt(model, meta, path):
    """Writes the model as a bptt model file (the same names and metadata bptt reads), via a temporary file and a rename."""
    tensors = {name: tensor for name, tensor in model.state_dict().items()}
    data = save_bytes(tensors, {"format": "pt", "bptt": json.dumps(meta)})
    temporary = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
