"""One GPT-2-small-shaped training step in plain PyTorch, for side-by-side timing against @peft.

The same step as scripts/bench/peft-step.mjs: 12 pre-LN blocks (d 768, 12 heads, FFN 3072, tanh GELU), tied LM head
over 50,257 tokens, batch B x T tokens, frozen random N(0, 0.02) weights, the NLG "inducer + LoRA" preset trainable
(inducer r_k 5, r_v 12 with the extended value MLP; LoRA on W_q, r 24, alpha 32, KA flavour with bias), dropout 0.1
everywhere as in training, label smoothing 0.1, AdamW on the adapter only. Written for this benchmark from the
equations of the spec, not taken from the authors' code.

Prints one JSON line: {"median_s", "steps_s", "peak_rss_mb", "threads", "loss"}.
Run with Debian's python3 (python3-torch + libopenblas0-pthread).
"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

args = dict(a.split("=") for a in sys.argv[1:])
B = int(args.get("batch", 8))
T = int(args.get("seq", 128))
L = int(args.get("layers", 12))
V = int(args.get("vocab", 50257))
STEPS = int(args.get("steps", 4))
THREADS = int(args.get("threads", 2))
D, H, P, FF = 768, 12, 64, 3072
RK, RV, RL, ALPHA = 5, 12, 24, 32.0
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def frozen(*shape):
    return nn.Parameter(torch.randn(*shape) * 0.02, requires_grad=False)


def wrapped(*shape):
    return nn.Parameter(torch.fmod(torch.randn(*shape), 2) * 0.01)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1_w, self.ln1_b = frozen(D) , frozen(D)
        self.ln2_w, self.ln2_b = frozen(D), frozen(D)
        self.w_attn, self.b_attn = frozen(D, 3 * D), frozen(3 * D)
        self.w_o, self.b_o = frozen(D, D), frozen(D)
        self.w_fc, self.b_fc = frozen(D, FF), frozen(FF)
        self.w_proj, self.b_proj = frozen(FF, D), frozen(D)
        # LoRA on q (KA LoRALinear): A (r, d) kaiming, B (d, r) = 0, bias (d) = 0, scaling alpha / r
        self.lora_a = nn.Parameter(torch.empty(RL, D).uniform_(-1 / math.sqrt(D), 1 / math.sqrt(D)))
        self.lora_b = nn.Parameter(torch.zeros(D, RL))
        self.lora_bias = nn.Parameter(torch.zeros(D))
        # inducer: key MLP per head, extended value MLP into the model dimension
        self.ka, self.kb1, self.kb, self.kb2 = wrapped(H, P, RK), wrapped(H, 1, RK), wrapped(H, RK, P), wrapped(H, 1, P)
        self.w1, self.b1, self.w2, self.b2 = wrapped(H, P, RV), wrapped(H, 1, RV), wrapped(H, RV, D), wrapped(D)

    def forward(self, h, mask):
        s = ALPHA / RL
        x = F.layer_norm(h, (D,), self.ln1_w + 1, self.ln1_b)
        q, k, v = (x @ self.w_attn + self.b_attn).split(D, dim=2)
        q = q + (F.dropout(x, 0.1, True) @ (self.lora_a * s).t()) @ self.lora_b.t() + self.lora_bias * s
        q, k, v = (t.view(B, T, H, P).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(P)
        scores = torch.where(mask, scores, torch.tensor(-1e4))
        pk = q + torch.tanh(q @ self.ka + self.kb1) @ self.kb + self.kb2
        a = (q * pk).sum(-1, keepdim=True) / math.sqrt(P)
        lam = torch.softmax(torch.cat([a, scores], -1), -1)[..., 0]
        att = F.dropout(torch.softmax(scores, -1), 0.1, True)
        lam = F.dropout(lam, 0.1, True)
        o = (att @ v).transpose(1, 2).reshape(B, T, D)
        y = o @ self.w_o + self.b_o
        hid = torch.einsum("bhn,bhnr->bhnr", lam, torch.tanh(q @ self.w1 + self.b1))
        y = y + torch.einsum("bhnr,hrd->bnd", hid, self.w2) + self.b2
        h = h + F.dropout(y, 0.1, True)
        x2 = F.layer_norm(h, (D,), self.ln2_w + 1, self.ln2_b)
        z = F.gelu(x2 @ self.w_fc + self.b_fc, approximate="tanh") @ self.w_proj + self.b_proj
        return h + F.dropout(z, 0.1, True)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = frozen(V, D), frozen(1024, D)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.lnf_w, self.lnf_b = frozen(D), frozen(D)

    def forward(self, ids, labels):
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        h = F.dropout(self.wte[ids] + self.wpe[:T], 0.1, True)
        for blk in self.blocks:
            h = blk(h, mask)
        h = F.layer_norm(h, (D,), self.lnf_w + 1, self.lnf_b)
        logits = h @ self.wte.t()
        return F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), label_smoothing=0.1)


model = Model()
trainable = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(trainable, lr=1.25e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0)
g = torch.Generator().manual_seed(1)
ids = torch.randint(0, V, (B, T), generator=g)
times, loss = [], None
for step in range(STEPS):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = model(ids, ids)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    opt.step()
    times.append(time.perf_counter() - t0)
steady = sorted(times[1:] if len(times) > 1 else times)
print(json.dumps({
    "median_s": steady[len(steady) // 2],
    "steps_s": times,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "threads": THREADS,
    "trainable": sum(p.numel() for p in trainable),
    "loss": float(loss),
}))
