#!/usr/bin/env python3
"""Peer benchmark: bptt's training step written by hand in numpy.

The same model and math as bptt (src/model/rnn-model.ts, src/nn/*):

  forward   z(t) = h(t-1)·Whᵀ + Wx[:, x(t)] + b1,  h(t) = act(z(t))      (loop over t)
            θ = H·Uᵀ + b2 for all T·B rows at once, softmax cross-entropy,
            J = Σ_t Σ_rows -log p[target] / N  (N = batch size B)
  backward  dθ = (p − onehot)/N;  dU = dθᵀ·H,  db2 = Σ dθ;  dh_local = dθ·U  (all steps at once)
            clip dh_local to ±5 (the seed's notebook clips the affine dh before BPTT)
            sweep t = T..1: γ(t) = dh_local(t) + γ(t) from later steps (accumulated gamma),
                            dz(t) = γ(t) ∘ act'(z(t)),  γ(t-1) = dz(t)·Wh
            dWh = dZᵀ·H_prev, dWx = dZᵀ·X (X one-hot), db1 = Σ dZ  (all T·B rows at once)
            clip every parameter gradient to ±5
  update    Adagrad: m += g², p -= lr·g/√(m + 1e-8), lr 0.1

One-hot input: the forward pass GATHERS columns of Wx (Wxᵀ[ids], for all
steps at once before the time loop); the backward pass computes dWx as a
one-hot MATMUL dZᵀ·X (a scatter-add with np.add.at is much slower in numpy 1.24).

Prints one JSON line. `--check` instead runs a finite-difference gradient check.
"""
import argparse
import json
import os
import sys
import time


