"""Trains a bptt model further with PyTorch, on one or many processes, and writes a bptt model file.

    python3 train.py --data names.txt --steps 1000 --out trained.safetensors
    torchrun --standalone --nproc_per_node 4 train.py --data names.txt --steps 1000 --out trained.safetensors
    torchrun --nnodes 2 --node_rank 0 --rdzv_endpoint HOST:29500 --nproc_per_node 8 train.py ...   (on each node)

It starts from model.safetensors and follows recipe.json (both beside this file, written by
`bptt export pytorch`), doing what `bptt train` does:
  - the same data: mode lines (each line a sequence, '\\n' + line predicting line + '\\n', from a zero
    state), chunks (T + 1 tokens each) or stream (B streams of the text, window after window, the state
    carried from one window into the next and reset where a document starts), the model's vocabulary,
    the same validation split (bptt's own seeded generator, ported below) and epoch order;
  - the same loss: the summed cross-entropy of the real tokens divided by the batch size N (sequences
    per step, over all processes together);
  - the same gradient: the seed's elementwise clip of dJ/dh(t) out of the output layer and of every
    parameter gradient, then the optional global-norm clip;
  - the same optimizer: Adagrad in the seed's form, or torch.optim's SGD, RMSprop, Adam, AdamW, which
    bptt's follow. bptt keeps one bias where nn.RNN and nn.LSTM have two (b_ih + b_hh): b_hh stays
    fixed here, so the sum moves exactly as bptt's one bias does; the learning rate follows bptt's
    schedules (constant, step decay, cosine, with a linear warmup).
Under torchrun every process takes a share of each batch's sequences (DistributedDataParallel sums the
gradients; gloo on CPUs, nccl on GPUs), and process 0 writes the model file every --save-every steps
and at the end, through a temporary file renamed into place. `bptt sample`, `bptt eval` and the
playground read it as any model bptt trained.
"""
import argparse
import json
import math
import os
import re
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from model import load_bptt, save_bptt

HERE = os.path.dirname(os.path.abspath(__file__))
MASK32 = 0xFFFFFFFF


class Random:
    """bptt's generator (src/core/random.ts: xoshiro128**, seeded by splitmix32), so splits and orders are bptt's."""

    def __init__(self, *seeds):
        mixed = 0x9E3779B9
        for seed in seeds:
            mixed = imul(mixed ^ (seed & MASK32), 0x85EBCA6B) ^ (math.floor(seed / 2**32) & MASK32)
        self.state = []
        for _ in range(4):
            mixed = (mixed + 0x9E3779B9) & MASK32
            z = mixed
            z = imul(z ^ (z >> 16), 0x85EBCA6B)
            z = imul(z ^ (z >> 13), 0xC2B2AE35)
            self.state.append(z ^ (z >> 16))
        if not any(self.state):
            self.state[0] = 1

    def next_uint32(self):
        s = self.state
        result = imul(rotate_left(imul(s[1], 5), 7), 9)
        t = (s[1] << 9) & MASK32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotate_left(s[3], 11)
        return result

    def uniform(self):
        high = self.next_uint32() >> 5
        low = self.next_uint32() >> 6
        return (high * 67108864 + low) / 9007199254740992

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = math.floor(self.uniform() * (i + 1))
            items[i], items[j] = items[j], items[i]
        return items


def imul(a, b):
    return (a * b) & MASK32


def rotate_left(value, bits):
    return ((value << bits) | (value >> (32 - bits))) & MASK32


def fail(message):
    """One line naming the problem and the way out, exit 2 (as bptt does)."""
    print(f"train.py: {message}", file=sys.stderr)
    sys.exit(2)


# ---- data: the same sequences bptt trains on (src/data/sequences.ts, src/data/stream.ts) ----


def encode(text, index, source):
    ids = []
    for position, char in enumerate(text):
        if char not in index:
            fail(f"{source} contains {char!r} (at character {position}), which is not in the model's vocabulary; train a new model with bptt on this data")
        ids.append(index[char])
    return ids


