#!/usr/bin/env bash
# A real Slurm cluster of four hosts on this machine, and the project's own
# job script on it (ctest: slurm_test). Hosts are network namespaces with a
# bridge between them; munged and slurmctld run in the root namespace, one
# slurmd per host. The test submits scripts/slurm/train.sbatch unchanged but
# for its sizes (the #SBATCH lines): a learner group of two ranks on node1
# and node2, and host agents on node3 and node4 that know only node1. It
# checks that the job ended cleanly and that the run solved CartPole-v1;
# then that a second job, warned with SIGUSR1 as before a time limit,
# checkpoints, is requeued, resumes and finishes.
# Everything is torn down on exit, also when a step fails.
#
#   tests/cluster/slurm_test.sh BUILD_DIR SOURCE_DIR
#
# Needs root and Debian's slurmctld, slurmd, slurm-client and munge
# (scripts/install-deps.sh installs them); exits 77 (skipped) without them.
set -euo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)

skip() { echo "slurm_test: skipped: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, slurmd)"
for tool in slurmctld slurmd sbatch squeue scontrol munged nsenter unshare ip; do
  command -v "$tool" > /dev/null || skip "$tool is missing (scripts/install-deps.sh installs Slurm)"
done
[[ -f /etc/munge/munge.key ]] || skip "/etc/munge/munge.key is missing (the munge package makes it)"

work=$(mktemp -d -t rl-slurm.XXXXXX)
chmod 755 "$work"
export SLURM_CONF=$work/slurm.conf
tag=rs$$                              # names of this test's links and namespaces
net=10.$((60 + $$ / 256 % 40)).$(($$ % 256))
hosts=4

cleanup() {
  set +e
  for f in "$work"/slurmd-*.pid "$work"/slurmctld.pid "$work"/munge/munged.pid; do
    [[ -f "$f" ]] && kill "$(cat "$f")" 2> /dev/null
  done
  sleep 1
  for i in $(seq 1 $hosts); do
    ip netns pids "${tag}h$i" 2> /dev/null | xargs -r kill -9
    ip netns del "${tag}h$i" 2> /dev/null
  done
  ip link del "${tag}br" 2> /dev/null
  if [[ ${KEEP:-0} == 1 ]]; then echo "slurm_test: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- hosts: a bridge, one namespace per host, names in a hosts file
ip link add "${tag}br" type bridge
ip addr add "$net.254/24" dev "${tag}br"
ip link set "${tag}br" up
sysctl -qw net.bridge.bridge-nf-call-iptables=0 2> /dev/null || true
printf '127.0.0.1 localhost\n%s.254 %s\n' "$net" "$(hostname -s)" > "$work/hosts"
for i in $(seq 1 $hosts); do
  ip netns add "${tag}h$i"
  ip link add "${tag}v$i" type veth peer name eth0 netns "${tag}h$i"
  ip link set "${tag}v$i" master "${tag}br" up
  ip -n "${tag}h$i" addr add "$net.$i/24" dev eth0
  ip -n "${tag}h$i" link set eth0 up
  ip -n "${tag}h$i" link set lo up
  echo "$net.$i node$i" >> "$work/hosts"
done

# ---- munge, with its socket and key in the work folder
mkdir -p "$work"/{state,log,munge}
chown munge:munge "$work/munge"
chmod 755 "$work/munge"
install -o munge -g munge -m 600 /etc/munge/munge.key "$work/munge/munge.key"
runuser -u munge -- /usr/sbin/munged --socket="$work/munge/munge.sock" --key-file="$work/munge/munge.key" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed"

# ---- Slurm: the controller in the root namespace, one slurmd per host.
# Heterogeneous jobs are placed by the backfill scheduler only: scheduling
# every second, or they wait 30 s.
cat > "$SLURM_CONF" << EOF
ClusterName=rltest
SlurmctldHost=$(hostname -s)($net.254)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.sock
SlurmctldPort=$((17000 + $$ % 1000 * 2))
SlurmdPort=$((17001 + $$ % 1000 * 2))
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool/%n
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd-%n.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MailProg=/bin/true
ReturnToService=2
KillWait=5
MinJobAge=600
SlurmdParameters=config_overrides
SchedulerParameters=bf_interval=1,sched_interval=1
EOF
for i in $(seq 1 $hosts); do
  echo "NodeName=node$i NodeAddr=$net.$i CPUs=4 RealMemory=4000" >> "$SLURM_CONF"
  mkdir -p "$work/spool/node$i"
done
echo "PartitionName=test Nodes=node[1-$hosts] Default=YES MaxTime=INFINITE State=UP" >> "$SLURM_CONF"
slurmctld -i
for i in $(seq 1 $hosts); do
  # nsenter, not `ip netns exec` (which remounts /sys and hides the cgroup
  # tree from slurmd); its own /etc/hosts and host name in a mount and UTS
  # namespace of its own.
  nsenter --net="/run/netns/${tag}h$i" unshare --mount --uts sh -c \
    "mount --bind '$work/hosts' /etc/hosts && hostname node$i && exec slurmd -N node$i"
done
for _ in $(seq 1 120); do
  [[ "$(sinfo -h -o %T 2> /dev/null | sort -u)" == idle ]] && break
  sleep 0.25
done
sinfo -N -o '%N %T' | tr '\n' ' '
echo

# ---- the project's job script, its sizes made to fit these hosts
sed -e 's/^#SBATCH --nodes=2 --ntasks-per-node=1 --cpus-per-task=2 --mem=3G$/#SBATCH --nodes=2 --ntasks-per-node=1 --cpus-per-task=1 --mem=3G/' \
    -e 's/^#SBATCH --nodes=2 --ntasks-per-node=1 --cpus-per-task=4 --mem=3G$/#SBATCH --nodes=2 --ntasks-per-node=1 --cpus-per-task=2 --mem=3G/' \
    "$source_dir/scripts/slurm/train.sbatch" > "$work/train.sbatch"
diff "$source_dir/scripts/slurm/train.sbatch" "$work/train.sbatch" | grep '^[<>]' || true
cd "$work"
job=$(sbatch --parsable --time=10 \
  --export=ALL,ALGO=impala,ENV=CartPole-v1,TOTAL_STEPS=1000000,ACTORS_PER_NODE=2,RL_BIN="$build/bin",RUN_DIR="$work/run",EXTRA="--set run.log_every_seconds=5" \
  "$work/train.sbatch")
echo "slurm_test: job $job submitted"
for _ in $(seq 1 1200); do
  [[ -z "$(squeue -h -j "$job" 2> /dev/null)" ]] && break
  sleep 0.5
done
out=$(ls "$work"/rl-train-*.out 2> /dev/null | head -n1 || true)
echo "---- job output"
[[ -n "$out" ]] && cat "$out"
echo "----"
state=$(scontrol show job "$job" 2> /dev/null | grep -o 'JobState=[A-Z_]*' | head -n1 || true)
exits=$(scontrol show job "$job" 2> /dev/null | grep -o 'ExitCode=[0-9:]*' | sort -u | tr '\n' ' ' || true)
echo "slurm_test: $state $exits"

python3 - "$work/run" "$state" "$exits" << 'PY'
import json, os, sys
run, state, exits = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []
if "COMPLETED" not in state:
    failures.append(f"the job ended {state or 'in an unknown state'}, not COMPLETED")
if any(code != "ExitCode=0:0" for code in exits.split()):
    failures.append(f"exit codes {exits}")
summary_path = os.path.join(run, "summary.json")
if not os.path.exists(summary_path):
    failures.append(f"no {summary_path}")
else:
    s = json.load(open(summary_path))
    print(f"slurm_test: {s['learners']} learners, {s['total_env_steps']} env steps, "
          f"final evaluation {s.get('final_eval_mean_return')}")
    if s["learners"] != 2:
        failures.append(f"{s['learners']} learners, not 2")
    if s.get("final_eval_mean_return", 0) < 475:
        failures.append(f"final evaluation {s.get('final_eval_mean_return')} < 475")
if failures:
    print("slurm_test: FAILED: " + "; ".join(failures))
    sys.exit(1)
print("slurm_test: first job passed")
PY

# ---- a time limit's warning and a requeue: the same script, a longer run;
# SIGUSR1 to the job's steps (as --signal=USR1@180 sends it) once a
# checkpoint exists; the learners checkpoint and stop, the script requeues
# the job, and its second start resumes and finishes.
job=$(sbatch --parsable --time=10 \
  --export=ALL,ALGO=impala,ENV=CartPole-v1,TOTAL_STEPS=4000000,ACTORS_PER_NODE=2,RL_BIN="$build/bin",RUN_DIR="$work/requeued",EXTRA="--set run.log_every_seconds=5 --set run.checkpoint_every=200000" \
  "$work/train.sbatch")
echo "slurm_test: job $job submitted (to be requeued)"
for _ in $(seq 1 600); do
  [[ -e "$work/requeued/checkpoints/latest" ]] && break
  sleep 0.2
done
scancel --signal=USR1 "$job"
echo "slurm_test: SIGUSR1 sent to job $job"
# Slurm holds a requeued job back for a while before it is eligible again
# (about two minutes, for the old allocation to be cleaned up); the test
# makes it eligible once it is pending again and every node is idle (made
# eligible while the first start's nodes were still completing, its second
# start failed to launch).
hurried=""
for _ in $(seq 1 1200); do
  [[ -z "$(squeue -h -j "$job" 2> /dev/null)" ]] && break
  info=$(scontrol show job "$job" 2> /dev/null || true)
  busy=$(sinfo -h -N -o '%T' 2> /dev/null | grep -v -x idle || true)
  if [[ -z $hurried && -z $busy && $info == *JobState=PENDING* && $info =~ Restarts=[1-9] ]]; then
    sleep 2  # and settled
    echo "slurm_test: requeued job pending ($(grep -o 'EligibleTime=[^ ]*' <<< "$info")); making it eligible now"
    scontrol update JobId="$job" StartTime=now || true
    hurried=yes
  fi
  sleep 0.5
done
echo "---- job output (both starts)"
cat "$work/rl-train-$job.out" 2> /dev/null || true
echo "----"
state=$(scontrol show job "$job" 2> /dev/null | grep -o 'JobState=[A-Z_]*' | head -n1 || true)
restarts=$(scontrol show job "$job" 2> /dev/null | grep -o 'Restarts=[0-9]*' | head -n1 || true)
echo "slurm_test: $state $restarts"
python3 - "$work/requeued" "$state" "$restarts" "$work/rl-train-$job.out" << 'PY'
import json, os, sys
run, state, restarts, out = sys.argv[1:5]
text = open(out).read() if os.path.exists(out) else ""
failures = []
if "COMPLETED" not in state:
    failures.append(f"the requeued job ended {state or 'in an unknown state'}, not COMPLETED")
if restarts in ("", "Restarts=0"):
    failures.append(f"the job was not requeued ({restarts or 'no restart count'})")
if "requeueing job" not in text:
    failures.append("the script did not requeue after SIGUSR1")
if "--resume-if-any: a checkpoint is there, resuming" not in text:
    failures.append("the second start did not resume")
summary_path = os.path.join(run, "summary.json")
if not os.path.exists(summary_path):
    failures.append(f"no {summary_path}")
else:
    s = json.load(open(summary_path))
    print(f"slurm_test: requeued run: {s['total_env_steps']} env steps, interrupted {s['interrupted']}")
    if s["total_env_steps"] < 4000000 or s["interrupted"]:
        failures.append(f"the resumed run ended at {s['total_env_steps']} env steps, interrupted {s['interrupted']}")
if failures:
    print("slurm_test: FAILED: " + "; ".join(failures))
    sys.exit(1)
print("slurm_test: passed")
PY
