"""Converts a PyTorch state dict saved with torch.save (e.g. the lesson's generator) into a folder gennet imports.

    python3 convert_state_dict.py generator.pt --vocab vocab.json --out folder
    gennet import --format pytorch --from folder --out model

The state dict must be laid out as the lesson's generator: `rnn` (nn.LSTM or nn.RNN, batch first), an optional
`embedding` (nn.Embedding), `fc` (nn.Linear). vocab.json lists the tokens in id order (json.dump(vocab.get_itos(), f)
for a torchtext vocabulary). Writes model.safetensors and vocab.json into --out.
"""
import argparse
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import save_safetensors  # noqa: E402

parser = argparse.ArgumentParser(description="a torch.save state dict as a folder gennet imports")
parser.add_argument("state_dict", help="file written by torch.save(model.state_dict(), path) (or a whole model)")
parser.add_argument("--vocab", required=True, help="JSON list of the tokens in id order")
parser.add_argument("--out", required=True)
args = parser.parse_args()
loaded = torch.load(args.state_dict, map_location="cpu")
state = loaded.state_dict() if hasattr(loaded, "state_dict") else loaded
os.makedirs(args.out, exist_ok=True)
save_safetensors({name: tensor for name, tensor in state.items()}, os.path.join(args.out, "model.safetensors"))
shutil.copyfile(args.vocab, os.path.join(args.out, "vocab.json"))
print(f"wrote {args.out}/model.safetensors ({len(state)} tensors) and vocab.json")
