#!/usr/bin/env bash
# Builds the device kit: everything @peft needs to run its GPU figures on a machine that has a GPU, Python/PyTorch and
# Vulkan's driver but no Node.js and no network (docs/backends.md, "On a real GPU: the device kit"). Run here, after
# `npm ci && npm run build`:
#
#   bash scripts/device/kit.sh [OUT_DIR]          (default: device-kit/, git-ignored)
#
# OUT_DIR then holds three things, to carry beside the repository's tracked files (64 MiB in all):
#   run.sh         the script to run there: `bash device-kit/run.sh [--quick] [--reduced]` (scripts/device/run.sh)
#   kit.tar.xz     this machine's node binary; the step, decoding, probe and `peft` CLI as esbuild bundles of the
#                  built packages (tfjs-core, tfjs's webgpu backend and @peft inlined); Dawn for Node (npm `webgpu`)
#                  with its linux-x64 binary alone; the demo's files (and resvg + a font for its chart); the PyTorch scripts; libstdc++ for a system
#                  older than Dawn needs; kit.json (versions, the glibc it needs)
#   debs/          the Vulkan and EGL loaders as Debian packages (apt-get download), unpacked there by run.sh
# Prints the kit's size and the total with the tracked tree, and fails when that is over 64 MiB.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/device-kit}"
LIMIT=$((64 * 1024 * 1024))
cd "$root"

die() { echo "kit.sh: $*" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || die "the device is x86-64: build the kit on an x86-64 machine (this is $(uname -m))"
for f in packages/core/dist/index.js packages/webgpu/dist/index.js packages/recipes/dist/cli.js; do
  [ -f "$f" ] || die "$f is missing: run npm run build first"
done
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || die "node_modules/webgpu/dist/linux-x64/dawn.node is missing (npm ci installs it)"
command -v xz >/dev/null || die "xz is missing (apt-get install xz-utils)"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/js" "$stage/lib" "$stage/py" "$stage/node_modules/webgpu/dist/linux-x64" "$stage/node_modules/@peft/webgpu"

# ---- node: this machine's binary (its glibc need is recorded below)
node_bin="$(readlink -f "$(command -v node)")"
cp "$node_bin" "$stage/node"

# ---- the JavaScript: one ESM bundle per entry, shared chunks between them, so tfjs-core is one module in a process.
# @peft/webgpu is also an entry: @peft/core's backend selection imports it by a computed name at run time, which a
# small package in node_modules/@peft/webgpu answers with the same chunks.
esbuild="$root/node_modules/.bin/esbuild"
[ -x "$esbuild" ] || die "esbuild is missing (a dev dependency through tsup: npm ci)"
"$esbuild" \
  step=scripts/bench/peft-step.mjs \
  decode=scripts/bench/peft-decode.mjs \
  probe=scripts/device/probe.mjs \
  peft=packages/recipes/dist/cli.js \
  peft-webgpu=packages/webgpu/dist/index.js \
  --bundle --splitting --ignore-annotations --format=esm --platform=node --target=node20 --minify-syntax --minify-whitespace \
  --outdir="$stage/js" --out-extension:.js=.mjs --chunk-names='chunk-[hash]' --legal-comments=none \
  --external:webgpu --external:@resvg/resvg-js \
  --banner:js="import { createRequire as __kitRequire } from 'node:module'; const require = __kitRequire(import.meta.url);" \
  --log-level=warning
printf '{ "type": "module" }\n' >"$stage/package.json"
printf '{ "name": "@peft/webgpu", "type": "module", "main": "index.js" }\n' >"$stage/node_modules/@peft/webgpu/package.json"
printf "export * from '../../../js/peft-webgpu.mjs';\n" >"$stage/node_modules/@peft/webgpu/index.js"

# ---- Dawn for Node: its loader and the linux-x64 binary alone (the package ships five platforms, 130 MB)
w=node_modules/webgpu
cp "$w/package.json" "$w/index.js" "$w/LICENSE.md" "$stage/$w/"
cp "$w/dist/linux-x64/dawn.node" "$stage/$w/dist/linux-x64/"

# ---- the files `peft demo` and METEOR read beside their modules (found from js/: one folder up): the demo's model and
# data, and METEOR's resources (WordNet's index files gzipped among them)
cp -r packages/recipes/demo "$stage/demo"
mkdir -p "$stage/data" && cp -r packages/eval-metrics/data/meteor "$stage/data/meteor"

# ---- the training chart `peft demo` draws: Vega is bundled; resvg (native) with its linux-x64 binary alone, and the font
for p in @resvg/resvg-js @resvg/resvg-js-linux-x64-gnu; do
  mkdir -p "$stage/node_modules/$p"
  (cd "node_modules/$p" && cp package.json *.js *.node "$stage/node_modules/$p/" 2>/dev/null || true)
done
[ -f "$stage/node_modules/@resvg/resvg-js-linux-x64-gnu/resvgjs.linux-x64-gnu.node" ] || die "@resvg/resvg-js-linux-x64-gnu is missing"
cp -r packages/recipes/fonts "$stage/fonts" # @peft/recipes ships its font (found from js/: one folder up)

# ---- PyTorch's side of each figure
cp scripts/bench/pytorch_step.py scripts/bench/pytorch_decode.py "$stage/py/"

# ---- libstdc++ and libgcc_s of this machine: used there only when the system's libstdc++ is older than Dawn needs
for l in libstdc++.so.6 libgcc_s.so.1; do
  p="$(ldconfig -p | awk -v l="$l" '$1 == l && /x86-64/ && !p { p = $NF } END { print p }')"
  [ -n "$p" ] || die "$l not found by ldconfig"
  cp "$(readlink -f "$p")" "$stage/lib/$l"
done

# ---- what the binaries need from the system
glibc_of() { objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1; }
glibcxx_of() { objdump -T "$1" | grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -1; }
node_glibc="$(glibc_of "$stage/node")"; dawn_glibc="$(glibc_of "$stage/$w/dist/linux-x64/dawn.node")"
node_glibcxx="$(glibcxx_of "$stage/node")"; dawn_glibcxx="$(glibcxx_of "$stage/$w/dist/linux-x64/dawn.node")"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- packages scripts || echo '+changes')"
cat >"$stage/kit.json" <<EOF
{ "built": "$(date -u +%FT%TZ)", "commit": "$commit", "node": "$("$stage/node" -v)",
  "webgpu": "$(node -p "require('./$w/package.json').version")",
  "tfjs": "$(node -p "require('./node_modules/@tensorflow/tfjs-core/package.json').version")",
  "needs": { "node": ["$node_glibc", "$node_glibcxx"], "dawn.node": ["$dawn_glibc", "$dawn_glibcxx"] },
  "built_on": "$(. /etc/os-release && echo "$PRETTY_NAME"), $(ldd --version | head -1 | awk '{ print "glibc " $NF }')" }
