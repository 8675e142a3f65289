#!/usr/bin/env bash
# Builds the GPU benchmark's bundle: everything run.sh needs on a GPU machine that has no Node and
# no network. Run from anywhere on the Debian 12 x86-64 CPU box (it needs npm's registry and apt):
#   bash apps/bench/gpu/build.sh
# Writes into .gpu/ at the repo root (ignored by git; carried to the GPU machine, ~30 MB):
#   node.xz                  Node (this box's /usr/bin/node, stripped)
#   node_modules.tar.xz      the peers (@jax-js/jax, @tensorflow/tfjs + tfjs-backend-webgpu) and
#                            `webgpu` (Dawn's dawn.node, linux-x64 only), trimmed to what Node loads
#   tapegrad.tar.xz          node_modules/@tapegrad/{core,layers,optim}: package.json + dist/*.js
#   tapegrad_bench.mjs       apps/bench/gpu/tapegrad.ts bundled (the model code of apps/bench)
#   tapegrad_build.json      the commit the tapegrad parts were built from
#   debs/                    Debian's Vulkan loader, glvnd (the NVIDIA ICD needs it) and X11 libs
# The peers, node and the .debs are kept when present (GPUBENCH_REBUILD=1 redoes them); the
# tapegrad parts are rebuilt every time.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
B=${GPUBENCH_BUNDLE:-$ROOT/.gpu}
S=${SCRATCH:-$ROOT/tmp/gpubench-build}
REBUILD=${GPUBENCH_REBUILD:-0}
mkdir -p "$B" "$S"
xzc() { xz -T2 -6 "$@"; }

# ---- the peers and dawn.node (versions as measured in /work/shared/gpu; webgpu = core's devDependency)
if [ "$REBUILD" = 1 ] || [ ! -f "$B/node_modules.tar.xz" ]; then
  rm -rf "$S/peers" && mkdir -p "$S/peers" && cd "$S/peers"
  echo '{"name":"gpu-bench","version":"1.0.0","private":true,"type":"module"}' > package.json
  npm install --omit=dev --no-audit --no-fund @jax-js/jax@0.1.25 webgpu@0.6.2 \
    @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-webgpu@4.22.0
  # trimmed: only linux-x64 dawn.node, only the *.node.js bundles of tfjs (what Node loads), no maps/typings
  cd node_modules
  rm -rf core-js @types webgpu/dist/darwin-universal webgpu/dist/linux-arm64 webgpu/dist/win32-* webgpu/build
  for p in @tensorflow/*; do
    find "$p" -mindepth 1 -maxdepth 1 ! -name package.json ! -name 'LICENSE*' ! -name dist -exec rm -rf {} +
    find "$p/dist" -type f ! -name '*.node.js' -delete
    find "$p/dist" -type d -empty -delete
  done
  find . \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.cts' \) -delete
  rm -f @jax-js/jax/dist/*.cjs
  cd "$S/peers" && tar -cf - --owner=0 --group=0 --sort=name node_modules | xzc > "$B/node_modules.tar.xz"
fi

# ---- node (the GPU machine has none)
if [ "$REBUILD" = 1 ] || [ ! -f "$B/node.xz" ]; then
  strip -o "$S/node.stripped" "$(command -v node)" && xzc -c "$S/node.stripped" > "$B/node.xz"
fi

# ---- the Vulkan loader, and what the NVIDIA ICD loads (run.sh unpacks only what is missing there)
if [ "$REBUILD" = 1 ] || [ ! -d "$B/debs" ]; then
  rm -rf "$B/debs" && mkdir -p "$B/debs/gl" "$B/debs/x11"
  (cd "$B/debs" && apt-get download libvulkan1)
  (cd "$B/debs/gl" && apt-get download libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  (cd "$B/debs/x11" && apt-get download libx11-6 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0)
  # plain names (apt's have %3a and +), the versions listed beside them
  for f in "$B"/debs/*.deb "$B"/debs/*/*.deb; do
    echo "$(dpkg-deb -f "$f" Package) $(dpkg-deb -f "$f" Version)" >> "$B/debs/versions.txt"
    mv "$f" "$(dirname "$f")/$(dpkg-deb -f "$f" Package).deb"
  done
fi

# ---- tapegrad: the packages' dist, and the benchmark's model code bundled against them
cd "$ROOT"
pnpm exec turbo run build --filter=@tapegrad/bench^... --output-logs=errors-only
rm -rf "$S/tg" && mkdir -p "$S/tg/node_modules/@tapegrad"
for p in core layers optim; do
  d="$S/tg/node_modules/@tapegrad/$p"
  mkdir -p "$d/dist"
  cp "packages/$p/package.json" "$d/"
  cp packages/"$p"/dist/*.js "$d/dist/"
done
(cd "$S/tg" && tar -cf - --owner=0 --group=0 --sort=name node_modules | xzc > "$B/tapegrad.tar.xz")
pnpm exec tsup apps/bench/gpu/tapegrad.ts --format esm --platform node --target node20 \
  --external @tapegrad/core --external @tapegrad/layers --external @tapegrad/optim \
  --external webgpu --out-dir "$S/tg-entry" --silent
cp "$S/tg-entry/tapegrad.js" "$B/tapegrad_bench.mjs"
commit=$(git -C "$ROOT" rev-parse --short HEAD)
dirty=false
[ -n "$(git -C "$ROOT" status --porcelain -- packages apps/bench)" ] && dirty=true
printf '{"commit":"%s","dirty":%s,"built":"%s"}\n' "$commit" "$dirty" "$(date -u +%FT%TZ)" \
  > "$B/tapegrad_build.json"

ls -la "$B" "$B/debs" "$B/debs/gl" "$B/debs/x11"
du -sh "$B"
