"""PyTorch reference of `npm run bench`'s word-level and conditional training rows.

The same models as gennet's (bench/lmTraining.ts): token ids, one-hot or through an embedding, into an LSTM and a
linear layer to the vocabulary; a conditional model first turns each row's condition into its initial state as
gennet's condition encoder does (the condition's learned vector, one dense tanh layer to h and c). AdamW (weight decay
0.01) with the gradients clipped to norm 1, as our steps do. It times training steps with each thread count and prints
one JSON document: {"available", "version", "byThreads"} (tokens per second).
"""
import argparse
import json
import sys

from torch_timing import adamw_clipped_step, add_timing_arguments, print_speed_by_threads

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:
    print(json.dumps({"available": False, "reason": str(error)}))
    sys.exit(0)


class LanguageModel(nn.Module):
    def __init__(self, vocab, embed, units, condition_values, condition_dim):
        super().__init__()
        self.vocab = vocab
        self.embedding = nn.Embedding(vocab, embed) if embed > 0 else None
        self.rnn = nn.LSTM(embed if embed > 0 else vocab, units, batch_first=True)
        self.output = nn.Linear(units, vocab)
        if condition_values > 0:
            self.conditions = nn.Embedding(condition_values, condition_dim)
            self.start = nn.Linear(condition_dim, 2 * units)

    def forward(self, inputs, conditions):
        x = self.embedding(inputs) if self.embedding is not None else F.one_hot(inputs, self.vocab).to(torch.float32)
        start = None
        if conditions is not None:
            h, c = torch.tanh(self.start(self.conditions(conditions))).unsqueeze(0).chunk(2, dim=-1)
            start = (h.contiguous(), c.contiguous())
        states, _ = self.rnn(x, start)
        return self.output(states)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in [("vocab", 10000), ("embed", 64), ("units", 256), ("batch", 32), ("length", 32),
                          ("condition-values", 0), ("condition-dim", 16)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    add_timing_arguments(parser, steps=20)
    a = parser.parse_args()

    def make_step():
        model = LanguageModel(a.vocab, a.embed, a.units, a.condition_values, a.condition_dim)
        inputs = torch.randint(1, a.vocab, (a.batch, a.length))
        targets = torch.randint(1, a.vocab, (a.batch, a.length))
        conditions = torch.arange(a.batch) % a.condition_values if a.condition_values > 0 else None
        loss = lambda: F.cross_entropy(model(inputs, conditions).reshape(-1, a.vocab), targets.reshape(-1))
        return adamw_clipped_step(torch, model, loss)

    print_speed_by_threads(torch, a, make_step, a.batch * a.length, "tokens")


if __name__ == "__main__":
    main()
