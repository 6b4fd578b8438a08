"""Hugging Face side of the @peft <-> PEFT round trips (run by hf-peft-interop.e2e.test.ts in its own venv).

Reads a JSON list of jobs (argv[1]), writes a JSON list of results (argv[2]). Jobs:
- load:  PeftModel.from_pretrained(base, @peft adapter dir): logits, every warning printed while loading, logits after
         merge_and_unload and the merged weights of every linear site in @peft's layout ([in, out], layers.{i}.{site}).
- save:  a fresh PEFT model (LoraConfig or PrefixTuningConfig from the job, random non-zero weights, seeded),
         save_pretrained(dir): its logits and merged weights, for @peft to import.
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from peft import LoraConfig, PrefixTuningConfig, TaskType, get_peft_model

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "test"))  # the repository's test/: hf_jobs
from hf_jobs import base_model, load_adapter, logits_of, run_jobs  # noqa: E402

GPT2_SITES = [("attn.c_attn", ["attn.q", "attn.k", "attn.v"]), ("attn.c_proj", ["attn.o"]), ("mlp.c_fc", ["ffn.in"]), ("mlp.c_proj", ["ffn.out"])]
ROBERTA_SITES = [("attention.self.query", "attn.q"), ("attention.self.key", "attn.k"), ("attention.self.value", "attn.v"),
                 ("attention.output.dense", "attn.o"), ("intermediate.dense", "ffn.in"), ("output.dense", "ffn.out")]


def merged_weights(model, arch):
    """Every linear site's weight in @peft's [in, out] layout, from a plain (merged) transformers model."""
    sd = model.state_dict()
    out = {}
    if arch == "gpt2":
        n = model.config.n_layer
        for i in range(n):
            for mod, sites in GPT2_SITES:
                w = sd[f"transformer.h.{i}.{mod}.weight"]  # Conv1D: [in, out]
                for j, chunk in enumerate(torch.chunk(w, len(sites), dim=1)):
                    out[f"layers.{i}.{sites[j]}"] = chunk.contiguous().float()
    else:
        n = model.config.num_hidden_layers
        for i in range(n):
            for mod, site in ROBERTA_SITES:
                out[f"layers.{i}.{site}"] = sd[f"roberta.encoder.layer.{i}.{mod}.weight"].t().contiguous().float()  # [out, in] -> [in, out]
    return out


def load_job(job):
    model, res = load_adapter(job)
    if job.get("merge", True):
        merged = model.merge_and_unload()
        res["merged_logits"] = logits_of(merged, job)
        save_file(merged_weights(merged, job["arch"]), job["merged_out"])
    return res


def save_job(job):
    torch.manual_seed(job.get("seed", 0))
    base = base_model(job)
    if job["method"] == "lora":
        task = TaskType.CAUSAL_LM if job["arch"] == "gpt2" else TaskType.SEQ_CLS
        cfg = LoraConfig(task_type=task, init_lora_weights=False, **job["config"])
    else:
        cfg = PrefixTuningConfig(task_type=TaskType.CAUSAL_LM, **job["config"])
    model = get_peft_model(base, cfg)
    torch.manual_seed(job.get("seed", 0) + 1)
    for name, p in model.named_parameters():
        if p.requires_grad:  # LoRA factors, the head (modules_to_save), the prefix: random, non-zero
            p.data = torch.randn_like(p) * job.get("scale", 0.2)
    dtype = {"F16": torch.float16, "BF16": torch.bfloat16}.get(job.get("dtype", "F32"))
    if dtype is not None:  # round the trained weights to the file's dtype, so both sides see the same values
        for name, p in model.named_parameters():
            if p.requires_grad:
                p.data = p.data.to(dtype).to(torch.float32)
    model.eval()
    model.save_pretrained(job["out_dir"])
    if dtype is not None:
        path = f"{job['out_dir']}/adapter_model.safetensors"
        save_file({k: v.to(dtype) for k, v in load_file(path).items()}, path, metadata={"format": "pt"})
    res = {"logits": logits_of(model, job)}
    if job["method"] == "lora":
        merged = model.merge_and_unload()
        res["merged_logits"] = logits_of(merged, job)
        save_file(merged_weights(merged, job["arch"]), job["merged_out"])
    return res


if __name__ == "__main__":
    run_jobs(load_job, save_job)
