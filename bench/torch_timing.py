"""How the PyTorch references of `npm run bench` time their training steps."""
import json
import math
import sys
import time


def seconds_per_step(step, warmup, steps, repeats):
    """Runs `step` `warmup` times untimed, then `repeats` timed runs of `steps` steps; the fastest run's seconds per step."""
    for _ in range(warmup):
        step()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def add_timing_arguments(parser, steps):
    """The options every reference takes: thread counts, untimed steps, timed steps per run (default `steps`), runs."""
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps")
    parser.add_argument("--steps", type=int, default=steps, help="timed steps per run")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per thread count; the fastest counts")


def adamw_clipped_step(torch, model, loss):
    """One training step as our rows take it: the gradients of `loss()` clipped to norm 1, then AdamW (lr 1e-3, weight
    decay 0.01) on `model`'s parameters."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)

    def step():
        optimizer.zero_grad()
        loss().backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    return step


def print_speed_by_threads(torch, args, make_step, tokens, what):
    """Times the step `make_step()` builds (a fresh seeded model each time) with each of `args.threads`, `tokens` per
    step, and prints one JSON document on stdout: {"available", "version", "byThreads"} (`what` per second)."""
    by_threads = {}
    for threads in (int(n) for n in args.threads.split(",")):
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        best = seconds_per_step(make_step(), args.warmup, args.steps, args.repeats)
        by_threads[threads] = tokens / best
        print(f"  PyTorch, {threads} thread(s): {by_threads[threads]:.0f} {what}/s", file=sys.stderr, flush=True)
    print(json.dumps({"available": True, "version": torch.__version__, "byThreads": by_threads}))
