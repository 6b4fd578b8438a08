#!/usr/bin/env bash
# The device kit's run (built by scripts/device/kit.sh, copied beside kit.tar.xz): @peft's GPU figures on a machine
# with a GPU, Python + PyTorch and a Vulkan driver, and nothing else — no Node.js, no network. From the repository root:
#
#   bash device-kit/run.sh [--quick] [--reduced] [--only a,b] [--skip a,b]
#
# Unpacks the kit (node, the bundled packages, Dawn) and the Vulkan/EGL loaders into $PEFT_KIT_WORK
# (/tmp/peft-device-kit), points Vulkan at the NVIDIA driver's manifest when there is one, and runs each part under its
# own time limit (the whole within $PEFT_KIT_BUDGET seconds, 480 by default), printing ONE JSON line per part to stdout
# and appending it to $OUT/results.jsonl ($OUT: the folder whose files come back; ./device-kit-out when unset). A part
# that fails prints {"part", "ok": false, "rc", "error"} and the others go on. Everything the parts print on stderr
# goes to $OUT/log.txt.
# Parts: env (kit, system, nvidia-smi), adapter (the adapter Dawn finds, its features and limits), step-webgpu (the
# GPT-2-small-shaped training step, B 8 × T 128, inducer + LoRA, fwd + bwd + AdamW, with the GPU work each step sends),
# step-webgpu-before (the same step as it ran before issue 26's cut: three readbacks inside it, tfjs's composed AdamW),
# step-torch-fp32 and step-torch-tf32 (the same step in PyTorch on CUDA), decode-webgpu and decode-torch (greedy
# decoding with a key/value cache, 40 tokens after 256), demo (`peft demo` on webgpu), summary (the ratios).
#   --quick    fewer steps and tokens, a short demo: a fast rerun
#   --reduced  the bench's reduced shape (4 layers × 256, B 4 × T 64): what a software adapter (llvmpipe) can bind
# Environment: PEFT_PYTHON (python3), PEFT_KIT_WORK, PEFT_KIT_BUDGET, PEFT_KIT_LOADERS (auto: the kit's Vulkan/EGL
# loaders where the system has none; own: always; system: never).
set -uo pipefail
kit="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
quick=0 reduced=0 only="" skip=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reduced) reduced=1 ;;
    --only) only="$2"; shift ;;
    --skip) skip="$2"; shift ;;
    *) echo "run.sh: unknown option '$1' (--quick, --reduced, --only a,b, --skip a,b)" >&2; exit 2 ;;
  esac
  shift
done
out="${OUT:-$PWD/device-kit-out}"
mkdir -p "$out"
results="$out/results.jsonl" log="$out/log.txt"
: >"$results"; : >"$log"
work="${PEFT_KIT_WORK:-/tmp/peft-device-kit}"
budget="${PEFT_KIT_BUDGET:-480}"
python="${PEFT_PYTHON:-python3}"
started=$SECONDS

# ---- JSON in bash alone (node may be what fails)
json_str() { # a JSON string of $1: backslashes, quotes, control characters
  local s="${1//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"; s="${s//$'\t'/ }"; s="${s//$'\r'/}"
  printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\037')"
}
emit() { printf '%s\n' "$1"; printf '%s\n' "$1" >>"$results"; }
want() {
  [ -n "$only" ] && [[ ",$only," != *",$1,"* ]] && return 1
  [[ ",$skip," == *",$1,"* ]] && return 1
  return 0
}
# part NAME LIMIT_S CMD…: runs CMD under min(LIMIT_S, the budget left); its last stdout line that starts with '{' is the
# part's figures, emitted as {"part", "ok": true, "part_s", …figures}; else {"part", "ok": false, "rc", "error"}.
part() {
  local name="$1" limit="$2"; shift 2
  want "$name" || return 0
  local left=$((budget - (SECONDS - started)))
  [ "$left" -lt "$limit" ] && limit="$left"
  if [ "$limit" -lt 5 ]; then
    emit "{\"part\":\"$name\",\"ok\":false,\"rc\":null,\"error\":\"not run: the time budget (${budget} s) is spent\"}"
    return 0
  fi
  echo "===== $name (limit ${limit} s): $*" >>"$log"
  local t0=$SECONDS so rc line l0
  l0="$(wc -l <"$log")"
  so="$(mktemp)"
  timeout -k 10 "$limit" "$@" >"$so" </dev/null
  rc=$?
  cat "$so" >>"$log"
  line="$(grep '^{' "$so" | tail -1)"
  local secs=$((SECONDS - t0))
  if [ "$rc" -eq 0 ] && [ -n "$line" ]; then
    emit "{\"part\":\"$name\",\"ok\":true,\"part_s\":$secs,${line#\{}"
  else
    local why
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then why="timed out after ${limit} s"; else why="exit $rc"; fi
    local tailtxt
    tailtxt="$(tail -n +$((l0 + 1)) "$log" | grep -v '^\s*at \|^Warning\|XDG_RUNTIME\|^$\|^=====' | tail -n 4 | cut -c1-300 | tr '\n' '|')"
    emit "{\"part\":\"$name\",\"ok\":false,\"rc\":$rc,\"part_s\":$secs,\"error\":$(json_str "$why: $tailtxt")}"
  fi
  rm -f "$so"
}
# what the parts print on stderr goes to the log (stdout: one JSON line per part)
exec 3>&2 2>>"$log"

