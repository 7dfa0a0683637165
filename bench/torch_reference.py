"""PyTorch reference for `npm run bench`.

The model is the one of the AI-for-Beginners lesson 17 (Generative networks) PyTorch notebook: one-hot characters
into nn.LSTM (or nn.GRU, or nn.RNN with tanh) and an nn.Linear to the vocabulary, trained with Adam on
cross_entropy(out.view(-1, V), target.flatten()). It trains on the same text as our benchmark, cut into the same
non-overlapping windows of --seq-len characters, then times the lesson's generate_soft loop.

Run with the Python that has torch (Debian: /usr/bin/python3 with python3-torch). Prints one JSON document on stdout;
progress goes to stderr. Without torch it prints {"available": false, ...}.
"""
import argparse
import json
import sys
import time

try:
    import torch
except ImportError as error:
    print(json.dumps({"available": False, "reason": str(error)}))
    sys.exit(0)


def log(line):
    print(line, file=sys.stderr, flush=True)


def loaded_blas():
    """The BLAS library this process has loaded (Debian's torch uses the system BLAS: reference BLAS, OpenBLAS, ...)."""
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure the BLAS is loaded
    with open("/proc/self/maps", encoding="utf-8") as maps:
        names = {line.split()[-1].rsplit("/", 1)[-1] for line in maps if "blas" in line.lower() or "mkl" in line.lower()}
    return ", ".join(sorted(names)) or "none found in /proc/self/maps"


class Generator(torch.nn.Module):
    """The lesson's LSTMGenerator, with the kind of recurrent layer as a parameter."""

    def __init__(self, cell, vocab_size, hidden_dim):
        super().__init__()
        self.vocab_size = vocab_size
        if cell == "lstm":
            self.rnn = torch.nn.LSTM(vocab_size, hidden_dim, batch_first=True)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(vocab_size, hidden_dim, batch_first=True)
        else:
            self.rnn = torch.nn.RNN(vocab_size, hidden_dim, batch_first=True, nonlinearity="tanh")
        self.fc = torch.nn.Linear(hidden_dim, vocab_size)

    def forward(self, x, s=None):
        x = torch.nn.functional.one_hot(x, self.vocab_size).to(torch.float32)
        x, s = self.rnn(x, s)
        return self.fc(x), s


def make_windows(ids, seq_len):
    """Non-overlapping windows: inputs ids[s:s+L], targets ids[s+1:s+L+1] for s = 0, L, 2L, ..."""
    count = (len(ids) - 1) // seq_len
    inputs = ids[: count * seq_len].view(count, seq_len)
    targets = ids[1 : count * seq_len + 1].view(count, seq_len)
    return inputs, targets


def time_training(cell, batch_size, inputs, targets, args):
    """Trains a fresh model: a few untimed warm-up steps, then timed steps until enough time has passed."""
    torch.manual_seed(42)
    net = Generator(cell, args.vocab_size, args.hidden)
    optimizer = torch.optim.Adam(net.parameters(), args.lr)
    net.train()
    order = torch.randperm(len(inputs))
    batches = len(inputs) // batch_size

    def train_step(step):
        rows = order[(step % batches) * batch_size : (step % batches + 1) * batch_size]
        text_in, text_out = inputs[rows], targets[rows]
        optimizer.zero_grad()
        out, s = net(text_in)
        loss = torch.nn.functional.cross_entropy(out.view(-1, args.vocab_size), text_out.flatten())
        loss.backward()
        # Our trainer clips the gradients' global norm (at 5 by default), so the reference does the same work.
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), args.clip)
        optimizer.step()
        return loss.item()

    for step in range(args.warmup):
        train_step(step)
    steps = 0
    start = time.perf_counter()
    while steps < args.min_steps or time.perf_counter() - start < args.seconds:
        train_step(args.warmup + steps)
        steps += 1
    seconds = time.perf_counter() - start
    return {"steps": steps, "seconds": seconds, "charsPerSecond": steps * batch_size * args.seq_len / seconds}


