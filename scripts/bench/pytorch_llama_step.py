"""The Llama-shaped training step of scripts/bench/llama-step.mjs in PyTorch 2.x as a user runs it: transformers'
LlamaForCausalLM read from the same random SmolLM2-135M-shaped checkpoint folder (float32), PEFT 0.21's LoRA on all
seven projections (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; r 8, lora_alpha 16, dropout 0.05),
train mode, batch B x T of random ids, the model's own loss with labels = input_ids, clip_grad_norm_ 1.0, AdamW on the
adapter. The attention is transformers' default (sdpa).

Options: dir=<checkpoint folder> (required) batch=8 seq=256 steps=3 threads=2.
Prints one JSON line: {"median_s", "steps_s", "cpu_s", "peak_rss_mb", "threads", "loss", "trainable", "torch",
"transformers", "peft", "attn"}.
"""
import json
import resource
import sys
import time

import torch

args = dict(a.split("=", 1) for a in sys.argv[1:])
DIR = args["dir"]
B = int(args.get("batch", 8))
T = int(args.get("seq", 256))
STEPS = int(args.get("steps", 3))
THREADS = int(args.get("threads", 2))
torch.set_num_threads(THREADS)
torch.manual_seed(0)

import peft  # noqa: E402
import transformers  # noqa: E402
from peft import LoraConfig, get_peft_model  # noqa: E402
from transformers import LlamaForCausalLM  # noqa: E402

base = LlamaForCausalLM.from_pretrained(DIR, dtype=torch.float32)
config = LoraConfig(
    r=8, lora_alpha=16, lora_dropout=0.05, task_type="CAUSAL_LM",
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
)
model = get_peft_model(base, config)
model.train()
trainable = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(trainable, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
g = torch.Generator().manual_seed(1)
ids = torch.randint(0, base.config.vocab_size, (B, T), generator=g)

times, cpu, loss = [], [], None
for step in range(STEPS):
    t0, c0 = time.perf_counter(), time.process_time()
    opt.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    opt.step()
    times.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
steady = sorted(times[1:] if len(times) > 1 else times)
print(json.dumps({
    "median_s": steady[len(steady) // 2],
    "steps_s": times,
    "cpu_s": cpu,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "threads": THREADS,
    "layers": base.config.num_hidden_layers,
    "batch": B,
    "seq": T,
    "trainable": sum(p.numel() for p in trainable),
    "loss": float(loss),
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "peft": peft.__version__,
    "attn": getattr(base.config, "_attn_implementation", None),
}))
