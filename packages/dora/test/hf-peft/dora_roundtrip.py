"""Hugging Face side of the @peft <-> PEFT DoRA round trips (run by hf-peft-dora.e2e.test.ts in its venv).

Reads a JSON list of jobs (argv[1]), writes a JSON list of results (argv[2]). Jobs:
- load: PeftModel.from_pretrained(base, @peft DoRA adapter dir): logits, every warning while loading, the logits after
        merge_and_unload.
- save: a fresh PEFT model (LoraConfig(use_dora=True, ...) from the job; A, B and every lora_magnitude_vector random,
        seeded), save_pretrained(dir): its logits and its merged logits, for @peft to import.
"""
import contextlib
import io
import json
import logging
import sys
import warnings

import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification
from peft import LoraConfig, PeftModel, TaskType, get_peft_model

torch.set_grad_enabled(False)


def base_model(job):
    if job["arch"] == "gpt2":
        return AutoModelForCausalLM.from_pretrained(job["base"], dtype=torch.float32)
    return AutoModelForSequenceClassification.from_pretrained(job["base"], num_labels=job["num_labels"], dtype=torch.float32)


def logits_of(model, job):
    ids = torch.tensor([job["input_ids"]], dtype=torch.long)
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids))
    return out.logits[0].reshape(-1).tolist()


@contextlib.contextmanager
def captured():
    """Every warning, log record (WARNING+) and line printed while the block runs."""
    seen = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = lambda record: seen.append(f"log {record.name}: {record.getMessage()}")
    loggers = [logging.getLogger(), logging.getLogger("transformers"), logging.getLogger("peft")]
    for lg in loggers:
        lg.addHandler(handler)
    buf_out, buf_err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(record=True) as ws, contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
        warnings.simplefilter("always")
        try:
            yield seen
        finally:
            seen.extend(f"warning {w.category.__name__}: {w.message}" for w in ws)
    for lg in loggers:
        lg.removeHandler(handler)
    seen.extend(f"printed: {line}" for line in (buf_out.getvalue() + buf_err.getvalue()).splitlines() if line.strip())


def load_job(job):
    torch.manual_seed(0)
    base = base_model(job)
    with captured() as seen:
        model = PeftModel.from_pretrained(base, job["adapter_dir"])
    model.eval()
    res = {"logits": logits_of(model, job), "warnings": list(seen)}
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


def main():
    jobs = json.load(open(sys.argv[1]))
    results = []
    for job in jobs:
        try:
            results.append({"name": job["name"], **(load_job(job) if job["kind"] == "load" else save_job(job))})
        except Exception as e:  # reported per job, so one failure does not hide the others
            import traceback
            results.append({"name": job["name"], "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    json.dump(results, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
