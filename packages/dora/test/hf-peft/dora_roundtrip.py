"""Hugging Face side of the @peft <-> PEFT DoRA round trips (run by hf-peft-dora.e2e.test.ts in its venv).

Reads a JSON list of jobs (argv[1]), writes a JSON list of results (argv[2]). Jobs:
- load: PeftModel.from_pretrained(base, @peft DoRA adapter dir): logits, every warning while loading, the logits after
        merge_and_unload.
- save: a fresh PEFT model (LoraConfig(use_dora=True, ...) from the job; A, B and every lora_magnitude_vector random,
        seeded), save_pretrained(dir): its logits and its merged logits, for @peft to import.
"""
import sys
from pathlib import Path

import torch
from peft import LoraConfig, TaskType, get_peft_model

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "test"))  # the repository's test/: hf_jobs
from hf_jobs import base_model, load_adapter, logits_of, run_jobs  # noqa: E402


def load_job(job):
    model, res = load_adapter(job)
    res["merged_logits"] = logits_of(model.merge_and_unload(), job)
    return res


def save_job(job):
    torch.manual_seed(job.get("seed", 0))
    base = base_model(job)
    task = TaskType.CAUSAL_LM if job["arch"] == "gpt2" else TaskType.SEQ_CLS
    model = get_peft_model(base, LoraConfig(task_type=task, use_dora=True, **job["config"]))
    torch.manual_seed(job.get("seed", 0) + 1)
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if "lora_magnitude_vector" in name:  # m near its initial ‖W‖, moved per feature
            p.data = p.data * (1 + 0.3 * torch.randn_like(p))
        else:  # LoRA factors and the head (modules_to_save): random, non-zero
            p.data = torch.randn_like(p) * job.get("scale", 0.2)
    model.eval()
    model.save_pretrained(job["out_dir"])
    res = {"logits": logits_of(model, job)}
    res["merged_logits"] = logits_of(model.merge_and_unload(), job)
    return res


if __name__ == "__main__":
    run_jobs(load_job, save_job)