def sequences_of(text, meta, recipe, source):
    """Mode lines or chunks: (input ids, target ids) pairs; the validation share held out as bptt holds it out."""
    index = {token: i for i, token in enumerate(meta["vocab"])}
    end = index["\n"]
    if recipe["mode"] == "lines":
        lines = [line for line in re.split(r"\r\n|\r|\n", text) if line]
        sequences = []
        for number, line in enumerate(lines, 1):
            ids = encode(line, index, f"{source}, line {number}")
            sequences.append(([end] + ids, ids + [end]))
    else:
        ids = encode(text, index, source)
        size = recipe["seq_length"] + 1
        sequences = []
        for start in range(0, max(0, len(ids) - 1), size):
            chunk = ids[start : start + size]
            if recipe["drop_whitespace_chunks"]:
                # the notebook's strip() quirk: chunks that begin or end with whitespace (or are short) are dropped
                if len(chunk) < size or meta["vocab"][chunk[0]].isspace() or meta["vocab"][chunk[-1]].isspace():
                    continue
            sequences.append((chunk[:-1], chunk[1:]))
    held = math.floor(len(sequences) * recipe["validation_fraction"] + 0.5)  # JavaScript's Math.round
    order = Random(recipe["seed"], 0x5EED).shuffle(list(range(len(sequences))))
    held_out = set(order[:held])
    return [s for i, s in enumerate(sequences) if i not in held_out]


class EpochOrder(DistributedSampler):
    """bptt's batches, each shared out among the processes.

    Epoch e visits the training sequences shuffled by Random(seed, e) (the first epoch in data order only
    when the recipe says firstEpochInOrder, as the seed's preset does), N at a time (N = the batch size); process r of W takes rows r, r + W, ... of each batch. A process whose
    share of a short last batch is empty gets one row with weight 0, so every process takes every step.
    """

    def __init__(self, count, batch_size, shuffle, first_in_order, seed, rank, world):
        super().__init__(range(count), num_replicas=world, rank=rank, shuffle=False)
        self.count, self.batch_size, self.shuffle_epochs, self.seed_value = count, batch_size, shuffle, seed
        self.first_in_order = first_in_order

    def batches(self):
        order = list(range(self.count))
        if self.shuffle_epochs and (self.epoch > 0 or not self.first_in_order):
            Random(self.seed_value, self.epoch).shuffle(order)
        for start in range(0, self.count, self.batch_size):
            rows = order[start : start + self.batch_size][self.rank :: self.num_replicas]
            yield (rows, 1.0) if rows else (order[start : start + 1], 0.0)

    def __iter__(self):
        return (row for rows, _ in self.batches() for row in rows)

    def __len__(self):
        return sum(len(rows) for rows, _ in self.batches())


def padded_batch(sequences, rows, weight, device):
    """Token ids and targets [rows, steps] padded to the longest row, and the mask of the real positions (× weight)."""
    steps = max(len(sequences[r][0]) for r in rows)
    ids = torch.zeros(len(rows), steps, dtype=torch.long)
    targets = torch.zeros(len(rows), steps, dtype=torch.long)
    mask = torch.zeros(len(rows), steps)
    for i, r in enumerate(rows):
        inputs, outputs = sequences[r]
        ids[i, : len(inputs)] = torch.tensor(inputs)
        targets[i, : len(outputs)] = torch.tensor(outputs)
        mask[i, : len(outputs)] = weight
    return ids.to(device), targets.to(device), mask.to(device)


