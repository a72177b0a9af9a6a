#!/usr/bin/env python3
"""Peer benchmark: bptt's training step in PyTorch (autograd), CPU.

Two implementations, each printed as its own JSON line:

  torch-manual   the same model as bptt, written as a Python loop over time with torch ops:
                 z(t) = h(t-1)·Whᵀ + Wx[:, x(t)] + b1 (one-hot input as a column GATHER,
                 F.embedding(ids, Wxᵀ), for all steps before the loop), h = sigmoid/tanh(z);
                 θ = H·Uᵀ + b2 over all T·B rows, cross-entropy summed / N; loss.backward().
                 Works for both workloads (sigmoid and tanh).
  torch-nn.RNN   (tanh workloads only: nn.RNN has no sigmoid) torch.nn.RNN (ATen's C++ RNN
                 loop) on one-hot float input (T, B, V), then nn.Linear. nn.RNN has TWO bias
                 vectors (b_ih, b_hh): one redundant vector more than bptt.

Both clip ONLY the parameter gradients to ±5 after backward() (clip_grad_value_): clipping
the affine dh inside autograd would need a hook, so the JSON says "clip": "params only".
Optimizer: torch.optim.Adagrad(lr=0.1, eps=1e-8), which computes p -= lr·g/(√m + eps)
(eps outside the root, bptt has √(m + 1e-8)): the same cost.

Threads: --threads N is torch.set_num_threads(N) (ATen's OpenMP pool: elementwise ops,
reductions). Debian's torch calls the system BLAS (libblas.so.3 = OpenBLAS, pthreads) for
matrix products, whose pool is set by --blas-threads (OPENBLAS_NUM_THREADS, set before
torch loads; default: the environment's, else OpenBLAS's own default = the core count).
"""
import argparse
import json
import os
import sys
import time


def _early_flag(argv, name):
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


_blas = _early_flag(sys.argv[1:], "--blas-threads")
if _blas is not None:  # must be set before torch (and OpenBLAS) loads
    os.environ["OPENBLAS_NUM_THREADS"] = _blas
    os.environ["MKL_NUM_THREADS"] = _blas

WORKLOADS = {
    "seed": dict(activation="sigmoid", H=256, V=27, B=512, T=15),
    "small": dict(activation="tanh", H=128, V=27, B=32, T=12),
    # bptt's lstm and gru workloads: the small shape with nn.LSTM / nn.GRU (nn.* implementation only)
    "lstm": dict(activation="tanh", H=128, V=27, B=32, T=12, cell="lstm"),
    "gru": dict(activation="tanh", H=128, V=27, B=32, T=12, cell="gru"),
}
CLIP = 5.0
LR = 0.1


def skip_line(peer, workload, dtype, reason):
    return {"peer": peer, "workload": workload, "dtype": dtype, "skipped": reason}


try:
    import torch
    import torch.nn.functional as F
    TORCH_ERROR = None
except Exception as e:  # torch missing or broken: say so, don't crash
    torch = None
    TORCH_ERROR = f"torch import failed: {type(e).__name__}: {e}"


def blas_threads():
    """The thread count of the OpenBLAS mapped into this process (Debian's torch calls libblas.so.3)."""
    try:
        import ctypes
        maps = open("/proc/self/maps").read()
        libs = sorted({l.split()[-1] for l in maps.splitlines() if "libopenblas" in l.split()[-1]})
        lib = ctypes.CDLL(libs[0])
        return int(lib.openblas_get_num_threads())
    except Exception:
        env = os.environ.get("OPENBLAS_NUM_THREADS")
        return int(env) if env else None


