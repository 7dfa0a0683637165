"""PyTorch reference of `npm run bench`'s sequence-to-sequence training rows.

The same model as gennet's `--task seq2seq --attention luong --bidirectional` (bench/seq2seqTraining.ts): a source
embedding and a bidirectional LSTM encoder (units/2 each way) whose final states, directions side by side, start an
LSTM decoder of `units` over a target embedding; Luong's "general" attention over the encoder outputs (scores
h·W_a·m, softmax, context, tanh(W_c [context; h])), then a linear layer to the target vocabulary; AdamW (weight decay
0.01) with the gradients clipped to norm 1, as our steps do. Every row has the same source and target length (no
padding, so no packing). It times training steps with each thread count and prints one JSON document:
{"available", "version", "byThreads"} (target tokens per second).
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


class Seq2Seq(nn.Module):
    def __init__(self, source_vocab, target_vocab, embed, units):
        super().__init__()
        self.source_embedding = nn.Embedding(source_vocab, embed)
        self.encoder = nn.LSTM(embed, units // 2, batch_first=True, bidirectional=True)
        self.target_embedding = nn.Embedding(target_vocab, embed)
        self.decoder = nn.LSTM(embed, units, batch_first=True)
        self.score = nn.Linear(units, units, bias=False)
        self.combine = nn.Linear(2 * units, units, bias=False)
        self.output = nn.Linear(units, target_vocab)

    def forward(self, sources, inputs):
        memory, (h, c) = self.encoder(self.source_embedding(sources))
        # [2, B, U/2] (forward, backward) → [1, B, U], the directions side by side
        start = tuple(s.transpose(0, 1).reshape(1, s.shape[1], -1) for s in (h, c))
        states, _ = self.decoder(self.target_embedding(inputs), start)
        weights = F.softmax(self.score(states) @ memory.transpose(1, 2), dim=-1)
        attended = torch.tanh(self.combine(torch.cat([weights @ memory, states], dim=-1)))
        return self.output(attended)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in [("source-vocab", 30), ("target-vocab", 72), ("embed", 64), ("units", 256), ("batch", 64),
                          ("source-length", 8), ("target-length", 9)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    add_timing_arguments(parser, steps=20)
    a = parser.parse_args()

    def make_step():
        model = Seq2Seq(a.source_vocab, a.target_vocab, a.embed, a.units)
        sources = torch.randint(1, a.source_vocab, (a.batch, a.source_length))
        inputs = torch.randint(1, a.target_vocab, (a.batch, a.target_length))
        targets = torch.randint(1, a.target_vocab, (a.batch, a.target_length))
        loss = lambda: F.cross_entropy(model(sources, inputs).reshape(-1, a.target_vocab), targets.reshape(-1))
        return adamw_clipped_step(torch, model, loss)

    print_speed_by_threads(torch, a, make_step, a.batch * a.target_length, "target tokens")


if __name__ == "__main__":
    main()
