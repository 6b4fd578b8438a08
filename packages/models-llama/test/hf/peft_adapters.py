"""PEFT side of the @peft <-> PEFT LoRA and prefix-tuning round trips on the Llama-family fixtures (run by peft-adapters.e2e.test.ts).

    python peft_lora.py JOBS.json RESULTS.json

Jobs: {"kind": "load", "base", "adapter_dir", "input_ids"}: PeftModel.from_pretrained(base, @peft's adapter): its
logits and every warning printed while loading. {"kind": "save", "base", "out_dir", "input_ids", "seed"}: a fresh
LoraConfig on all seven projections (r 4, alpha 8), random non-zero factors (seeded), save_pretrained(out_dir): its
logits, for @peft to import. With "method": "prefix", a PrefixTuningConfig of "length" virtual tokens instead.
"""
import contextlib
import io
import json
import sys
import warnings

import torch
from transformers import AutoModelForCausalLM
from peft import LoraConfig, PeftModel, PrefixTuningConfig, TaskType, get_peft_model

torch.set_grad_enabled(False)
MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def logits_of(model, ids):
    ids = torch.tensor([ids], dtype=torch.long)
    return model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0].reshape(-1).tolist()


def base(job):
    return AutoModelForCausalLM.from_pretrained(job["base"], dtype=torch.float32, attn_implementation="eager")


def run(job):
    if job["kind"] == "load":
        buf = io.StringIO()
        with warnings.catch_warnings(record=True) as ws, contextlib.redirect_stderr(buf):
            warnings.simplefilter("always")
            model = PeftModel.from_pretrained(base(job), job["adapter_dir"])
        seen = [str(w.message) for w in ws] + [l for l in buf.getvalue().splitlines() if l.strip() and "Loading weights" not in l]
        model.eval()
        return {"logits": logits_of(model, job["input_ids"]), "warnings": seen}
    torch.manual_seed(job["seed"])
    if job.get("method", "lora") == "lora":
        config = LoraConfig(r=4, lora_alpha=8, target_modules=MODULES, lora_dropout=0.0, task_type=TaskType.CAUSAL_LM)
    else:
        config = PrefixTuningConfig(num_virtual_tokens=job["length"], task_type=TaskType.CAUSAL_LM)
    model = get_peft_model(base(job), config)
    for name, p in model.named_parameters():
        if p.requires_grad:  # the LoRA factors or the prefix: random, non-zero
            p.data = torch.randn_like(p) * job.get("scale", 0.1)
    model.eval()
    model.save_pretrained(job["out_dir"])
    return {"logits": logits_of(model, job["input_ids"])}


def main():
    jobs = json.load(open(sys.argv[1]))
    results = []
    for job in jobs:
        try:
            results.append(run(job))
        except Exception as e:  # reported to the test, which names the job
            import traceback
            results.append({"error": repr(e), "trace": traceback.format_exc()})
    json.dump(results, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
