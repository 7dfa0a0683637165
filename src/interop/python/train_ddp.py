"""Continues training a gennet PyTorch export with torch.distributed (DistributedDataParallel).

    torchrun --nproc_per_node 2 train_ddp.py --model exported --text corpus.txt --steps 1000 --out trained
    torchrun --nnodes 4 --nproc_per_node 8 --rdzv_backend c10d --rdzv_id JOB --rdzv_endpoint HOST:29400 \
        train_ddp.py ...   (on each of 4 hosts with 8 GPUs)

Each process trains on its own shard of the training text (the whole text but its last --val share, which is held out
for validation, cut into one contiguous piece per rank), on random windows of --seq-len characters from a generator seeded with --seed + rank;
DDP averages the gradients, so every process holds the same weights. gloo on CPUs, NCCL on GPUs. Rank 0 prints one
JSON line per --log-every steps ({"step", "loss"}: the loss averaged over all processes) and at the end the validation
loss, then saves the model (model.safetensors, config.json, vocab.json, model.py) to --out, which
`gennet import --format pytorch --from OUT --out MODEL` reads back. Character models only: word models need
gennet's tokenizer.

torch 1.13 (Debian 12's python3-torch) under Python 3.11 cannot read torchrun's default `--redirects 0 --tee 0`: add
`--redirects 2 --tee 1` (each process's stderr goes to a log file, its stdout is echoed with its rank).
"""
import argparse
import json
import os
import shutil
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.distributed.elastic.multiprocessing.errors import record
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import EOS_ID, Generator, encode_chars, load_vocab  # noqa: E402


def arguments():
    parser = argparse.ArgumentParser(description="continue training a gennet export with DistributedDataParallel")
    parser.add_argument("--model", required=True, help="folder written by gennet export --format pytorch")
    parser.add_argument("--text", required=True, help="UTF-8 text file to train on")
    parser.add_argument("--out", required=True, help="folder to save the trained model to")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=32, help="windows per process and step")
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--weight-decay", type=float, default=0.0, help="AdamW's decoupled decay (0: Adam)")
    parser.add_argument("--clip", type=float, default=5.0, help="clip gradients to this global norm (0: off)")
    parser.add_argument(
        "--label-smoothing", type=float, default=0.0, help="train against (1 - x) one-hot + x / vocabulary (0: off)"
    )
    parser.add_argument("--val", type=float, default=0.1, help="share of the text held out for validation")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--log-every", type=int, default=10)
    return parser.parse_args()


def windows(ids, count, seq_len, generator):
    """`count` random windows of seq_len + 1 ids: inputs and their next-token targets."""
    starts = torch.randint(0, len(ids) - seq_len - 1, (count,), generator=generator)
    rows = torch.stack([ids[s : s + seq_len + 1] for s in starts.tolist()])
    return rows[:, :-1], rows[:, 1:]


def report(record):
    """One JSON line in one write: torchrun's --tee reads the log file line by line and prefixes every piece it reads."""
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def mean_over_processes(value, device):
    total = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return total.item() / dist.get_world_size()


def replica_spread(model, device):
    """How far apart the processes' weights are (DDP keeps them equal): the spread of their sums, relative to them."""
    total = sum(float(p.detach().double().abs().sum()) for p in model.parameters())
    extremes = torch.tensor([total, -total], dtype=torch.float64, device=device)
    dist.all_reduce(extremes, op=dist.ReduceOp.MAX)
    return (extremes[0].item() + extremes[1].item()) / max(total, 1e-30)


@torch.no_grad()
def validation_loss(model, ids, seq_len, device, rows_per_batch=64):
    """Mean loss over the held-out ids, in windows of seq_len, rows_per_batch windows at a time."""
    model.eval()
    windows = (len(ids) - 1) // seq_len
    if windows == 0:
        return None
    total = 0.0
    for first in range(0, windows, rows_per_batch):
        last = min(windows, first + rows_per_batch)
        x = ids[first * seq_len : last * seq_len].reshape(-1, seq_len).to(device)
        y = ids[first * seq_len + 1 : last * seq_len + 1].reshape(-1, seq_len).to(device)
        logits, _ = model(x)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
    model.train()
    return total / (windows * seq_len)


def check_out_folder(out, model):
    """Refuses --out when it is --model, or a folder holding anything but an earlier model.py save."""
    if os.path.realpath(out) == os.path.realpath(model):
        raise SystemExit("--out must differ from --model: the export stays as it was.")
    if os.path.isdir(out) and os.listdir(out):
        try:
            with open(os.path.join(out, "config.json")) as f:
                written_by = json.load(f).get("written_by")
        except (OSError, ValueError):
            written_by = None
        if written_by != "model.py":
            raise SystemExit(f"{out} holds files that are not a model saved by train_ddp.py; give --out a new folder.")


@record
def main():
    args = arguments()
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed + rank)  # each process its own dropout masks
    check_out_folder(args.out, args.model)
    vocab = load_vocab(args.model)
    if vocab["kind"] != "char":
        raise SystemExit("train_ddp.py reads characters; a word model needs gennet's tokenizer (train it in gennet).")
    with open(args.text, encoding="utf-8") as f:
        ids = torch.tensor(encode_chars(vocab, f.read()) + [EOS_ID])
    held = int(len(ids) * args.val)
    train, val = ids[: len(ids) - held], ids[len(ids) - held :]
    shard = train[rank * len(train) // world : (rank + 1) * len(train) // world]
    if len(shard) <= args.seq_len + 1:
        raise SystemExit(f"rank {rank}: its shard holds {len(shard)} tokens, too few for windows of {args.seq_len}.")
    model = Generator.load(args.model).to(device)
    ddp = DistributedDataParallel(model, device_ids=[local] if cuda else None)
    optimizer = torch.optim.AdamW(ddp.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    generator = torch.Generator().manual_seed(args.seed + rank)
    for step in range(1, args.steps + 1):
        x, y = windows(shard, args.batch, args.seq_len, generator)
        logits, _ = ddp(x.to(device))
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.to(device).reshape(-1), label_smoothing=args.label_smoothing
        )
        optimizer.zero_grad()
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(ddp.parameters(), args.clip)
        optimizer.step()
        if step % args.log_every == 0 or step == args.steps:
            mean = mean_over_processes(loss.item(), device)
            if rank == 0:
                report({"step": step, "loss": mean, "processes": world})
    spread = replica_spread(model, device)
    if rank == 0:
        val_loss = validation_loss(model, val, args.seq_len, device)
        report({"step": args.steps, "valLoss": val_loss, "replicaSpread": spread})
        model.to("cpu").save(args.out, {"trainedBy": "train_ddp.py", "processes": world, "steps": args.steps})
        for name in ("vocab.json", "model.py", "train_ddp.py"):
            shutil.copyfile(os.path.join(args.model, name), os.path.join(args.out, name))
    dist.barrier()  # the model is saved before any process leaves
    # Leave without tearing the process group down: in torch 1.13 that can deadlock (here: 1 run in 4 of one loop).
    # Freeing the DDP reducer destroys gloo's process group, which joins its worker thread while holding the GIL, and
    # that thread may still be freeing the barrier's tensors, for which it waits for the GIL (pytorch#75097). All is
    # saved and flushed by now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
