"""Reference values of the tiny Llama-family fixtures from transformers (the numbers @peft/models-llama must match).

    python reference.py OUT.json FIXTURE_DIR [FIXTURE_DIR ...]

For each checkpoint folder: the model in float32 (eager attention), a batch of two rows, the second left-padded (mask 0
on the padding, position ids counting real tokens as generate() does), and records its logits at every real position,
the rotary inverse frequencies, greedy generate() continuations of each row with the key/value cache, and what the
`tokenizers` library makes of tokenizer.json for a few texts. Written to OUT.json (one entry per folder name).
"""
import json
import os
import sys

import torch
import transformers
from tokenizers import Tokenizer
from transformers import AutoConfig, AutoModelForCausalLM

ROWS = [[5, 100, 200, 300, 17, 42, 9, 250, 77], [31, 7, 118, 640, 3, 12]]
NEW_TOKENS = 6
TEXTS = [
    "The leader of Aarhus is Jacob Bundsgaard.",
    "It's 2014-2015: they're sure we've seen it.",
    "Café in Zürich, naïve façade  and   three spaces.\nLine two",
    "Snow \u2603 in Krak\u00f3w",
    "",
]


def batch(rows, pad):
    width = max(len(r) for r in rows)
    ids = [[pad] * (width - len(r)) + r for r in rows]
    mask = [[0] * (width - len(r)) + [1] * len(r) for r in rows]
    ids = torch.tensor(ids, dtype=torch.long)
    mask = torch.tensor(mask, dtype=torch.long)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids, mask, positions


def fixture(folder):
    torch.manual_seed(0)
    config = AutoConfig.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    ids, mask, positions = batch(ROWS, pad=0)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits  # [B, T, V]
        generated = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=NEW_TOKENS,
            min_new_tokens=NEW_TOKENS,
            do_sample=False,
            use_cache=True,
            pad_token_id=0,
            eos_token_id=None,
        )[:, ids.shape[1]:]
    real = []
    for b, row in enumerate(ROWS):
        width = ids.shape[1]
        real.append([[float("%.9g" % v) for v in logits[b, t].tolist()] for t in range(width - len(row), width)])
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    tokens = [
        {
            "text": t,
            "ids": tok.encode(t, add_special_tokens=True).ids,
            "plain": tok.encode(t, add_special_tokens=False).ids,
            "decoded": tok.decode(tok.encode(t, add_special_tokens=True).ids, skip_special_tokens=False),
        }
        for t in TEXTS
    ]
    return {
        "model_class": type(model).__name__,
        "rows": ROWS,
        "logits": real,
        "inv_freq": model.model.rotary_emb.inv_freq.tolist(),
        "greedy": generated.tolist(),
        "tokens": tokens,
        "vocab_size": config.vocab_size,
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def main():
    out, folders = sys.argv[1], sys.argv[2:]
    result = {
        "transformers": transformers.__version__,
        "torch": torch.__version__.split("+")[0],
        "fixtures": {os.path.basename(os.path.normpath(f)): fixture(f) for f in folders},
    }
    with open(out, "w") as f:
        json.dump(result, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
