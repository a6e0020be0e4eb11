#!/usr/bin/env bash
# libFuzzer on the wire decoder and validator (tests/fuzz/wire_fuzz.cc) for a
# bounded time, with AddressSanitizer and UndefinedBehaviorSanitizer:
#   bench/fuzz_wire.sh [SECONDS=60]
# Builds with clang into build-fuzz/ (FUZZ_OUT: another folder) (installs clang and libFuzzer from
# Debian when missing), fuzzes a copy of tests/fuzz/corpus/wire, and exits
# non-zero with the crashing input in build-fuzz/ when one is found. New
# interesting inputs stay in build-fuzz/corpus: merge them into the
# committed corpus on purpose (-merge=1), not by accident.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=${FUZZ_OUT:-build-fuzz}

if ! command -v clang++ > /dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a > /dev/null 2>&1; then
  sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi

mkdir -p "$out/corpus"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DRL_LIBFUZZER -DMSGPACK_NO_BOOST -I. \
  tests/fuzz/wire_fuzz.cc rl/wire/wire_message.cc rl/wire/messages.cc rl/data/unroll.cc \
  -o "$out/wire_fuzz"
cp -n tests/fuzz/corpus/wire/* "$out/corpus/"
echo "fuzzing the wire decoder for ${seconds} s ($(nproc) cores here, one fuzzing process)"
"$out/wire_fuzz" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$out/" "$out/corpus" 2>&1 | tee "$out/fuzz.log" | grep -E "^#[0-9]+\s+(INITED|DONE)|stat::|ERROR|SUMMARY|wire_fuzz:" | tail -25
status=${PIPESTATUS[0]}
echo "corpus now: $(ls "$out/corpus" | wc -l) inputs; log: $out/fuzz.log"
exit "$status"
