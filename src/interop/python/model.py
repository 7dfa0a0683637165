"""A gennet recurrent generator in PyTorch, as `gennet export --format pytorch` writes it.

The folder holds `model.safetensors` (the weights), `config.json` (the network's settings), `vocab.json` (the
tokens in id order: 0 <pad>, 1 <eos>, 2 <unk>, then the characters or words) and this file. The module follows the
lesson's PyTorch generator: one-hot tokens (or an nn.Embedding) -> `rnn` -> dropout -> `fc`, where `rnn` is
nn.LSTM or nn.RNN with PyTorch's own weights, or for a GRU the `ResetBeforeGRU` below (gennet's GRU applies the
reset gate before the recurrent matrix product, nn.GRU after it: their weights do not carry over).

    from model import Generator, load_vocab, greedy
    model = Generator.load("exported")
    print(greedy(model, load_vocab("exported"), "Call me ", 100))

`python3 model.py FOLDER --prompt "Call me " --length 100` prints the same greedy text as
`gennet generate --temperature 0` (character models). Needs only torch: safetensors are read and written here.
"""
import argparse
import json
import os
import struct
import sys
from array import array

import torch
import torch.nn.functional as F
from torch import nn

PAD_ID, EOS_ID, UNK_ID = 0, 1, 2
FORMAT = "gennet-pytorch"


def load_safetensors(path):
    """The tensors (float32) and the metadata of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    metadata = header.pop("__metadata__", {})
    start = 8 + length
    dtypes = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16}
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = bytearray(data[start + begin : start + end])
        tensor = torch.frombuffer(raw, dtype=dtypes[entry["dtype"]]) if raw else torch.zeros(0)
        tensors[name] = tensor.reshape(entry["shape"]).float()
    return tensors, metadata


def replace_file(path, data):
    """Writes `data` (bytes) to `path` as a whole: a temporary file beside it, then a rename."""
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


def save_safetensors(tensors, path, metadata=None):
    """Writes `tensors` (name -> tensor) as float32 in a safetensors file, atomically."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, tensor in tensors.items():
        values = array("f", tensor.detach().to("cpu", torch.float32).flatten().tolist())
        if sys.byteorder != "little":
            values.byteswap()
        raw = values.tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    replace_file(path, struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))


