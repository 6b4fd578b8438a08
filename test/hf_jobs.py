"""What the Hugging Face side of the @peft <-> PEFT round trips shares (the job runners of the recipes', IA3's and
DoRA's hf-peft e2e tests import it; each adds its own load and save jobs).

A runner reads a JSON list of jobs (argv[1]) and writes a JSON list of results (argv[2]), one per job, each with the
job's name: {"name", ...the job's result} or {"name", "error", "trace"} when the job raised.
"""
import contextlib
import io
import json
import logging
import sys
import traceback
import warnings

import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification
from peft import PeftModel


def base_model(job):
    """The job's base checkpoint in float32: a causal LM for "arch" gpt2 (the default), else a classifier of "num_labels"."""
    if job.get("arch", "gpt2") == "gpt2":
        return AutoModelForCausalLM.from_pretrained(job["base"], dtype=torch.float32)
    return AutoModelForSequenceClassification.from_pretrained(job["base"], num_labels=job["num_labels"], dtype=torch.float32)


def logits_of(model, job):
    """The model's logits on the job's "input_ids" (one row, no padding), flattened."""
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


def load_adapter(job):
    """PeftModel.from_pretrained(base, the job's "adapter_dir") in eval mode, and its result so far: its logits and every
    warning printed while loading."""
    torch.manual_seed(0)  # whatever the base initialises (a classifier head the checkpoint lacks) is the same each run
    base = base_model(job)
    with captured() as seen:
        model = PeftModel.from_pretrained(base, job["adapter_dir"])
    model.eval()
    return model, {"logits": logits_of(model, job), "warnings": list(seen)}


def run_jobs(load_job, save_job):
    """Runs every job of argv[1] ("kind" load or save) and writes the results to argv[2]."""
    torch.set_grad_enabled(False)
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    results = []
    for job in jobs:
        try:
            results.append({"name": job["name"], **(load_job(job) if job["kind"] == "load" else save_job(job))})
        except Exception as e:  # reported per job, so one failure does not hide the others
            results.append({"name": job["name"], "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)