class Streams:
    """Mode stream: tokens [begin, end) of the text as B streams of L positions, read window by window of T."""

    def __init__(self, ids, begin, end, streams, steps, documents, end_id):
        self.ids, self.begin, self.streams, self.steps, self.documents, self.end_id = ids, begin, streams, steps, documents, end_id
        self.length = (end - begin - 1) // streams
        if self.length < 1:
            fail(f"{end - begin} tokens are too few for {streams} streams; give a longer text or a smaller batch_size in recipe.json")
        self.windows = math.ceil(self.length / steps)

    def window(self, w, rows):
        """Inputs, targets and resets (1 where a document starts) [len(rows), T] of window w for the given streams."""
        steps = min(self.steps, self.length - w * self.steps)
        inputs, targets, resets = [], [], []
        for b in rows:
            start = self.begin + b * self.length + w * self.steps
            previous = self.ids[start - 1] if start > self.begin else -1
            row = self.ids[start : start + steps + 1]
            inputs.append(row[:-1])
            targets.append(row[1:])
            before = [previous] + row[:-2]
            documents = self.documents
            resets.append([int(x == self.end_id and (documents == "line" or (documents == "blank-line" and p == self.end_id))) for x, p in zip(row[:-1], before)])
        return torch.tensor(inputs), torch.tensor(targets), torch.tensor(resets)


# ---- the optimizer: bptt's (src/optim/) ----


