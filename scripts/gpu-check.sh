#!/usr/bin/env bash
# The GPU check: everything a bare GPU machine without network needs to build
# the project against its PyTorch's CUDA libtorch, run the tests labelled
# `gpu` and the GPU benchmark, in one command (docs/gpu.md).
#
#   scripts/gpu-check.sh --download [DIR]   on a networked Debian 12 machine:
#       downloads (apt-get download) the Debian packages of every dependency
#       but libtorch, with their runtime libraries, into DIR (default
#       .gpu-debs, about 20 MB); copy DIR beside the checkout.
#   scripts/gpu-check.sh [--debs DIR] [--jobs N] OUT   on the GPU machine,
#       from the repository root: unpacks DIR into a private prefix (never
#       into /), configures and builds build-gpu/ against
#       `python3 -c 'import torch'`'s libtorch with every core, runs
#       `ctest -L gpu`, then rl_bench_gpu (CPU and CUDA side by side), and
#       writes OUT/gpu-check.log, OUT/gpu-check.json and OUT/bench.json.
#
# Each step is timed in the log and the JSON; a failed step is recorded and
# the later steps that do not need it still run, so one call tells as much
# as it can. The exit status is 0 only when every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."

# ---- --download: the packages ------------------------------------------------
# Headers, CMake and pkg-config files of what the build needs (the -dev
# packages, without the -dev packages they pull in) and the runtime
# libraries under them, less what every glibc system has. OSMesa (MuJoCo's
# offscreen rendering, ~45 MB with LLVM) and OpenBLAS (rl_bench_policy) are
# left out: the GPU build is configured without them.
dev_packages=(
  libzmq3-dev cppzmq-dev libsodium-dev libmsgpack-cxx-dev
  libmujoco-dev libqhull-dev libbox2d-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libeigen3-dev
  libprotobuf-dev protobuf-compiler libcsv-dev libcairo2-dev libgif-dev
  libgtest-dev libgmock-dev
  libgloo-dev  # headers only: c10d's ProcessGroupGloo.hpp includes them, the wheel lacks them
  pkgconf pkgconf-bin
)
runtime_roots=(
  libzmq5 libmujoco2.2.2 libbox2d2 libyaml-cpp0.7 libspdlog1.10 libfmt9 libprotobuf32 libprotobuf-lite32
  libprotoc32 libcsv3 libcairo2 libgif7 libqhull-r8.0 libqhull8.0 libqhullcpp8.0 libpkgconf3
)
# What any glibc Linux has, and packages that are data, not libraries.
base_pattern='^(libc6|libgcc-s1|libstdc\+\+6|gcc-12-base|libcrypt1|zlib1g|debconf|debconf-2\.0|cdebconf|dpkg|perl-base|tar|libselinux1|libpcre2-8-0|libzstd1|liblzma5|libbz2-1\.0|libacl1|fonts-.*|xfonts-.*|ttf-.*|fontconfig-config|ucf|coreutils|sensible-utils|install-info|libdebian-installer4|libnewt0\.52|libslang2|libtextwrap1|sysvinit-utils|lsb-base|readline-common|libreadline8|libtinfo6|x11-common|.*-data)$'

download() {
  local dest=$1
  mkdir -p "$dest"
  local closure
  closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
              --no-enhances "${runtime_roots[@]}" 2>/dev/null | grep '^[a-z0-9]' | sort -u | grep -Ev "$base_pattern")
  local packages
  packages=$(printf '%s\n' "${dev_packages[@]}" $closure | sort -u)
  (cd "$dest" && apt-get download $packages > /dev/null 2>&1) || { echo "gpu-check: apt-get download failed" >&2; exit 1; }
  local size
  size=$(du -sm "$dest" | cut -f1)
  echo "gpu-check: $(ls "$dest"/*.deb | wc -l) packages, ${size} MB in $dest"
  if (( size > 40 )); then
    echo "gpu-check: error: $dest is ${size} MB; a GPU call carries at most 64 MB with the checkout" >&2
    exit 1
  fi
}

