"""Hugging Face side of the @peft <-> PEFT IA3 round trips (run by hf-peft-ia3.e2e.test.ts in its venv).

Reads a JSON list of jobs (argv[1]), writes a JSON list of results (argv[2]). Jobs:
- load: PeftModel.from_pretrained(base, @peft adapter dir): logits, every warning printed while loading, and the
        logits after merging (merge_adapter).
- save: a fresh PEFT IA3 model (IA3Config from the job), its ia3_l vectors set to 1 + scale * N(0, 1) (seeded),
        save_pretrained(dir): its logits and merged logits, for @peft to import.
"""
import contextlib
import io
import json
import logging
import sys
import warnings

import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification
from peft import IA3Config, PeftModel, TaskType, get_peft_model

torch.set_grad_enabled(False)


def base_model(job):
    if job.get("arch", "gpt2") == "gpt2":
        return AutoModelForCausalLM.from_pretrained(job["base"], dtype=torch.float32)
    return AutoModelForSequenceClassification.from_pretrained(job["base"], num_labels=job["num_labels"], dtype=torch.float32)


def logits_of(model, job):
    ids = torch.tensor([job["input_ids"]], dtype=torch.long)
    return model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0].reshape(-1).tolist()


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
    base = base_model(job)
    with captured() as seen:
        model = PeftModel.from_pretrained(base, job["adapter_dir"])
    model.eval()
    res = {"logits": logits_of(model, job), "warnings": list(seen)}
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