# ---- unpack: tar and xz, dpkg-deb; where a system lacks them, Python's tarfile and lzma do the same
untar() { # untar ARCHIVE DIR
  if command -v xz >/dev/null; then tar -C "$2" -xJf "$1"; else
    "$python" -c 'import sys, tarfile; t = tarfile.open(sys.argv[1]); t.extractall(sys.argv[2], **({"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}))' "$1" "$2"
  fi
}
undeb() { # undeb DEB DIR: a .deb is an ar archive holding data.tar.*
  if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$1" "$2"; else
    "$python" - "$1" "$2" <<'PY'
import io, sys, tarfile
raw = open(sys.argv[1], "rb").read()
assert raw[:8] == b"!<arch>\n", "not a .deb"
pos = 8
while pos < len(raw):
    name, size = raw[pos:pos + 16].decode().strip().rstrip("/"), int(raw[pos + 48:pos + 58])
    body = raw[pos + 60:pos + 60 + size]
    if name.startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(body)).extractall(sys.argv[2])
    pos += 60 + size + (size & 1)
PY
  fi
}
rm -rf "$work" && mkdir -p "$work/sys" "$work/fixtures" "$work/xdg" && chmod 700 "$work/xdg"
if ! untar "$kit/kit.tar.xz" "$work"; then
  emit "{\"part\":\"unpack\",\"ok\":false,\"error\":$(json_str "unpacking $kit/kit.tar.xz failed (see $log)")}"
  exit 1