EOF

# ---- pack
rm -rf "$out" && mkdir -p "$out/debs"
XZ_OPT="-6 -T2" tar -C "$stage" -cJf "$out/kit.tar.xz" .
cp scripts/device/run.sh "$out/run.sh"

# ---- the Vulkan and EGL loaders (libglvnd's EGL and GLES dispatch, the Khronos Vulkan loader), from Debian
debs=(libvulkan1 libegl1 libglvnd0 libgles2 libopengl0 libgl1 libglx0)
if [ -n "${PEFT_KIT_DEBS:-}" ]; then
  cp "$PEFT_KIT_DEBS"/*.deb "$out/debs/" # a folder of .debs downloaded before (tests: no apt-get each time)
else
  (cd "$out/debs" && apt-get download "${debs[@]}" >/dev/null) || die "apt-get download ${debs[*]} failed (apt-get update first?)"
fi
for d in "${debs[@]}"; do ls "$out/debs/${d}_"*.deb >/dev/null 2>&1 || die "debs/: ${d} is missing"; done

kit_bytes="$(du -cb "$out" | tail -1 | cut -f1)"
tracked_bytes="$(git ls-files -z | xargs -0 du -cb 2>/dev/null | awk '$2 == "total" { t += $1 } END { print t + 0 }')"
total=$((kit_bytes + tracked_bytes))
printf '{ "part": "kit", "dir": "%s", "kit_bytes": %d, "tracked_bytes": %d, "total_bytes": %d, "limit_bytes": %d, "node_needs": "%s %s", "dawn_needs": "%s %s" }\n' \
  "$out" "$kit_bytes" "$tracked_bytes" "$total" "$LIMIT" "$node_glibc" "$node_glibcxx" "$dawn_glibc" "$dawn_glibcxx"
[ "$total" -le "$LIMIT" ] || die "kit ($kit_bytes bytes) + tracked files ($tracked_bytes) = $total bytes: over 64 MiB"