class SeedAdagrad(torch.optim.Optimizer):
    """The seed's Adagrad: m += g², p -= lr·g/sqrt(m + eps) (torch.optim.Adagrad divides by sqrt(m) + eps instead)."""

    def __init__(self, params, lr, eps, weight_decay):
        super().__init__(params, {"lr": lr, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad if group["weight_decay"] == 0 else p.grad + group["weight_decay"] * p
                memory = self.state[p].setdefault("memory", torch.zeros_like(p))
                memory.add_(g * g)
                p.sub_(group["lr"] * g / torch.sqrt(memory + group["eps"]))


def learning_rate_at(spec, schedule, step, total):
    """The learning rate of step `step` (0 for the first), as bptt's src/optim/schedule.ts computes it."""
    lr, kind = spec["lr"], schedule["kind"]
    warmup = min(1.0, (step + 1) / schedule["warmup"]) if schedule["warmup"] else 1.0
    if kind == "step":
        lr = lr * schedule["decay_factor"] ** (step // schedule["decay_every"])
    elif kind == "cosine":
        steps, minimum = schedule["total_steps"] or total, schedule["min_lr"]
        lr = minimum if step >= steps else minimum + (lr - minimum) * (1 + math.cos(math.pi * step / steps)) / 2
    elif kind != "constant":
        fail(f"schedule {kind!r} in recipe.json is not one of constant, step, cosine")
    return warmup * lr


def make_optimizer(params, spec):
    name, lr, decay = spec["name"], spec["lr"], spec["weight_decay"]
    if name == "adagrad":
        return SeedAdagrad(params, lr, spec["epsilon"], decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr, momentum=spec["momentum"], nesterov=spec["nesterov"], weight_decay=decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr, alpha=spec["beta2"], eps=spec["epsilon"], momentum=spec["momentum"], weight_decay=decay)
    if name in ("adam", "adamw"):
        kind = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return kind(params, lr, betas=(spec["beta1"], spec["beta2"]), eps=spec["epsilon"], weight_decay=decay)
    fail(f"optimizer {name!r} in recipe.json is not one of adagrad, sgd, rmsprop, adam, adamw")


# ---- the run ----


def main():
    parser = argparse.ArgumentParser(description="Train a bptt model further with PyTorch (see README.md).")
    parser.add_argument("--data", required=True, help="the text to train on (UTF-8)")
    parser.add_argument("--out", required=True, help="the bptt model file to write (.safetensors)")
    parser.add_argument("--steps", type=int, help="optimizer steps to take (default: --epochs)")
    parser.add_argument("--epochs", type=int, default=1, help="passes over the data, when --steps is not given")
    parser.add_argument("--save-every", type=int, default=500, help="process 0 writes --out every this many steps")
    parser.add_argument("--model", default=os.path.join(HERE, "model.safetensors"), help="the model to start from")
    parser.add_argument("--recipe", default=os.path.join(HERE, "recipe.json"), help="the training settings")
    parser.add_argument("--checkpoint", help="process 0 also writes the optimizer's state and the position here (torch.save), for --resume")
    parser.add_argument("--resume", help="continue the run a --checkpoint file stopped in (its weights, optimizer state and position)")
    parser.add_argument("--log-json", action="store_true", help="print each step's loss as a JSON line on stdout")
    args = parser.parse_args()
    for given in (args.data, args.model):
        if os.path.exists(args.out) and os.path.samefile(args.out, given):
            fail(f"--out {args.out} is an input of this run; give another path")

    distributed = "WORLD_SIZE" in os.environ  # started by torchrun
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)

    with open(args.recipe, encoding="utf-8") as f:
        recipe = json.load(f)
    torch.manual_seed(recipe["seed"] * 1000 + rank)  # dropout masks: each process its own
    model, meta = load_bptt(args.model, recipe["dropout"])
    if meta.get("tokenizer", "char") != "char":
        fail("train.py reads character models; this one tokenizes words")
    model.to(device)
    # bptt's one bias b1 = PyTorch's b_ih + b_hh: only b_ih learns (the GRU's b_hh is a bias of its own in bptt too).
    if model.cell != "gru":
        for name, parameter in model.rnn.named_parameters():
            if name.startswith("bias_hh"):
                parameter.requires_grad_(False)
    net = DistributedDataParallel(model) if distributed else model
    optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad], recipe["optimizer"])

    with open(args.data, encoding="utf-8", newline="") as f:  # line ends as they are: '\r' is a token to bptt in modes chunks and stream
        text = f.read()
    if meta.get("lowercase"):
        text = text.lower()
    N, clip, clip_norm = recipe["batch_size"], recipe["clip"], recipe["clip_norm"]
    stream = recipe["mode"] == "stream"
    if stream:
        index = {token: i for i, token in enumerate(meta["vocab"])}
        ids = encode(text, index, args.data)
        held = math.floor(len(ids) * recipe["validation_fraction"])
        streams = Streams(ids, 0, len(ids) - held, N, recipe["seq_length"], recipe["documents"], index["\n"])
        batches_per_epoch = streams.windows
        my_streams = list(range(N))[rank::world]
        if not my_streams:
            fail(f"{world} processes are more than the {N} streams of recipe.json's batch_size")
    else:
        sequences = sequences_of(text, meta, recipe, args.data)
        sampler = EpochOrder(len(sequences), N, recipe["shuffle"], recipe.get("first_epoch_in_order", False), recipe["seed"], rank, world)
        batches_per_epoch = math.ceil(len(sequences) / N)
    total = args.steps if args.steps is not None else args.epochs * batches_per_epoch

    step, epoch, batch_in_epoch, started, tokens_seen = 0, 0, 0, time.time(), 0
    carried = None  # mode stream: every process's state at the end of the last window, gathered for a checkpoint
    if args.resume:
        saved = torch.load(args.resume, map_location=device)
        model.load_state_dict(saved["model"], strict=True)
        optimizer.load_state_dict(saved["optimizer"])
        step, epoch, batch_in_epoch = saved["step"], saved["epoch"], saved["batch_in_epoch"]
        carried = saved.get("carried")

    def save():
        if rank == 0:
            save_bptt(model, meta, args.out)

    def save_checkpoint(state):
        """Weights, optimizer state and position; in mode stream the state each process carries, gathered."""
        states = None
        if stream:
            mine = [s.detach().cpu() for s in (state if isinstance(state, tuple) else (state,))]
            states = [None] * world
            if distributed:
                dist.all_gather_object(states, mine)
            else:
                states = [mine]
        if rank == 0 and args.checkpoint:
            position = {"step": step, "epoch": epoch, "batch_in_epoch": batch_in_epoch, "carried": states}
            temporary = f"{args.checkpoint}.{os.getpid()}.tmp"
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), **position}, temporary)
            os.replace(temporary, args.checkpoint)

    net.train()
    while step < total:
        if stream:
            state = model.zero_state(len(my_streams), device)
            if carried is not None and batch_in_epoch > 0:
                parts = [s.to(device) for s in carried[rank]]
                state = tuple(parts) if model.cell == "lstm" else parts[0]
            work = ((streams.window(w, my_streams), 1.0) for w in range(streams.windows))
        else:
            sampler.set_epoch(epoch)
            work = ((padded_batch(sequences, rows, weight, device), weight) for rows, weight in sampler.batches())
        for skipped, (batch, weight) in enumerate(work):
            if skipped < batch_in_epoch:
                continue  # trained on before the checkpoint this run resumed from
            if step >= total:
                break
            optimizer.zero_grad(set_to_none=True)
            if stream:
                ids, targets, resets = (t.to(device) for t in batch)
                mask = torch.ones(targets.shape, device=device)
                logits, state = net(ids, state, clip, resets)
                state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()  # truncated BPTT
            else:
                ids, targets, mask = batch
                logits, _ = net(ids, None, clip)
            losses = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
            loss_sum = (losses * mask.reshape(-1).to(losses.dtype)).sum()
            # J = sum over the batch's real tokens / N (bptt's normalisation; a short last batch still divides by N).
            (loss_sum / N).backward()
            parameters = [p for p in model.parameters() if p.grad is not None]
            with torch.no_grad():
                for p in parameters:
                    p.grad.mul_(world)  # DistributedDataParallel averages the processes' gradients; bptt's J sums them
                    if clip is not None:
                        p.grad.clamp_(-clip, clip)
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(parameters, clip_norm)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate_at(recipe["optimizer"], recipe["schedule"], step, total)
            optimizer.step()
            step += 1
            batch_in_epoch += 1
            totals = torch.tensor([loss_sum.item(), float(mask.sum().item())], dtype=torch.float64)
            if distributed:
                dist.all_reduce(totals)
            tokens_seen += int(totals[1].item())
            loss = totals[0].item() / max(totals[1].item(), 1)
            if rank == 0:
                if args.log_json:
                    print(json.dumps({"step": step, "loss": loss}), flush=True)
                if step == 1 or step == total or step % max(1, total // 20) == 0:
                    rate = tokens_seen / max(time.time() - started, 1e-9)
                    print(f"step {step}/{total}  loss {loss:.4f} nats/char  {rate:.0f} chars/s  ({world} process{'es' if world > 1 else ''})", file=sys.stderr, flush=True)
            if step % args.save_every == 0 or step == total:
                save()
                save_checkpoint(state if stream else None)
        else:
            epoch, batch_in_epoch = epoch + 1, 0
    if args.steps is not None and step == 0:
        save()  # --steps 0: the starting model, as a bptt file
    if rank == 0:
        print(f"wrote {args.out}; try: bptt eval --model {args.out} --data {args.data}", file=sys.stderr)
    if distributed:
        finish_distributed()


def finish_distributed(status=0):
    """Ends a torchrun process once every process is done, without tearing its process group down.

    Under torchrun, PyTorch 1.13's gloo group is freed only when the DistributedDataParallel wrapper
    is (it keeps its own reference past destroy_process_group), as main() returns. Its destructor
    joins gloo's worker threads while holding the GIL; a worker still dropping the last collective's
    tensors (made in Python, so freeing them takes the GIL) waits for the GIL forever: the process
    hangs in futex_wait after its work is written, and torchrun waits for it. A loaded machine makes
    the worker late enough. So: a barrier (no process leaves while another still needs it), then
    os._exit, which skips the teardown; the files are already written and closed, the output flushed.
    """
    dist.barrier()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    try:
        main()
    except OSError as error:  # a missing or unreadable file, a full disk
        fail(f"{error.filename or ''}: {error.strerror or error}; check the path (and the free space)")
    except KeyError as error:  # a recipe.json from another version, or edited
        fail(f"recipe.json has no setting {error}; export the project again with bptt export pytorch")
    except ValueError as error:  # a damaged model file or recipe.json
        fail(f"{error}; give a bptt model file and a recipe.json as bptt export pytorch writes them")
