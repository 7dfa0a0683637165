"""PyTorch reference of `npm run bench`'s GPT training rows.

The same GPT as gennet's `gpt` family (nanoGPT's model.py without flash attention, which torch 1.13 lacks): token and
position embeddings, pre-LayerNorm blocks of causal multi-head attention and a GELU MLP of 4x the width, a final
LayerNorm and a linear head; weights normal(0, 0.02), the projections into the residual stream 0.02/sqrt(2 layers);
Adam (lr 1e-3) on cross_entropy. It times training steps on random token batches of the given shape (speed does not
depend on the text) with each thread count and prints one JSON document: {"available", "version", "byThreads"}.
"""
import argparse
import json
import math
import sys

from torch_timing import add_timing_arguments, print_speed_by_threads

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:
    print(json.dumps({"available": False, "reason": str(error)}))
    sys.exit(0)


class Block(nn.Module):
    def __init__(self, width, heads, context):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc, self.fc_out = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
        self.register_buffer("causal", torch.tril(torch.ones(context, context)).view(1, 1, context, context))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in self.qkv(self.ln1(x)).split(c, dim=2))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads)
        weights = F.softmax(scores.masked_fill(self.causal[:, :, :t, :t] == 0, float("-inf")), dim=-1)
        x = x + self.proj((weights @ v).transpose(1, 2).contiguous().view(b, t, c))
        return x + self.fc_out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab, layers, width, heads, context):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads, context) for _ in range(layers))
        self.ln_f, self.head = nn.LayerNorm(width), nn.Linear(width, vocab)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith(("proj.weight", "fc_out.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in [("vocab-size", 80), ("layers", 4), ("width", 128), ("heads", 4), ("context", 128), ("batch", 32)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    add_timing_arguments(parser, steps=5)
    a = parser.parse_args()

    def make_step():
        model = GPT(a.vocab_size, a.layers, a.width, a.heads, a.context)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.randint(0, a.vocab_size, (a.batch, a.context))
        y = torch.randint(0, a.vocab_size, (a.batch, a.context))

        def step():
            loss = F.cross_entropy(model(x).view(-1, a.vocab_size), y.view(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        return step

    print_speed_by_threads(torch, a, make_step, a.batch * a.context, "chars")


if __name__ == "__main__":
    main()
