"""One training step of @peft's benchmark shapes in plain PyTorch, for side-by-side timing against @peft.

model=small|medium (default small): the same step as scripts/bench/peft-step.mjs — pre-LN GPT-2 blocks (small: 12 x 768,
12 heads; medium: 24 x 1024, 16 heads; FFN 4d, tanh GELU), tied LM head over 50,257 tokens, batch B x T tokens, frozen
random N(0, 0.02) weights, the NLG "inducer + LoRA" preset trainable (inducer r_k 5, r_v 12 with the extended value
MLP; LoRA on W_q, r 24, alpha 32, KA flavour with bias), dropout 0.1 everywhere as in training, label smoothing 0.1,
AdamW on the adapter only.
model=roberta: the MNLI step of scripts/bench/roberta-step.mjs — post-LN RoBERTa-base (12 x 768, exact GELU), padded
rows (row r keeps 64 + (37 r mod 64) tokens), the NLU "inducer + LoRA" preset (r_k 2, r_v 4, LoRA-Q r 4 alpha 32,
loralib flavour), lambda over the unpadded keys (the reference's quirk), the frozen <s> classification head (3 labels).
Written for this benchmark from the equations of the spec, not taken from the authors' code.

Options: batch=8 seq=128 layers=… embd=… heads=… steps=4 threads=2 model=small device=cpu|cuda tf32=0|1.
device=cuda runs the step on the GPU (synchronised at the end of each step; peak_cuda_mb beside the RSS); tf32=1 lets
matrix products use TF32 (torch.backends.cuda.matmul.allow_tf32), else they stay in full fp32.
Prints one JSON line: {"median_s", "steps_s", "cpu_s", "peak_rss_mb", "threads", "loss", "trainable", "torch",
"blas"}: "torch" the version, "blas" what ran the products (torch_blas_info below).
Run by scripts/bench.mjs with PyTorch 2.x from the pip index in a venv (MKL, oneDNN) and/or Debian's python3-torch
1.13 (the system OpenBLAS through libblas.so.3).
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
MODEL = args.get("model", "small")
SHAPES = {"small": (12, 768, 12), "medium": (24, 1024, 16), "roberta": (12, 768, 12)}
L0, D0, H0 = SHAPES[MODEL]
D, H = int(args.get("embd", D0)), int(args.get("heads", H0))
B = int(args.get("batch", 32 if MODEL == "roberta" else 8))
T = int(args.get("seq", 128))
L = int(args.get("layers", L0))
V = int(args.get("vocab", 50265 if MODEL == "roberta" else 50257))
STEPS = int(args.get("steps", 4))
THREADS = int(args.get("threads", 2))
P, FF = D // H, 4 * D
NLU = MODEL == "roberta"
RK, RV, RL, ALPHA = (2, 4, 4, 32.0) if NLU else (5, 12, 24, 32.0)
DEVICE = args.get("device", "cpu")
TF32 = args.get("tf32", "0") == "1"
torch.set_num_threads(THREADS)
torch.manual_seed(0)
if DEVICE == "cuda" and not torch.cuda.is_available():
    sys.exit(f"device=cuda: this PyTorch ({torch.__version__}) sees no CUDA device")
if DEVICE != "cpu":
    torch.set_default_device(DEVICE)
torch.backends.cuda.matmul.allow_tf32 = TF32
torch.backends.cudnn.allow_tf32 = TF32


def frozen(*shape):
    return nn.Parameter(torch.randn(*shape) * 0.02, requires_grad=False)


def wrapped(*shape):
    return nn.Parameter(torch.fmod(torch.randn(*shape), 2) * 0.01)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1_w, self.ln1_b = frozen(D), frozen(D)
        self.ln2_w, self.ln2_b = frozen(D), frozen(D)
        self.w_attn, self.b_attn = frozen(D, 3 * D), frozen(3 * D)
        self.w_o, self.b_o = frozen(D, D), frozen(D)
        self.w_fc, self.b_fc = frozen(D, FF), frozen(FF)
        self.w_proj, self.b_proj = frozen(FF, D), frozen(D)
        # LoRA on q: A (r, d) kaiming, B (d, r) = 0, scaling alpha / r; KA flavour (NLG) adds a bias (d) = 0
        self.lora_a = nn.Parameter(torch.empty(RL, D).uniform_(-1 / math.sqrt(D), 1 / math.sqrt(D)))
        self.lora_b = nn.Parameter(torch.zeros(D, RL))
        self.lora_bias = None if NLU else nn.Parameter(torch.zeros(D))
        # inducer: key MLP per head, extended value MLP into the model dimension
        self.ka, self.kb1, self.kb, self.kb2 = wrapped(H, P, RK), wrapped(H, 1, RK), wrapped(H, RK, P), wrapped(H, 1, P)
        self.w1, self.b1, self.w2, self.b2 = wrapped(H, P, RV), wrapped(H, 1, RV), wrapped(H, RV, D), wrapped(D)

    def attention(self, x, keep, pad):
        s = ALPHA / RL
        q, k, v = (x @ self.w_attn + self.b_attn).split(D, dim=2)
        q = q + (F.dropout(x, 0.1, True) @ (self.lora_a * s).t()) @ self.lora_b.t()
        if self.lora_bias is not None:
            q = q + self.lora_bias * s
        q, k, v = (t.view(B, T, H, P).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(P)
        if keep is not None:
            scores = torch.where(keep, scores, torch.tensor(-1e4))
        masked = scores + pad if pad is not None else scores
        pk = q + torch.tanh(q @ self.ka + self.kb1) @ self.kb + self.kb2
        a = (q * pk).sum(-1, keepdim=True) / math.sqrt(P)
        # lambda shares the normalisation; RoBERTa's reference takes it over the scores before the padding mask
        lam = torch.softmax(torch.cat([a, scores if NLU else masked], -1), -1)[..., 0]
        att = F.dropout(torch.softmax(masked, -1), 0.1, True)
        lam = F.dropout(lam, 0.1, True)
        o = (att @ v).transpose(1, 2).reshape(B, T, D)
        y = o @ self.w_o + self.b_o
        hid = torch.einsum("bhn,bhnr->bhnr", lam, torch.tanh(q @ self.w1 + self.b1))
        return y + torch.einsum("bhnr,hrd->bnd", hid, self.w2) + self.b2

    def ffn(self, x):
        act = (lambda u: F.gelu(u)) if NLU else (lambda u: F.gelu(u, approximate="tanh"))
        return act(x @ self.w_fc + self.b_fc) @ self.w_proj + self.b_proj

    def forward(self, h, keep, pad):
        if NLU:  # post-LN
            h = F.layer_norm(h + F.dropout(self.attention(h, None, pad), 0.1, True), (D,), self.ln1_w + 1, self.ln1_b)
            return F.layer_norm(h + F.dropout(self.ffn(h), 0.1, True), (D,), self.ln2_w + 1, self.ln2_b)
        h = h + F.dropout(self.attention(F.layer_norm(h, (D,), self.ln1_w + 1, self.ln1_b), keep, None), 0.1, True)
        return h + F.dropout(self.ffn(F.layer_norm(h, (D,), self.ln2_w + 1, self.ln2_b)), 0.1, True)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = frozen(V, D), frozen(1024 if not NLU else 514, D)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.lnf_w, self.lnf_b = frozen(D), frozen(D)
        if NLU:
            self.dense_w, self.dense_b, self.out_w, self.out_b = frozen(D, D), frozen(D), frozen(D, 3), frozen(3)

    def forward(self, ids, labels, lengths):
        if NLU:
            pos = torch.arange(2, T + 2)
            h = F.dropout(F.layer_norm(self.wte[ids] + self.wpe[pos], (D,), self.lnf_w + 1, self.lnf_b), 0.1, True)
            attend = torch.arange(T)[None, :] < lengths[:, None]
            pad = ((~attend).float() * -1e4)[:, None, None, :]
            for blk in self.blocks:
                h = blk(h, None, pad)
            x = torch.tanh(F.dropout(h[:, 0], 0.1, True) @ self.dense_w + self.dense_b)
            logits = F.dropout(x, 0.1, True) @ self.out_w + self.out_b
            return F.cross_entropy(logits, labels)
        keep = torch.tril(torch.ones(T, T, dtype=torch.bool))
        h = F.dropout(self.wte[ids] + self.wpe[:T], 0.1, True)
        for blk in self.blocks:
            h = blk(h, keep, None)
        h = F.layer_norm(h, (D,), self.lnf_w + 1, self.lnf_b)
        logits = h @ self.wte.t()
        return F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), label_smoothing=0.1)


model = Model()
trainable = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(trainable, lr=1.25e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0)
g = torch.Generator(device="cpu").manual_seed(1)
ids = torch.randint(0, V, (B, T), generator=g, device="cpu").to(DEVICE)
labels = torch.randint(0, 3, (B,), generator=g, device="cpu").to(DEVICE) if NLU else ids
lengths = torch.tensor([64 + (37 * r) % 64 for r in range(B)])
def torch_blas_info():
    """What runs this PyTorch's products, from the build and from the process: the build's BLAS_INFO and CPU
    capability, the BLAS / MKL / oneDNN libraries actually mapped into the process, OpenBLAS's own word on its kernels
    (openblas_get_corename, which OPENBLAS_CORETYPE forces) where OpenBLAS is loaded, and the OPENBLAS_* variables."""
    import ctypes
    import os
    import re
    show = torch.__config__.show()
    blas_info = (re.search(r"BLAS_INFO=([^,]+)", show) or [None, "?"])[1]
    capability = (re.search(r"CPU capability usage: (\S+)", show) or [None, "?"])[1]
    libs = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if line.count("/") else ""
                name = os.path.basename(path)
                if re.search(r"blas|mkl|dnnl|lapack", name, re.I):
                    libs.add(path)
    except OSError:
        pass
    openblas = None
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            openblas = {"corename": lib.openblas_get_corename().decode(), "config": lib.openblas_get_config().decode(), "library": path}
            break
        except (OSError, AttributeError):
            continue
    mkl = None
    if torch.backends.mkl.is_available():
        mkl = (re.search(r"Math Kernel Library Version ([^\n]+?) for", show) or [None, "yes"])[1]
    return {
        "blas_info": blas_info,
        "cpu_capability": capability,
        "mkl": mkl,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "openblas": openblas,
        "libraries": sorted(os.path.basename(p) for p in libs),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "MKL_ENABLE_INSTRUCTIONS")},
    }


times, cpu, loss = [], [], None
for step in range(STEPS):
    t0, c0 = time.perf_counter(), time.process_time()
    opt.zero_grad(set_to_none=True)
    loss = model(ids, labels, lengths)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    opt.step()
    if DEVICE != "cpu":
        torch.cuda.synchronize()
    times.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
steady = sorted(times[1:] if len(times) > 1 else times)
print(json.dumps({
    "median_s": steady[len(steady) // 2],
    "steps_s": times,
    "cpu_s": cpu,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "threads": THREADS,
    "model": MODEL,
    "layers": L,
    "batch": B,
    "seq": T,
    "trainable": sum(p.numel() for p in trainable),
    "loss": float(loss),
    "device": DEVICE,
    "tf32": TF32,
    "torch": torch.__version__,
    "blas": torch_blas_info() if DEVICE == "cpu" else None,
    **({"gpu": torch.cuda.get_device_name(), "peak_cuda_mb": torch.cuda.max_memory_allocated() / 2**20} if DEVICE == "cuda" else {}),
}))