# ----------------------------------------------------------------------------- models
class ManualRnn(torch.nn.Module if torch else object):
    def __init__(self, H, V, activation, dtype, gen, scale=1.0 / 16):
        super().__init__()
        P = torch.nn.Parameter
        self.Wh = P(torch.randn(H, H, generator=gen, dtype=dtype) * scale)
        self.Wx = P(torch.randn(H, V, generator=gen, dtype=dtype) * scale)
        self.b1 = P(torch.zeros(H, dtype=dtype))
        self.U = P(torch.randn(V, H, generator=gen, dtype=dtype) * scale)
        self.b2 = P(torch.zeros(V, dtype=dtype))
        self.act = torch.sigmoid if activation == "sigmoid" else torch.tanh
        self.H = H

    def loss(self, inputs, targets):
        """inputs, targets: (T, B) int64. Σ cross-entropy / B."""
        T, B = inputs.shape
        xw = F.embedding(inputs, self.Wx.t()) + self.b1  # (T, B, H): columns of Wx, + b1
        # unbind, not xw[t]: each xw[t] would back-propagate through its own full-size
        # (T, B, H) zero-filled gradient (SelectBackward), T of them per step
        xs = xw.unbind(0)
        h = torch.zeros(B, self.H, dtype=self.Wh.dtype)
        whT = self.Wh.t()
        hs = []
        for t in range(T):
            h = self.act(torch.addmm(xs[t], h, whT))
            hs.append(h)
        hall = torch.stack(hs).reshape(T * B, self.H)
        theta = F.linear(hall, self.U, self.b2)
        return F.cross_entropy(theta, targets.reshape(-1), reduction="sum") / B


class NnRnn(torch.nn.Module if torch else object):
    def __init__(self, H, V, dtype, gen, scale=1.0 / 16, cell="rnn"):
        super().__init__()
        if cell == "lstm":
            self.rnn = torch.nn.LSTM(V, H, bias=True).to(dtype)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(V, H, bias=True).to(dtype)
        else:
            self.rnn = torch.nn.RNN(V, H, nonlinearity="tanh", bias=True).to(dtype)
        self.out = torch.nn.Linear(H, V).to(dtype)
        with torch.no_grad():
            for p in self.parameters():
                if p.dim() == 2:
                    p.copy_(torch.randn(p.shape, generator=gen, dtype=dtype) * scale)
                else:
                    p.zero_()
        self.register_buffer("eye", torch.eye(V, dtype=dtype))
        self.H = H

    def loss(self, inputs, targets):
        T, B = inputs.shape
        x = self.eye[inputs]  # one-hot (T, B, V): nn.RNN needs dense input
        hall, _ = self.rnn(x)
        theta = self.out(hall.reshape(T * B, self.H))
        return F.cross_entropy(theta, targets.reshape(-1), reduction="sum") / B


def train_step(model, opt, params, inputs, targets):
    opt.zero_grad(set_to_none=True)
    loss = model.loss(inputs, targets)
    loss.backward()
    torch.nn.utils.clip_grad_value_(params, CLIP)
    opt.step()
    return loss


def benchmark(kind, workload, dtype_name, seconds, threads, warmup=2, seed=1):
    w = WORKLOADS[workload]
    dtype = getattr(torch, dtype_name)
    gen = torch.Generator().manual_seed(seed)
    T, B, V, H = w["T"], w["B"], w["V"], w["H"]
    if kind == "manual":
        model = ManualRnn(H, V, w["activation"], dtype, gen)
    else:
        model = NnRnn(H, V, dtype, gen, cell=w.get("cell", "rnn"))
    params = list(model.parameters())
    opt = torch.optim.Adagrad(params, lr=LR, eps=1e-8)
    batches = []
    for _ in range(8):
        seq = torch.randint(0, V, (T + 1, B), generator=gen)
        batches.append((seq[:T].contiguous(), seq[1:].contiguous()))
    for i in range(warmup):
        train_step(model, opt, params, *batches[i % len(batches)])
    steps = 0
    start = time.perf_counter()
    elapsed = 0.0
    loss = None
    while elapsed < seconds or steps < 3:
        loss = train_step(model, opt, params, *batches[steps % len(batches)])
        steps += 1
        elapsed = time.perf_counter() - start
    final = float(loss)
    if final != final:
        raise SystemExit(f"torch {kind} {workload}: loss is NaN")
    module = {"lstm": "nn.LSTM", "gru": "nn.GRU"}.get(w.get("cell"), "nn.RNN")
    return {"peer": f"torch-{'manual' if kind == 'manual' else module}", "dtype": dtype_name, "workload": workload,
            "tokens_per_s": round(steps * T * B / elapsed, 1), "threads": torch.get_num_threads(),
            "blas_threads": blas_threads(), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
            "steps": steps, "seconds": round(elapsed, 3), "tokens_per_step": T * B,
            "clip": "params only", "optimizer": "torch.optim.Adagrad (eps outside sqrt)",
            "onehot": "gather (F.embedding of Wx^T)" if kind == "manual" else "one-hot float input to nn.RNN",
            "torch": torch.__version__, "final_loss": round(final, 4)}