class ResetBeforeGRU(nn.Module):
    """A GRU whose reset gate acts before the recurrent product: n = tanh(W_in x + b_in + (r * h) W_hn^T + b_hn).

    gennet's (and Keras' reset_after=False, ONNX's linear_before_reset=0) GRU. Parameters are named and laid out as
    nn.GRU's (`weight_ih_l{k}` [3H, input] with gates r, z, n; `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`);
    batch first; dropout between layers.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, batch_first=True, dropout=0.0):
        super().__init__()
        assert batch_first, "ResetBeforeGRU is batch first"
        self.hidden_size, self.num_layers, self.dropout = hidden_size, num_layers, dropout
        for k in range(num_layers):
            width = input_size if k == 0 else hidden_size
            bound = hidden_size**-0.5
            for name, shape in [("weight_ih", (3 * hidden_size, width)), ("weight_hh", (3 * hidden_size, hidden_size)),
                                ("bias_ih", (3 * hidden_size,)), ("bias_hh", (3 * hidden_size,))]:
                setattr(self, f"{name}_l{k}", nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def forward(self, x, h0=None):
        batch, steps, _ = x.shape
        if h0 is None:
            h0 = x.new_zeros(self.num_layers, batch, self.hidden_size)
        finals = []
        for k in range(self.num_layers):
            w_ih, w_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
            b_ih, b_hh = getattr(self, f"bias_ih_l{k}"), getattr(self, f"bias_hh_l{k}")
            w_hr, w_hz, w_hn = w_hh.chunk(3)
            b_hr, b_hz, b_hn = b_hh.chunk(3)
            gi_r, gi_z, gi_n = (x @ w_ih.T + b_ih).chunk(3, dim=2)
            h, outputs = h0[k], []
            for t in range(steps):
                r = torch.sigmoid(gi_r[:, t] + h @ w_hr.T + b_hr)
                z = torch.sigmoid(gi_z[:, t] + h @ w_hz.T + b_hz)
                n = torch.tanh(gi_n[:, t] + (r * h) @ w_hn.T + b_hn)
                h = z * h + (1 - z) * n
                outputs.append(h)
            x = torch.stack(outputs, dim=1)
            finals.append(h)
            if k < self.num_layers - 1:
                x = F.dropout(x, self.dropout, self.training)
        return x, torch.stack(finals)


RECURRENT = {
    "lstm": nn.LSTM,
    "rnn": lambda *args, **kwargs: nn.RNN(*args, nonlinearity="tanh", **kwargs),
    "gru": ResetBeforeGRU,
}


class Generator(nn.Module):
    """gennet's next-token generator: token ids [batch, steps] -> logits [batch, steps, vocab] and the new state."""

    def __init__(self, cell, vocab_size, units, layers=1, input="onehot", embedding_dim=None, dropout=0.0):
        super().__init__()
        self.settings = dict(cell=cell, vocab_size=vocab_size, units=units, layers=layers, input=input,
                             embedding_dim=embedding_dim, dropout=dropout)
        self.vocab_size = vocab_size
        self.seed = None  # gennet's seed of the network, kept when saved again
        self.embedding = nn.Embedding(vocab_size, embedding_dim) if input == "embedding" else None
        width = embedding_dim if input == "embedding" else vocab_size
        between = dropout if layers > 1 else 0.0
        self.rnn = RECURRENT[cell](width, units, num_layers=layers, batch_first=True, dropout=between)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(units, vocab_size)

    def forward(self, tokens, state=None):
        if self.embedding is not None:
            x = self.embedding(tokens)
        else:
            x = F.one_hot(tokens, self.vocab_size).to(self.fc.weight.dtype)
        y, state = self.rnn(x, state)
        return self.fc(self.drop(y)), state

    @classmethod
    def load(cls, folder):
        """The model saved in `folder` (config.json + model.safetensors)."""
        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        if config.get("format") != FORMAT:
            raise ValueError(f"{folder}/config.json is not a gennet PyTorch export (format {config.get('format')!r}).")
        model = cls(config["cell"], config["vocab_size"], config["units"], config["layers"], config["input"],
                    config.get("embedding_dim"), config.get("dropout", 0.0))
        model.seed = config.get("seed")
        tensors, _ = load_safetensors(os.path.join(folder, "model.safetensors"))
        model.load_state_dict(tensors)
        return model

    def save(self, folder, metadata=None):
        """Writes model.safetensors and config.json into `folder` (made when missing)."""
        os.makedirs(folder, exist_ok=True)
        save_safetensors(self.state_dict(), os.path.join(folder, "model.safetensors"), metadata)
        config = {"format": FORMAT, "version": 1, "written_by": "model.py", **self.settings}
        if self.seed is not None:
            config["seed"] = self.seed
        if self.settings["cell"] == "gru":
            config["gru_reset"] = "before"
        replace_file(os.path.join(folder, "config.json"), json.dumps(config, indent=2).encode())


def load_vocab(folder):
    """The vocabulary saved beside the model: {"kind": "char"|"word", "tokens": [...]}."""
    with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
        return json.load(f)


def encode_chars(vocab, text):
    """The ids of a text's characters (a character vocabulary; unknown characters become <unk>)."""
    index = {token: i for i, token in enumerate(vocab["tokens"])}
    return [index.get(ch, UNK_ID) for ch in text]


@torch.no_grad()
def greedy(model, vocab, prompt, length=100):
    """The prompt and `length` more tokens, each the most likely one (never <pad> or <unk>), as gennet generates."""
    if vocab["kind"] != "char":
        raise ValueError("greedy() here encodes characters; word prompts need gennet's tokenizer.")
    model.eval()
    logits, state = model(torch.tensor([[EOS_ID] + encode_chars(vocab, prompt)]))
    text = prompt
    for _ in range(length):
        row = logits[0, -1].clone()
        row[[PAD_ID, UNK_ID]] = float("-inf")
        token = int(row.argmax())
        if token == EOS_ID:
            break
        text += vocab["tokens"][token]
        logits, state = model(torch.tensor([[token]]), state)
    return text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="greedy text from a gennet PyTorch export")
    parser.add_argument("folder")
    parser.add_argument("--prompt", default="")
    parser.add_argument("--length", type=int, default=100)
    args = parser.parse_args()
    print(greedy(Generator.load(args.folder), load_vocab(args.folder), args.prompt, args.length))