if [[ ${1:-} == --download ]]; then
  download "${2:-.gpu-debs}"
  exit 0
fi

# ---- the check ---------------------------------------------------------------
debs=.gpu-debs
jobs=$(nproc)
while [[ $# -gt 1 ]]; do
  case $1 in
    --debs) debs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "gpu-check: unknown option '$1' (usage: scripts/gpu-check.sh [--debs DIR] [--jobs N] OUT)" >&2; exit 2 ;;
  esac
done
if [[ $# -ne 1 || $1 == -* ]]; then
  echo "usage: scripts/gpu-check.sh --download [DIR] | scripts/gpu-check.sh [--debs DIR] [--jobs N] OUT" >&2
  exit 2
fi
out=$(mkdir -p "$1" && cd "$1" && pwd)
log="$out/gpu-check.log"
: > "$log"
build=${RL_GPU_BUILD_DIR:-build-gpu}
prefix=${RL_GPU_DEPS_PREFIX:-/tmp/rl-gpu-deps}
steps_json=""
failed=0

say() { echo "$*" | tee -a "$log"; }

# step NAME COMMAND...: runs COMMAND with its output in the log, times it,
# and records its status; returns the command's status.
step() {
  local name=$1; shift
  say "== $name: $*"
  local start=$SECONDS status
  "$@" >> "$log" 2>&1
  status=$?
  local took=$((SECONDS - start))
  say "== $name: $( ((status == 0)) && echo ok || echo "FAILED (exit $status)") in ${took} s"
  steps_json+="${steps_json:+,}\"$name\":{\"status\":$status,\"seconds\":$took}"
  ((status == 0)) || failed=1
  return $status
}

facts() {
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  echo "glibc: $(ldd --version 2>/dev/null | head -1)"
  echo "cores: $(nproc), memory: $(free -g 2>/dev/null | awk '/Mem:/{print $2 " GiB"}')"
  echo "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -4)"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -1)"
  echo "tools: $(cmake --version | head -1), ninja $(ninja --version), $(c++ --version | head -1), dpkg: $(command -v dpkg || echo none)"
  env -u LD_LIBRARY_PATH python3 - <<'PY' || echo "torch: python3 cannot import it"
import torch
print("torch:", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      "devices", torch.cuda.device_count())
print("torch cmake:", torch.utils.cmake_prefix_path)
PY
  echo "libtorch for the build: ${torch_cmake:-none}"
}

unpack() {
  [[ -d "$debs" ]] || { echo "no package folder '$debs' (made by scripts/gpu-check.sh --download)"; return 1; }
  rm -rf "$prefix" && mkdir -p "$prefix"
  local deb
  for deb in "$debs"/*.deb; do
    if command -v dpkg-deb > /dev/null; then
      dpkg-deb -x "$deb" "$prefix" || return 1
    else  # a .deb is an ar archive holding data.tar.{xz,zst,gz}
      local member
      member=$(ar t "$deb" | grep '^data\.tar') || return 1
      case $member in
        *.xz) ar p "$deb" "$member" | tar -xJ -C "$prefix" ;;
        *.zst) ar p "$deb" "$member" | zstd -dc | tar -x -C "$prefix" ;;
        *.gz) ar p "$deb" "$member" | tar -xz -C "$prefix" ;;
      esac || return 1
    fi
  done
  echo "unpacked $(ls "$debs"/*.deb | wc -l) packages into $prefix"
}

# A rehearsal of this script on a machine without a GPU: RL_TORCH_CMAKE_PREFIX
# names libtorch's CMake folder where python3 cannot import torch, and
# RL_GPU_CHECK_DEVICES=cpu benchmarks the CPU alone.
torch_cmake=${RL_TORCH_CMAKE_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)}
multiarch=x86_64-linux-gnu
libdir="$prefix/usr/lib/$multiarch"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PKG_CONFIG_LIBDIR="$libdir/pkgconfig:$prefix/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$prefix"
# The sole system the build may take a dependency from, besides the prefix,
# is the GPU machine's own toolchain, CUDA and PyTorch.
configure() {
  [[ -n "$torch_cmake" ]] || { echo "python3 cannot import torch: no libtorch to build against"; return 1; }
  # A build left by an earlier call is reused (a rerun compiles what changed).
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DRL_MUJOCO_RENDER=OFF -DRL_OPENBLAS=OFF \
    -DCMAKE_PREFIX_PATH="$torch_cmake;$prefix/usr;$libdir/cmake;$prefix/usr/share/cmake" \
    -DCMAKE_LIBRARY_PATH="$libdir" -DCMAKE_INCLUDE_PATH="$prefix/usr/include" \
    -DPKG_CONFIG_EXECUTABLE="$prefix/usr/bin/pkgconf" \
    -DProtobuf_PROTOC_EXECUTABLE="$prefix/usr/bin/protoc" \
    -DCMAKE_BUILD_RPATH="$libdir"
}

build_targets() {
  cmake --build "$build" --parallel "$jobs" -- \
    train_impala rl_eval rl_actor rl_bench_gpu gpu_update_test gpu_training_test
}

gpu_tests() {
  (cd "$build" && ctest -L gpu --output-on-failure --timeout 600) | tee "$out/ctest-gpu.txt"
  local status=${PIPESTATUS[0]}
  # On a GPU machine a skipped test is a failure (but the NCCL group's,
  # which needs two GPUs): it means the build or the tests did not see it.
  if nvidia-smi -L > /dev/null 2>&1; then
    local gpus
    gpus=$(nvidia-smi -L | wc -l)
    if grep -E '\*\*\*Skipped' "$out/ctest-gpu.txt" | grep -v "gpu_nccl_group_stays_equal" ||
       { ((gpus >= 2)) && grep -q 'gpu_nccl_group_stays_equal.*Skipped' "$out/ctest-gpu.txt"; }; then
      echo "gpu-check: tests were skipped on a machine with $gpus GPU(s)"
      return 1
    fi
  fi
  return "$status"
}

benchmark() {
  local gpu_name
  gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  "$build/bin/rl_bench_gpu" --devices "${RL_GPU_CHECK_DEVICES:-cpu,cuda}" --models nature_cnn,impala_cnn_lstm --seconds 8 \
    --gpu-name "$gpu_name" --json > "$out/bench.json" && cat "$out/bench.json"
}

total_start=$SECONDS
step facts facts
step unpack unpack
step configure configure && step build build_targets && {
  step gpu_tests gpu_tests
  step benchmark benchmark
}

# One JSON of what ran: each step's status and time, the tests' results
# (ctest's lines), the benchmark's figures.
tests_json=$(awk '/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: /{
    name = $4; result = $5; gsub(/[.*]/, "", result); if (result == "") result = $6; gsub(/[.*]/, "", result)
    seconds = "null"; for (i = 5; i < NF; i++) if ($(i + 1) == "sec") seconds = $i
    printf "%s\"%s\":{\"result\":\"%s\",\"seconds\":%s}", (n++ ? "," : ""), name, result, seconds
  }' "$log")
bench_json=$(cat "$out/bench.json" 2>/dev/null || true)
cat > "$out/gpu-check.json" <<EOF
{"passed":$((failed == 0 ? 1 : 0)),"seconds":$((SECONDS - total_start)),"steps":{$steps_json},
 "tests":{$tests_json},
 "benchmark":${bench_json:-null}}
EOF
say "gpu-check: $( ((failed == 0)) && echo passed || echo FAILED) in $((SECONDS - total_start)) s; $out/gpu-check.json"
grep -E "tests passed|Skipped|Failed|\\*\\*\\*" "$log" | tail -12
exit $failed
