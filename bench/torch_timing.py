"""How the PyTorch references of `npm run bench` time their training steps."""
import math
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