# ----------------------------------------------------------------------------- cross-check with numpy
def check_against_numpy():
    """torch-manual's loss and autograd gradients vs numpy_rnn.py's hand-derived ones, on
    the same weights (float64, tiny case, clipping inactive)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import numpy as np
    from numpy_rnn import NumpyRnn

    B, T, H, V = 3, 4, 5, 6
    worst = 0.0
    for activation in ("sigmoid", "tanh"):
        rng = np.random.default_rng(3)
        ref = NumpyRnn(H, V, activation, np.float64, rng, scale=0.5)
        ref.p["b1"][...] = rng.standard_normal(H) * 0.1
        ref.p["b2"][...] = rng.standard_normal(V) * 0.1
        seq = rng.integers(0, V, size=(T + 1, B))
        loss_np = ref.forward(seq[:T], seq[1:])
        ref.backward(clip=None)
        model = ManualRnn(H, V, activation, torch.float64, torch.Generator().manual_seed(0))
        with torch.no_grad():
            for name in ("Wh", "Wx", "b1", "U", "b2"):
                getattr(model, name).copy_(torch.from_numpy(ref.p[name].copy()))
        loss_t = model.loss(torch.from_numpy(seq[:T]).long(), torch.from_numpy(seq[1:]).long())
        loss_t.backward()
        errs = {"loss": abs(float(loss_t) - loss_np) / abs(loss_np)}
        for name in ("Wh", "Wx", "b1", "U", "b2"):
            a = ref.g[name]
            b = getattr(model, name).grad.numpy()
            errs[name] = float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-300))
        print(json.dumps({"check": "torch autograd vs numpy hand-derived", "activation": activation,
                          "max_relative_error": errs}))
        worst = max(worst, max(errs.values()))
    ok = worst < 1e-10
    print(f"torch/numpy cross-check {'PASSED' if ok else 'FAILED'}: max relative difference {worst:.3e}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", choices=list(WORKLOADS), default="seed")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N) (default: torch's default)")
    ap.add_argument("--blas-threads", type=int, default=None, help="OPENBLAS_NUM_THREADS for torch's BLAS calls")
    ap.add_argument("--impl", choices=["all", "manual", "nn.RNN"], default="all",
                    help="which implementation(s); nn.RNN only runs on tanh workloads")
    ap.add_argument("--check", action="store_true", help="compare torch-manual's gradients with numpy_rnn.py's")
    args = ap.parse_args()
    kinds = ["manual", "nn.RNN"] if args.impl == "all" else [args.impl]
    if "cell" in WORKLOADS[args.workload]:
        kinds = ["nn.RNN"]  # LSTM and GRU: PyTorch's own modules only (the "nn.RNN" implementation slot)
    if torch is None:
        print(f"torch_rnn.py: skipping PyTorch ({TORCH_ERROR})", file=sys.stderr)
        for kind in kinds:
            if kind == "nn.RNN" and WORKLOADS[args.workload]["activation"] != "tanh" and args.impl == "all":
                continue
            print(json.dumps(skip_line(f"torch-{kind}", args.workload, args.dtype, TORCH_ERROR)), flush=True)
        return 0
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.check:
        return 0 if check_against_numpy() else 1
    for kind in kinds:
        if kind == "nn.RNN" and WORKLOADS[args.workload]["activation"] != "tanh":
            if args.impl == "nn.RNN":
                print(json.dumps(skip_line("torch-nn.RNN", args.workload, args.dtype, "nn.RNN has no sigmoid")), flush=True)
            continue
        print(json.dumps(benchmark(kind, args.workload, args.dtype, args.seconds, args.threads)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
