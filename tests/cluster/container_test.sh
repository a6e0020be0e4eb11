#!/usr/bin/env bash
# The project's container image, built with no registry (deploy/build-image.sh),
# running a learner and two actor containers on a user-defined Docker
# network to IMPALA CartPole-v1 (ctest: container_test). Uses the Docker
# daemon that runs, or starts one of its own that leaves the host's firewall
# alone (--iptables=false, no docker0) and stops it at the end, with
# everything the test made.
#
#   tests/cluster/container_test.sh BUILD_DIR SOURCE_DIR
#
# Needs root, docker.io and debootstrap (scripts/install-deps.sh installs
# them); exits 77 (skipped) without them.
set -euo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
skip() { echo "container_test: skipped: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root (a Docker daemon)"
command -v debootstrap > /dev/null || skip "debootstrap is missing (scripts/install-deps.sh installs it)"
docker=/usr/bin/docker
[[ -x $docker ]] || docker=$(command -v docker || true)
[[ -n "$docker" ]] || skip "docker is missing (scripts/install-deps.sh installs docker.io)"

work=$(mktemp -d -t rl-container.XXXXXX)
tag=rl$$
own_daemon=0
forward_before=$(cat /proc/sys/net/ipv4/ip_forward)
cleanup() {
  set +e
  $docker rm -f "$tag-learner" "$tag-actor1" "$tag-actor2" > /dev/null 2>&1
  $docker network rm "$tag" > /dev/null 2>&1
  if [[ $own_daemon == 1 ]]; then
    kill "$daemon" 2> /dev/null
    for _ in $(seq 1 100); do [[ -e /proc/$daemon ]] || break; sleep 0.1; done
    umount "$work/exec/netns/"* 2> /dev/null
    ip link del docker0 2> /dev/null
    echo "$forward_before" > /proc/sys/net/ipv4/ip_forward
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if ! $docker version > /dev/null 2>&1; then
  command -v dockerd > /dev/null || skip "no Docker daemon runs and dockerd is missing"
  own_daemon=1
  export DOCKER_HOST=unix://$work/docker.sock
  dockerd --iptables=false --ip6tables=false --bridge=none --exec-root "$work/exec" --pidfile "$work/dockerd.pid" \
    -H "$DOCKER_HOST" > "$work/dockerd.log" 2>&1 &
  daemon=$!
  for _ in $(seq 1 100); do $docker version > /dev/null 2>&1 && break; sleep 0.1; done
  $docker version > /dev/null 2>&1 || { tail -20 "$work/dockerd.log"; echo "container_test: dockerd did not start"; exit 1; }
fi

DOCKER=$docker "$source_dir/deploy/build-image.sh" "$build" rl:latest | tail -3

$docker network create "$tag" > /dev/null
mkdir -p "$work/runs"
$docker run -d --name "$tag-learner" --network "$tag" -v "$work/runs:/runs" rl:latest \
  train_impala --config /usr/local/share/rl/configs/impala/cartpole.yaml --role learner --actors 0 \
  --bind 'tcp://*:5555' --run-dir /runs/run --total-steps 1000000 --set runtime.min_actors=2 \
  --set run.log_every_seconds=1000 > /dev/null
for i in 1 2; do
  $docker run -d --name "$tag-actor$i" --network "$tag" rl:latest \
    train_impala --role actor --learner "tcp://$tag-learner:5555" --reconnect-seconds 60 > /dev/null
done
status=$(timeout 300 $docker wait "$tag-learner" || echo timeout)
echo "---- learner"
$docker logs "$tag-learner" 2>&1 | grep -v '^ \|^#\|^[a-z_]*:$' | tail -12
echo "----"
actor_status=$(timeout 60 $docker wait "$tag-actor1" "$tag-actor2" | tr '\n' ' ' || echo timeout)
python3 - "$work/runs/run/summary.json" "$status" "$actor_status" << 'PY'
import json, os, sys
path, status, actors = sys.argv[1], sys.argv[2].strip(), sys.argv[3].split()
failures = []
if status != "0":
    failures.append(f"the learner container exited with {status}")
if actors != ["0", "0"]:
    failures.append(f"the actor containers exited with {' '.join(actors)}")
if not os.path.exists(path):
    failures.append("no summary.json")
else:
    s = json.load(open(path))
    print(f"container_test: {s['total_env_steps']} env steps, {s['env_steps_per_second']:.0f} env steps/s, "
          f"final evaluation {s.get('final_eval_mean_return')}")
    if s.get("final_eval_mean_return", 0) < 475:
        failures.append(f"final evaluation {s.get('final_eval_mean_return')} < 475")
if failures:
    print("container_test: FAILED: " + "; ".join(failures))
    sys.exit(1)
print("container_test: passed")
PY
