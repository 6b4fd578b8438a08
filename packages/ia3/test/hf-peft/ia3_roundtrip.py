"""Hugging Face side of the @peft <-> PEFT IA3 round trips (run by hf-peft-ia3.e2e.test.ts in its venv).

Reads a JSON list of jobs (argv[1]), writes a JSON list of results (argv[2]). Jobs:
- load: PeftModel.from_pretrained(base, @peft adapter dir): logits, every warning printed while loading, and the
        logits after merging (merge_adapter).
- save: a fresh PEFT IA3 model (IA3Config from the job), its ia3_l vectors set to 1 + scale * N(0, 1) (seeded),
        save_pretrained(dir): its logits and merged logits, for @peft to import.
"""
import sys
from pathlib import Path

import torch
from peft import IA3Config, TaskType, get_peft_model

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "test"))  # the repository's test/: hf_jobs
from hf_jobs import base_model, load_adapter, logits_of, run_jobs  # noqa: E402


def load_job(job):
    model, res = load_adapter(job)
    res["merged_logits"] = merged_logits(model, job)
    return res


def merged_logits(model, job):
    """Logits with the vectors folded into the base weights. merge_adapter(), not merge_and_unload(): in peft 0.21 the
    latter fails for IA3 beside a modules_to_save head ('RobertaClassificationHead' object has no attribute 'weight')."""
    model.merge_adapter()
    return logits_of(model, job)


def save_job(job):
    base = base_model(job)
    task = TaskType.CAUSAL_LM if job.get("arch", "gpt2") == "gpt2" else TaskType.SEQ_CLS
    model = get_peft_model(base, IA3Config(task_type=task, **job["config"]))
    torch.manual_seed(job.get("seed", 0))
    for name, p in model.named_parameters():
        if p.requires_grad:  # the vectors around 1; the head of modules_to_save (SEQ_CLS) small and random
            p.data = (1 + torch.randn_like(p) * job.get("scale", 0.3)) if "ia3_l" in name else torch.randn_like(p) * 0.2
    model.eval()
    model.save_pretrained(job["out_dir"])
    res = {"logits": logits_of(model, job), "trainable": sum(p.numel() for n, p in model.named_parameters() if "ia3_l" in n)}
    res["merged_logits"] = merged_logits(model, job)
    return res


if __name__ == "__main__":
    run_jobs(load_job, save_job)