def _blas_threads_from_args(argv):
    """--threads N sets OPENBLAS_NUM_THREADS before numpy loads; else respect the env; else 2."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return None


_requested = _blas_threads_from_args(sys.argv[1:])
if _requested is not None:
    os.environ["OPENBLAS_NUM_THREADS"] = _requested
    os.environ["OMP_NUM_THREADS"] = _requested
    os.environ["MKL_NUM_THREADS"] = _requested
elif "OPENBLAS_NUM_THREADS" not in os.environ and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OPENBLAS_NUM_THREADS"] = "2"  # this machine has 2 cores

try:
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(json.dumps({"peer": "numpy", "skipped": f"numpy import failed: {e}"}))
    sys.exit(0)

WORKLOADS = {
    # the seed's notebook: sigmoid, D_h 256, batches of 512 chunks of 15 steps
    "seed": dict(activation="sigmoid", H=256, V=27, B=512, T=15),
    # bptt's small workload: tanh, D_h 128, batches of 32 names (~12 steps padded)
    "small": dict(activation="tanh", H=128, V=27, B=32, T=12),
}
CLIP = 5.0
LR = 0.1
EPS = 1e-8


# ----------------------------------------------------------------------------- BLAS info
def blas_info():
    """Which BLAS numpy really calls (Debian's numpy links libblas.so.3, an alternative;
    a pip wheel bundles its own OpenBLAS): the BLAS libraries mapped into this process."""
    info = {}
    try:
        import threadpoolctl  # optional

        blas = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
        if blas:
            info["blas"] = f"{blas[0].get('internal_api')} {blas[0].get('version')} ({blas[0].get('filepath')})"
            info["blas_kernel"] = blas[0].get("architecture")  # OpenBLAS's kernel for this CPU, e.g. SkylakeX (AVX-512)
            info["blas_threads"] = blas[0].get("num_threads")
            return info
    except Exception:
        pass
    try:
        maps = open("/proc/self/maps").read()
        libs = sorted({l.split()[-1] for l in maps.splitlines() if "blas" in l.split()[-1].lower() and ".so" in l})
    except Exception:
        libs = []
    openblas = [p for p in libs if "openblas" in os.path.basename(p).lower()]
    if openblas:
        try:
            import ctypes

            lib = ctypes.CDLL(openblas[0])  # already loaded: the same handle
            get_config = getattr(lib, "openblas_get_config", None) or getattr(lib, "scipy_openblas_get_config64_")
            get_config.restype = ctypes.c_char_p
            info["blas"] = get_config().decode()
            get_core = getattr(lib, "openblas_get_corename", None) or getattr(lib, "scipy_openblas_get_corename64_", None)
            if get_core is not None:
                get_core.restype = ctypes.c_char_p
                info["blas_core"] = get_core().decode()
            get_threads = getattr(lib, "openblas_get_num_threads", None) or getattr(lib, "scipy_openblas_get_num_threads64_")
            info["blas_threads"] = int(get_threads())
        except Exception:
            pass
    if libs:
        info["blas_libraries"] = libs
    info.setdefault("blas", ", ".join(libs) or "unknown")
    if "blas_threads" not in info:
        env = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
        info["blas_threads"] = int(env) if env else None
    return info


# ----------------------------------------------------------------------------- model
class NumpyRnn:
    """Parameters, gradients and Adagrad memory each live in ONE flat array (as in bptt),
    so clipping and the update are single vectorised operations."""

    def __init__(self, H, V, activation, dtype, rng, scale=1.0 / 16):
        self.H, self.V, self.activation, self.dtype = H, V, activation, np.dtype(dtype)
        shapes = [("Wh", (H, H)), ("Wx", (H, V)), ("b1", (H,)), ("U", (V, H)), ("b2", (V,))]
        size = sum(int(np.prod(s)) for _, s in shapes)
        self.params = np.zeros(size, dtype=self.dtype)
        self.grads = np.zeros(size, dtype=self.dtype)
        self.memory = np.zeros(size, dtype=self.dtype)
        self.p, self.g = {}, {}
        offset = 0
        for name, shape in shapes:
            n = int(np.prod(shape))
            self.p[name] = self.params[offset:offset + n].reshape(shape)
            self.g[name] = self.grads[offset:offset + n].reshape(shape)
            offset += n
        for name in ("Wh", "Wx", "U"):  # weights N(0,1)·scale, biases 0
            self.p[name][...] = rng.standard_normal(self.p[name].shape) * scale
        self.eye = np.eye(V, dtype=self.dtype)
        self._ws = None

    def _workspace(self, T, B):
        if self._ws is None or self._ws[0] != (T, B):
            H, V, dt = self.H, self.V, self.dtype
            self._ws = ((T, B), dict(
                hs=np.zeros((T + 1, B, H), dtype=dt),    # h(0..T); h(0) = 0
                theta=np.empty((T * B, V), dtype=dt),    # logits, then probs, then dθ
                dh=np.empty((T * B, H), dtype=dt),       # γ_t(t), then γ(t), then dz(t), in place
                deriv=np.empty((T, B, H), dtype=dt),     # act'(z) recovered from h
                gamma=np.empty((B, H), dtype=dt),        # γ(t-1) flowing backwards
                rows=np.arange(T * B),
            ))
        return self._ws[1]

    def forward(self, inputs, targets):
        """inputs, targets: (T, B) int arrays. Returns the summed loss over the batch / B."""
        T, B = inputs.shape
        H = self.H
        ws = self._workspace(T, B)
        Wh, Wx, b1, U, b2 = (self.p[k] for k in ("Wh", "Wx", "b1", "U", "b2"))
        hs = ws["hs"]
        hs[0].fill(0)
        # Wx·x(t) for one-hot x(t) is column x(t) of Wx: gather all steps at once, add b1.
        xw = Wx.T[inputs]            # (T, B, H)
        xw += b1
        for t in range(T):
            z = hs[t + 1]
            np.matmul(hs[t], Wh.T, out=z)
            z += xw[t]
            if self.activation == "sigmoid":
                np.negative(z, out=z)
                np.exp(z, out=z)
                z += 1
                np.reciprocal(z, out=z)
            else:
                np.tanh(z, out=z)
        # output layer and softmax cross-entropy over all T·B rows at once
        hall = hs[1:].reshape(T * B, H)
        theta = ws["theta"]
        np.matmul(hall, U.T, out=theta)
        theta += b2
        theta -= theta.max(axis=1, keepdims=True)
        np.exp(theta, out=theta)
        theta /= theta.sum(axis=1, keepdims=True)  # probs
        tflat = targets.reshape(-1)
        loss = -np.log(theta[ws["rows"], tflat]).sum() / B
        self._last = (inputs, targets)
        return float(loss)

    def backward(self, clip=CLIP, count_clipped=False):
        """Overwrites self.grads with ∂J/∂params; with count_clipped, returns how many entries clipping changed."""
        inputs, targets = self._last
        T, B = inputs.shape
        H, V = self.H, self.V
        ws = self._workspace(T, B)
        Wh, U = self.p["Wh"], self.p["U"]
        g = self.g
        hs, dtheta, dh, deriv, gamma = ws["hs"], ws["theta"], ws["dh"], ws["deriv"], ws["gamma"]
        hall = hs[1:].reshape(T * B, H)
        clipped = 0
        # dθ = (p − onehot(target)) / N
        dtheta[ws["rows"], targets.reshape(-1)] -= 1
        dtheta *= 1.0 / B
        np.matmul(dtheta.T, hall, out=g["U"])
        np.sum(dtheta, axis=0, out=g["b2"])
        np.matmul(dtheta, U, out=dh)  # γ_t(t) for every t
        if clip is not None:
            clipped += int(np.count_nonzero(np.abs(dh) > clip)) if count_clipped else 0
            np.clip(dh, -clip, clip, out=dh)
        # act'(z) from h, for all steps at once
        h = hs[1:]
        if self.activation == "sigmoid":
            np.subtract(1, h, out=deriv)
            deriv *= h          # σ' = h(1 − h)
        else:
            np.multiply(h, h, out=deriv)
            np.subtract(1, deriv, out=deriv)  # tanh' = 1 − h²
        dh3 = dh.reshape(T, B, H)
        for t in range(T - 1, -1, -1):
            step = dh3[t]
            if t < T - 1:
                step += gamma     # accumulated gamma (Trick 2)
            step *= deriv[t]      # dz(t)
            if t > 0:  # (γ(0) = ∂J/∂h0 is not needed for training)
                np.matmul(step, Wh, out=gamma)  # γ(t-1) = Whᵀ dz(t)
        dZ = dh  # (T·B, H)
        np.matmul(dZ.T, hs[:T].reshape(T * B, H), out=g["Wh"])
        X = self.eye[inputs.reshape(-1)]            # one-hot (T·B, V)
        np.matmul(dZ.T, X, out=g["Wx"])
        np.sum(dZ, axis=0, out=g["b1"])
        if clip is not None:
            clipped += int(np.count_nonzero(np.abs(self.grads) > clip)) if count_clipped else 0
            np.clip(self.grads, -clip, clip, out=self.grads)
        return clipped

    def adagrad(self, lr=LR):
        g = self.grads
        self.memory += g * g
        self.params -= lr * g / np.sqrt(self.memory + EPS)

    def train_step(self, inputs, targets):
        loss = self.forward(inputs, targets)
        self.backward()
        self.adagrad()
        return loss


# ----------------------------------------------------------------------------- gradient check
def gradient_check():
    """Analytic gradients vs central finite differences, float64, B=3 T=4 H=5 V=6."""
    B, T, H, V = 3, 4, 5, 6
    worst_all = 0.0
    for activation in ("sigmoid", "tanh"):
        rng = np.random.default_rng(7)
        model = NumpyRnn(H, V, activation, np.float64, rng, scale=0.5)
        model.p["b1"][...] = rng.standard_normal(H) * 0.1
        model.p["b2"][...] = rng.standard_normal(V) * 0.1
        seq = rng.integers(0, V, size=(T + 1, B))
        inputs, targets = seq[:T], seq[1:]
        model.forward(inputs, targets)
        clipped = model.backward(clip=CLIP, count_clipped=True)
        assert clipped == 0, "the check needs a point where clipping is inactive"
        analytic = model.grads.copy()
        numeric = np.zeros_like(analytic)
        eps = 1e-5
        for i in range(model.params.size):
            old = model.params[i]
            model.params[i] = old + eps
            lp = model.forward(inputs, targets)
            model.params[i] = old - eps
            lm = model.forward(inputs, targets)
            model.params[i] = old
            numeric[i] = (lp - lm) / (2 * eps)
        denom = np.maximum(np.abs(analytic), np.abs(numeric))
        nz = denom > 0
        rel = np.zeros_like(analytic)
        rel[nz] = np.abs(analytic - numeric)[nz] / denom[nz]
        worst = float(rel.max())
        # which parameter block is worst, for the report
        off, per = 0, {}
        for name in ("Wh", "Wx", "b1", "U", "b2"):
            n = model.p[name].size
            per[name] = float(rel[off:off + n].max())
            off += n
        print(json.dumps({"check": "finite-differences", "activation": activation, "B": B, "T": T, "H": H, "V": V,
                          "params": int(model.params.size), "max_relative_error": worst,
                          "max_abs_error": float(np.abs(analytic - numeric).max()),
                          "max_relative_error_per_param": per}))
        worst_all = max(worst_all, worst)
    ok = worst_all < 1e-6
    print(f"gradient check {'PASSED' if ok else 'FAILED'}: max relative error {worst_all:.3e} (threshold 1e-6)")
    return ok


# ----------------------------------------------------------------------------- benchmark
def benchmark(workload, dtype, seconds, warmup=2, seed=1):
    w = WORKLOADS[workload]
    rng = np.random.default_rng(seed)
    model = NumpyRnn(w["H"], w["V"], w["activation"], dtype, rng)
    T, B, V = w["T"], w["B"], w["V"]
    batches = []
    for _ in range(8):  # a few random batches, made before timing
        seq = rng.integers(0, V, size=(T + 1, B))
        batches.append((seq[:T].copy(), seq[1:].copy()))
    for i in range(warmup):
        model.train_step(*batches[i % len(batches)])
    steps = 0
    start = time.perf_counter()
    elapsed = 0.0
    loss = float("nan")
    while elapsed < seconds or steps < 3:
        loss = model.train_step(*batches[steps % len(batches)])
        steps += 1
        elapsed = time.perf_counter() - start
    if not np.isfinite(loss):
        raise SystemExit(f"numpy {workload} {dtype}: loss is not finite ({loss})")
    info = blas_info()
    return {"peer": "numpy", "dtype": np.dtype(dtype).name, "workload": workload,
            "tokens_per_s": round(steps * T * B / elapsed, 1), "threads": info.get("blas_threads"),
            "steps": steps, "seconds": round(elapsed, 3), "tokens_per_step": T * B,
            "onehot": "gather forward, one-hot matmul for dWx", "blas": info.get("blas"),
            "blas_core": info.get("blas_core"), "numpy": np.__version__, "final_loss": round(loss, 4)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    ap.add_argument("--workload", choices=list(WORKLOADS), default="seed")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS threads (sets OPENBLAS_NUM_THREADS before numpy loads; default: env, else 2)")
    ap.add_argument("--check", action="store_true", help="finite-difference gradient check instead of the benchmark")
    ap.add_argument("--blas-info", action="store_true", help="print which BLAS numpy uses and exit")
    args = ap.parse_args()
    if args.blas_info:
        print(f"numpy {np.__version__} from {os.path.dirname(np.__file__)}")
        print(json.dumps(blas_info()))
        try:
            import contextlib, io
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                np.show_config()
            lines = [l for l in buf.getvalue().splitlines() if l.strip()]
            start = next((i for i, l in enumerate(lines) if l.startswith("blas_opt_info")), None)
            if start is not None:
                print("numpy.show_config() " + " | ".join(l.strip() for l in lines[start:start + 6]))
        except Exception:
            pass
        return 0
    if args.check:
        return 0 if gradient_check() else 1
    print(json.dumps(benchmark(args.workload, args.dtype, args.seconds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