def generate_soft(net, stoi, itos, size, start, temperature):
    """The lesson's generate_soft: feed the prompt once, then one sampled character at a time with the state carried."""
    chars = list(start)
    out, s = net(torch.tensor([stoi.get(c, 0) for c in chars]).view(1, -1))
    for i in range(size):
        out_dist = out[0][-1].div(temperature).exp()
        nc = torch.multinomial(out_dist, 1)[0]
        chars.append(itos[nc])
        out, s = net(nc.view(1, -1), s)
    return "".join(chars)


def time_generation(stoi, itos, args):
    """Every prompt at every temperature, one after the other, with an untrained LSTM (no gradients recorded);
    the fastest of --repeats runs of the whole grid."""
    torch.manual_seed(42)
    net = Generator("lstm", args.vocab_size, args.hidden)
    net.eval()
    seconds = float("inf")
    with torch.no_grad():
        generate_soft(net, stoi, itos, 5, args.prompts[0], 1.0)  # warm-up
        for _ in range(args.repeats):
            start = time.perf_counter()
            for prompt in args.prompts:
                for temperature in args.temperatures:
                    text = generate_soft(net, stoi, itos, args.length, prompt, temperature)
                    assert len(text) == len(prompt) + args.length
            seconds = min(seconds, time.perf_counter() - start)
    samples = len(args.prompts) * len(args.temperatures)
    return {"seconds": seconds, "samples": samples, "chars": samples * args.length}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", required=True, help="UTF-8 file with the training text")
    parser.add_argument("--vocab-size", type=int, required=True, help="one-hot width and output size (ours, specials included)")
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--clip", type=float, default=5.0, help="global gradient norm limit, 0 = no clipping")
    parser.add_argument("--cells", default="lstm,gru,rnn")
    parser.add_argument("--batches", default="32,128")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--warmup", type=int, default=3, help="untimed training steps")
    parser.add_argument("--seconds", type=float, default=3.0, help="time each configuration at least this long")
    parser.add_argument("--min-steps", type=int, default=3, help="and at least this many steps")
    parser.add_argument("--train-repeats", type=int, default=2, help="timed runs of each configuration; the fastest counts")
    parser.add_argument("--prompts", type=json.loads, required=True, help="JSON list of prompts")
    parser.add_argument("--temperatures", type=json.loads, required=True, help="JSON list of temperatures")
    parser.add_argument("--length", type=int, default=300, help="characters generated per prompt and temperature")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the generation grid; the fastest counts")
    args = parser.parse_args()

    # The lesson's vocabulary: the characters of the text. Ours also has <pad>, <eos> and <unk>, so the one-hot width is
    # padded to our size with characters that never occur (the model's shapes, hence its work, are the same).
    with open(args.text, encoding="utf-8", newline="") as file:
        text = file.read()
    chars = sorted(set(text))
    assert len(chars) <= args.vocab_size, f"{len(chars)} characters do not fit a vocabulary of {args.vocab_size}"
    itos = chars + ["\ufffd"] * (args.vocab_size - len(chars))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    inputs, targets = make_windows(ids, args.seq_len)

    training, generation = [], []
    for threads in [int(n) for n in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for cell in args.cells.split(","):
            for batch_size in [int(n) for n in args.batches.split(",")]:
                # The fastest of --train-repeats runs, each on a fresh model: this machine's runs vary by up to half.
                result = max((time_training(cell, batch_size, inputs, targets, args) for _ in range(args.train_repeats)),
                             key=lambda run: run["charsPerSecond"])
                training.append({"cell": cell, "batch": batch_size, "threads": threads, **result})
                log(f"  pytorch {threads} thread(s) {cell} batch {batch_size}: {result['charsPerSecond']:.0f} chars/s ({result['steps']} steps, {result['seconds']:.1f} s)")
        result = time_generation(stoi, itos, args)
        generation.append({"threads": threads, **result})
        log(f"  pytorch {threads} thread(s) generation: {result['seconds']:.2f} s")

    print(json.dumps({"available": True, "version": torch.__version__, "blas": loaded_blas(), "windows": len(inputs), "training": training, "generation": generation}))


if __name__ == "__main__":
    main()
