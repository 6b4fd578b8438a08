"""Greedy decoding in plain PyTorch WITH a key/value cache, as Hugging Face's generate does by default: the prompt runs
once (prefill), then each new token runs alone through the blocks, reusing every layer's past keys and values
(concatenated with the new ones, as HF's GPT-2 does). GPT-2-shaped random N(0, 0.02) weights (small: 12 x 768, 12
heads; medium: 24 x 1024, 16 heads), vocabulary 50,257, batch 1, eval mode (no dropout), under torch.no_grad().
The same task as packages/models-gpt2-roberta/bench/decode.mjs measures for @peft.

Options: model=small context=256 new=40 threads=2 layers=… embd=… heads=… device=cpu|cuda (cuda: synchronised before
each timer reads; the argmax of each token is read back to the CPU anyway).
Prints one JSON line: {"seconds", "tokens_per_s", "prefill_s", "per_token_ms", "tokens"}.
Run with Debian's python3 (python3-torch + libopenblas0-pthread).
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

args = dict(a.split("=") for a in sys.argv[1:])
L, D, H = {"small": (12, 768, 12), "medium": (24, 1024, 16)}[args.get("model", "small")]
L, D, H = int(args.get("layers", L)), int(args.get("embd", D)), int(args.get("heads", H))
DEVICE = args.get("device", "cpu")
CONTEXT = int(args.get("context", 256))
NEW = int(args.get("new", 40))
V, P = 50257, D // H
torch.set_num_threads(int(args.get("threads", 2)))
torch.manual_seed(0)
if DEVICE == "cuda" and not torch.cuda.is_available():
    sys.exit(f"device=cuda: this PyTorch ({torch.__version__}) sees no CUDA device")
if DEVICE != "cpu":
    torch.set_default_device(DEVICE)
w = lambda *s: torch.randn(*s) * 0.02
wte, wpe = w(V, D), w(1024, D)
blocks = [dict(w_attn=w(D, 3 * D), b_attn=torch.zeros(3 * D), w_o=w(D, D), b_o=torch.zeros(D), w_fc=w(D, 4 * D),
               b_fc=torch.zeros(4 * D), w_proj=w(4 * D, D), b_proj=torch.zeros(D)) for _ in range(L)]
ones, zeros = torch.ones(D), torch.zeros(D)


def forward(ids, past):
    """ids [1, n] → logits of the last position [V], and the cache with these n positions appended."""
    n, start = ids.shape[1], (past[0][0].shape[2] if past else 0)
    h = wte[ids] + wpe[start:start + n]
    present = []
    for i, b in enumerate(blocks):
        x = F.layer_norm(h, (D,), ones, zeros)
        q, k, v = (x @ b["w_attn"] + b["b_attn"]).split(D, dim=2)
        q, k, v = (t.view(1, n, H, P).transpose(1, 2) for t in (q, k, v))
        if past:
            k, v = torch.cat([past[i][0], k], 2), torch.cat([past[i][1], v], 2)
        present.append((k, v))
        m = k.shape[2]
        s = (q @ k.transpose(-1, -2)) / math.sqrt(P)
        if n > 1:
            keep = torch.ones(n, m, dtype=torch.bool).tril(m - n)
            s = torch.where(keep, s, torch.tensor(-1e4))
        o = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(1, n, D)
        h = h + o @ b["w_o"] + b["b_o"]
        x = F.layer_norm(h, (D,), ones, zeros)
        h = h + F.gelu(x @ b["w_fc"] + b["b_fc"], approximate="tanh") @ b["w_proj"] + b["b_proj"]
    return F.layer_norm(h[:, -1], (D,), ones, zeros) @ wte.t(), present


def generate(prompt, new):
    with torch.no_grad():
        t0 = time.perf_counter()
        logits, past = forward(torch.tensor([prompt]), None)
        if DEVICE != "cpu":
            torch.cuda.synchronize()
        prefill = time.perf_counter() - t0
        out = []
        for _ in range(new):
            tok = int(logits.argmax(-1))
            out.append(tok)
            if len(out) == new:
                break
            logits, past = forward(torch.tensor([[tok]]), past)
        return out, prefill, time.perf_counter() - t0


prompt = [(i * 7919 + 13) % V for i in range(CONTEXT)]
generate(prompt, 2)  # warm-up
tokens, prefill, seconds = generate(prompt, NEW)
print(json.dumps({
    "seconds": seconds,
    "tokens_per_s": NEW / seconds,
    "prefill_s": prefill,
    "per_token_ms": (seconds - prefill) / max(1, NEW - 1) * 1000,
    "context": CONTEXT,
    "new_tokens": NEW,
    "tokens": tokens,
    "device": DEVICE,
    **({"gpu": torch.cuda.get_device_name()} if DEVICE == "cuda" else {}),
}))
