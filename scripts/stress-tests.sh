#!/usr/bin/env bash
# Runs the whole test suite N times, two tests at a time as CI does, while a
# CPU hog keeps one core busy beside it, and reports for every test how many
# runs failed and its slowest time (docs/testing.md). A test that fails one
# run in ten here would fail CI now and then: this is how to find it first.
#
#   scripts/stress-tests.sh [N=10] [ctest -R regex]
#
# Environment: RL_BUILD_DIR (build), HOGS (1: busy processes beside ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
filter=${2:-}
build=${RL_BUILD_DIR:-build}
hogs=${HOGS:-1}
out=$(mktemp -d -t rl-stress.XXXXXX)
[[ -f "$build/CTestTestfile.cmake" ]] || { echo "stress-tests: build first (scripts/build.sh)" >&2; exit 2; }

hog_pids=()
stop_hogs() { [[ ${#hog_pids[@]} -gt 0 ]] && kill "${hog_pids[@]}" 2> /dev/null; return 0; }
trap 'stop_hogs; rm -rf "$out"' EXIT
for _ in $(seq 1 "$hogs"); do
  # A plain busy loop: competes for a core like another job on the machine.
  bash -c 'while :; do :; done' &
  hog_pids+=($!)
done

args=(--test-dir "$build" --parallel 2 --timeout 900 --output-junit)
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if [[ -n "$filter" ]]; then
    ctest "${args[@]}" "$out/run-$i.xml" -R "$filter" > "$out/run-$i.log" 2>&1 || true
  else
    ctest "${args[@]}" "$out/run-$i.xml" > "$out/run-$i.log" 2>&1 || true
  fi
  echo "stress-tests: run $i of $runs: $(grep -E 'tests passed|tests failed' "$out/run-$i.log" | tail -1)," \
       "$(( $(date +%s) - start )) s"
  grep -E '^\s+[0-9]+ - ' "$out/run-$i.log" | sed 's/^/    failed: /' || true
  # The first lines of each failure's output, to find it again.
  cp "$out/run-$i.log" "${STRESS_LOG_DIR:-$out}/run-$i.log" 2> /dev/null || true
done
stop_hogs

python3 - "$out" "$runs" << 'PY'
import glob, sys
import xml.etree.ElementTree as ET
out, runs = sys.argv[1], int(sys.argv[2])
stats = {}
for path in sorted(glob.glob(f"{out}/run-*.xml")):
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name")
        s = stats.setdefault(name, {"runs": 0, "failed": 0, "slowest": 0.0})
        s["runs"] += 1
        status = case.get("status", "run")
        if case.find("failure") is not None or case.find("error") is not None or status == "fail":
            s["failed"] += 1
        s["slowest"] = max(s["slowest"], float(case.get("time", 0)))
print(f"\n| test | runs | failed | slowest (s) |")
print("|---|---|---|---|")
for name, s in sorted(stats.items(), key=lambda kv: (-kv[1]["failed"], -kv[1]["slowest"])):
    print(f"| {name} | {s['runs']} | {s['failed']} | {s['slowest']:.1f} |")
bad = sum(1 for s in stats.values() if s["failed"])
print(f"\nstress-tests: {runs} runs of {len(stats)} tests, {bad} test(s) failed at least once")
sys.exit(1 if bad else 0)
PY
