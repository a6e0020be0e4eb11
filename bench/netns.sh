# Hosts as network namespaces for the benchmarks (source it): a bridge and
# one namespace per host, 10.250.N.h on eth0, removed by netns_down (call it
# from an EXIT trap). Needs root and iproute2.
#   netns_up HOSTS; netns_exec H COMMAND...; netns_bytes H tx|rx; netns_rate H RATE; netns_down
NETNS_TAG=${NETNS_TAG:-rb$$}
NETNS_NET=${NETNS_NET:-10.250.$(($$ % 250))}
NETNS_HOSTS=0

netns_up() {
  NETNS_HOSTS=$1
  ip link add "${NETNS_TAG}br" type bridge
  ip addr add "$NETNS_NET.254/24" dev "${NETNS_TAG}br"
  ip link set "${NETNS_TAG}br" up
  sysctl -qw net.bridge.bridge-nf-call-iptables=0 2> /dev/null || true
  local h
  for h in $(seq 1 "$NETNS_HOSTS"); do
    ip netns add "${NETNS_TAG}h$h"
    ip link add "${NETNS_TAG}v$h" type veth peer name eth0 netns "${NETNS_TAG}h$h"
    ip link set "${NETNS_TAG}v$h" master "${NETNS_TAG}br" up
    ip -n "${NETNS_TAG}h$h" addr add "$NETNS_NET.$h/24" dev eth0
    ip -n "${NETNS_TAG}h$h" link set eth0 up
    ip -n "${NETNS_TAG}h$h" link set lo up
  done
}

netns_address() { echo "$NETNS_NET.$1"; }
netns_exec() { local h=$1; shift; ip netns exec "${NETNS_TAG}h$h" "$@"; }
netns_bytes() { ip netns exec "${NETNS_TAG}h$1" cat "/sys/class/net/eth0/statistics/$2_bytes"; }
# A host's bandwidth both ways (tbf: netem is not in every kernel).
netns_rate() {
  tc qdisc add dev "${NETNS_TAG}v$1" root tbf rate "$2" burst 64kb latency 400ms
  ip netns exec "${NETNS_TAG}h$1" tc qdisc add dev eth0 root tbf rate "$2" burst 64kb latency 400ms
}

netns_down() {
  local h
  for h in $(seq 1 "$NETNS_HOSTS"); do
    ip netns pids "${NETNS_TAG}h$h" 2> /dev/null | xargs -r kill -9
    ip netns del "${NETNS_TAG}h$h" 2> /dev/null
  done
  ip link del "${NETNS_TAG}br" 2> /dev/null
  return 0
}