fi
for d in "$kit"/debs/*.deb; do undeb "$d" "$work/sys" || echo "unpacking $d failed" >>"$log"; done
node="$work/node"

# ---- libraries: the kit's loaders where the system has none; libstdc++ where the system's is older than Dawn needs
libpath=""
has_lib() { ldconfig -p 2>/dev/null | grep " $1 " >/dev/null; } # not grep -q: ldconfig killed by SIGPIPE fails the pipe
loaders="${PEFT_KIT_LOADERS:-auto}"
if [ "$loaders" = own ] || { [ "$loaders" = auto ] && ! { has_lib libvulkan.so.1 && has_lib libEGL.so.1; }; }; then
  libpath="$work/sys/usr/lib/x86_64-linux-gnu"
  loaders_used=kit
else
  loaders_used=system
fi
need_cxx="$(grep -o '"dawn.node": \[[^]]*\]' "$work/kit.json" | grep -o 'GLIBCXX_[0-9.]*')"
sys_cxx="$(ldconfig -p 2>/dev/null | awk '$1 == "libstdc++.so.6" && /x86-64/ && !p { p = $NF } END { print p }')"
if [ -n "$sys_cxx" ] && grep -qa "$need_cxx" "$(readlink -f "$sys_cxx")"; then cxx_used="system ($sys_cxx)"; else
  libpath="$work/lib${libpath:+:$libpath}"; cxx_used="kit (the system's lacks $need_cxx)"
fi
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && libpath="$libpath:$d"; done
icds="$(ls /usr/local/nvidia/share/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ':' | sed 's/:$//')"
if [ -n "$icds" ]; then export VK_ICD_FILENAMES="$icds" VK_DRIVER_FILES="$icds"; fi
egl_vendor=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$egl_vendor" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$egl_vendor"
export XDG_RUNTIME_DIR="$work/xdg" PEFT_BENCH_FIXTURES="$work/fixtures"
# node and Dawn see the kit's libraries; python (PyTorch, CUDA) runs with the environment it came with. Wrappers are
# files, so that `timeout` can run them.
run_node="$work/node.sh"
cat >"$run_node" <<EOF
#!/usr/bin/env bash
export LD_LIBRARY_PATH="${libpath#:}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
exec "$node" "\$@"
EOF
chmod +x "$run_node"

# ---- env: the kit, the system, the GPU
if want env; then
  smi=null
  if command -v nvidia-smi >/dev/null; then
    smi="$(json_str "$(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm --format=csv,noheader 2>&1 | head -2)")"
  fi
  nodev="$("$run_node" -v 2>&1 | head -1)"
  torchv="$("$python" -c 'import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())' 2>&1 | tail -1)"
  emit "{\"part\":\"env\",\"ok\":true,\"kit\":$(tr -d '\n' <"$work/kit.json"),\"node\":$(json_str "$nodev"),\"uname\":$(json_str "$(uname -srm)"),\"glibc\":$(json_str "$(ldd --version 2>&1 | head -1)"),\"libstdcxx\":$(json_str "$cxx_used"),\"loaders\":\"$loaders_used\",\"vk_icd\":$(json_str "${VK_ICD_FILENAMES:-}"),\"nvidia_smi\":$smi,\"torch\":$(json_str "$torchv"),\"quick\":$quick,\"reduced\":$reduced}"
fi

# ---- shapes and sizes
if [ "$reduced" = 1 ]; then
  shape=(layers=4 embd=256 heads=4 batch=4 seq=64); dshape=(layers=4 embd=256 heads=4 context=64)
else
  shape=(layers=12 batch=8 seq=128); dshape=(context=256)
fi
if [ "$quick" = 1 ]; then steps=3 tsteps=5 newt=16 demo_steps=5; else steps=6 tsteps=12 newt=40 demo_steps=40; fi

part adapter 45 "$run_node" "$work/js/probe.mjs"
part step-webgpu 200 "$run_node" "$work/js/step.mjs" backend=webgpu "${shape[@]}" "steps=$steps"
# the step as before issue 26's cut, for its counts and loss beside step-webgpu's (on llvmpipe 2-3x slower than it)
part step-webgpu-before 240 "$run_node" "$work/js/step.mjs" backend=webgpu step=host without=adamw,reduce-total,dropout-mask,masked-softmax "${shape[@]}" "steps=$steps"
part step-torch-fp32 60 "$python" "$work/py/pytorch_step.py" device=cuda tf32=0 threads=4 "${shape[@]}" "steps=$tsteps"
part step-torch-tf32 45 "$python" "$work/py/pytorch_step.py" device=cuda tf32=1 threads=4 "${shape[@]}" "steps=$tsteps"
part decode-webgpu 90 "$run_node" "$work/js/decode.mjs" backend=webgpu blas=0 "${dshape[@]}" "new=$newt"
part decode-torch 45 "$python" "$work/py/pytorch_decode.py" device=cuda "${dshape[@]}" "new=$newt"
cat >"$work/demo.sh" <<EOF
#!/usr/bin/env bash
# \`peft demo\` on webgpu; its figures from the run folder's summary
PEFT_BACKEND=webgpu "$run_node" "$work/js/peft.mjs" demo --max-steps "$demo_steps" --out "$work/demo-run" >&2 || exit \$?
d="$work/demo-run"
[ -f "\$d/metrics.json" ] || { echo "no metrics.json in \$d" >&2; exit 1; }
steps="\$(grep '"type":"step"' "\$d/train.jsonl")"
echo "{\"metrics\":\$(tr -d '\n' <"\$d/metrics.json"),\"first_step\":\$(echo "\$steps" | head -1),\"last_step\":\$(echo "\$steps" | tail -1),\"steps\":\$(echo "\$steps" | grep -c .)}"
EOF
chmod +x "$work/demo.sh"
part demo 90 "$work/demo.sh"

# ---- summary: the ratios, from the lines above
if want summary; then
  med() { grep "\"part\":\"$1\",\"ok\":true" "$results" | grep -o '"median_s":[0-9.e+-]*' | head -1 | cut -d: -f2; }
  ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }' || echo null; }
  g="$(med step-webgpu)" f="$(med step-torch-fp32)" t="$(med step-torch-tf32)"
  emit "{\"part\":\"summary\",\"ok\":true,\"total_s\":$((SECONDS - started)),\"step_webgpu_s\":${g:-null},\"step_torch_fp32_s\":${f:-null},\"step_torch_tf32_s\":${t:-null},\"webgpu_over_torch_fp32\":$(ratio "$g" "$f"),\"webgpu_over_torch_tf32\":$(ratio "$g" "$t"),\"failed\":$(grep -c '"ok":false' "$results")}"
fi
exec 2>&3
