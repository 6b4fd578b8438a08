"""PEFT side of the @peft <-> PEFT LoRA, prefix-tuning, IA3 and DoRA round trips on the Llama-family fixtures (run by
peft-adapters.e2e.test.ts).

    python peft_adapters.py JOBS.json RESULTS.json

Jobs: {"kind": "load", "base", "adapter_dir", "input_ids"}: PeftModel.from_pretrained(base, @peft's adapter): its
logits and every warning printed while loading. {"kind": "save", "base", "out_dir", "input_ids", "seed"}: a fresh
LoraConfig on all seven projections (r 4, alpha 8), random non-zero factors (seeded), save_pretrained(out_dir): its
logits, for @peft to import. With "method": "prefix", a PrefixTuningConfig of "length" virtual tokens instead; with
"method": "ia3", an IA3Config(**"config") (PEFT's Llama default when empty: k_proj, v_proj, down_proj feedforward), its
vectors 1 + 0.3·N(0, 1), and the count of its trainable values; with "method": "dora", a LoraConfig(use_dora=True) of
r 4, alpha 8 on "modules" (default: all seven projections), its factors random and each magnitude moved per feature.
"""
import contextlib
import io
import json
import sys
import warnings

import torch
from transformers import AutoModelForCausalLM
from peft import IA3Config, LoraConfig, PeftModel, PrefixTuningConfig, TaskType, get_peft_model

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
    method = job.get("method", "lora")
    if method == "lora":
        config = LoraConfig(r=4, lora_alpha=8, target_modules=MODULES, lora_dropout=0.0, task_type=TaskType.CAUSAL_LM)
    elif method == "dora":
        config = LoraConfig(r=4, lora_alpha=8, target_modules=job.get("modules", MODULES), lora_dropout=0.0, use_dora=True, task_type=TaskType.CAUSAL_LM)
    elif method == "ia3":
        config = IA3Config(task_type=TaskType.CAUSAL_LM, **job.get("config", {}))
    else:
        config = PrefixTuningConfig(num_virtual_tokens=job["length"], task_type=TaskType.CAUSAL_LM)
    model = get_peft_model(base(job), config)
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if "ia3_l" in name:  # IA3's vectors: around 1
            p.data = 1 + torch.randn_like(p) * job.get("scale", 0.3)
        elif "lora_magnitude_vector" in name:  # DoRA's m: near its initial ‖W‖, moved per feature
            p.data = p.data * (1 + 0.3 * torch.randn_like(p))
        else:  # the LoRA/DoRA factors or the prefix: random, non-zero
            p.data = torch.randn_like(p) * job.get("scale", 0.1)
    model.eval()
    model.save_pretrained(job["out_dir"])
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"logits": logits_of(model, job["input_ids"]), "trainable": trainable}


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
