// Hosts as network namespaces, for the multi-host tests: a bridge and one
// namespace per host, each with its own loopback and an eth0 on the bridge
// (10.A.B.h/24, A.B from this test process's pid so that tests running in
// parallel do not meet). Traffic goes only between these namespaces. The
// destructor kills every process started in a host and removes the
// namespaces and the bridge, whether the test passed or not; a lab left by
// a killed test process is removed by the next one (names carry the pid).
//
// Needs root and iproute2; available() says why not otherwise, so that a
// test can skip with the reason instead of failing.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/util/processes.h"

namespace rl::testing {

class NetnsLab {
 public:
  explicit NetnsLab(int hosts) : hosts_(hosts) {
    const int id = static_cast<int>(::getpid());
    tag_ = "rl" + std::to_string(id);
    subnet_ = "10." + std::to_string(100 + id / 256 % 150) + "." + std::to_string(id % 256);
    for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
      if (std::filesystem::exists(path)) {
        ip_ = path;
        break;
      }
    }
    if (::geteuid() != 0) {
      why_not_ = "needs root (network namespaces)";
      return;
    }
    if (ip_.empty()) {
      why_not_ = "needs iproute2 (ip)";
      return;
    }
    remove_stale_labs();
    bool ok = sh("ip link add " + bridge() + " type bridge") && sh("ip addr add " + subnet_ + ".254/24 dev " + bridge()) &&
              sh("ip link set " + bridge() + " up");
    // A Docker daemon's bridge netfilter would drop bridged traffic.
    sh("sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true");
    for (int h = 1; ok && h <= hosts; ++h) {
      ok = sh("ip netns add " + ns(h)) && sh("ip link add " + veth(h) + " type veth peer name eth0 netns " + ns(h)) &&
           sh("ip link set " + veth(h) + " master " + bridge() + " up") &&
           sh("ip -n " + ns(h) + " addr add " + address(h) + "/24 dev eth0") &&
           sh("ip -n " + ns(h) + " link set eth0 up") && sh("ip -n " + ns(h) + " link set lo up");
    }
    if (!ok) why_not_ = "could not make the namespaces (see the commands above)";
  }

  ~NetnsLab() {
    for (auto& child : children_) {
      if (child) ::kill(child->pid(), SIGKILL);
    }
    children_.clear();  // reaps them
    // Anything else still running in a host (a grandchild): killed too.
    for (int h = 1; h <= hosts_; ++h) sh("ip netns pids " + ns(h) + " 2>/dev/null | xargs -r kill -9");
    for (int h = 1; h <= hosts_; ++h) sh("ip netns del " + ns(h) + " 2>/dev/null");
    sh("ip link del " + bridge() + " 2>/dev/null");
  }

  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  bool available() const { return why_not_.empty(); }
  const std::string& why_not() const { return why_not_; }

  std::string ns(int host) const { return tag_ + "h" + std::to_string(host); }
  std::string address(int host) const { return subnet_ + "." + std::to_string(host); }
  std::string veth(int host) const { return tag_ + "v" + std::to_string(host); }
  std::string bridge() const { return tag_ + "br"; }

  // Starts `program args...` on `host`; the lab kills it at the end. The
  // returned Child stays owned by the lab.
  Child& run(int host, const std::string& program, const std::vector<std::string>& args,
             const std::vector<std::string>& env = {}) {
    std::vector<std::string> all{"netns", "exec", ns(host), "env"};
    all.insert(all.end(), env.begin(), env.end());
    all.push_back(program);
    all.insert(all.end(), args.begin(), args.end());
    children_.push_back(std::make_unique<Child>(ip_, all));
    return *children_.back();
  }

  // Cuts a host off the bridge (its connections time out), and heals it.
  bool link_down(int host) { return sh("ip link set " + veth(host) + " down"); }
  bool link_up(int host) { return sh("ip link set " + veth(host) + " up"); }
  // Caps a host's bandwidth, both ways (tbf; netem is not in every kernel).
  bool limit_rate(int host, const std::string& rate) {
    return sh("tc qdisc add dev " + veth(host) + " root tbf rate " + rate + " burst 64kb latency 400ms") &&
           sh("ip netns exec " + ns(host) + " tc qdisc add dev eth0 root tbf rate " + rate +
              " burst 64kb latency 400ms");
  }
  // Bytes a host's eth0 sent and received so far.
  uint64_t tx_bytes(int host) const { return counter(host, "tx_bytes"); }
  uint64_t rx_bytes(int host) const { return counter(host, "rx_bytes"); }

 private:
  static bool sh(const std::string& command) { return std::system(command.c_str()) == 0; }

  uint64_t counter(int host, const std::string& name) const {
    const std::string command = "ip netns exec " + ns(host) + " cat /sys/class/net/eth0/statistics/" + name;
    FILE* pipe = ::popen(command.c_str(), "r");
    unsigned long long value = 0;
    if (pipe) {
      if (std::fscanf(pipe, "%llu", &value) != 1) value = 0;
      ::pclose(pipe);
    }
    return value;
  }

  // Namespaces and bridges of labs whose test process is gone.
  static void remove_stale_labs() {
    sh("for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^rl[0-9]+h[0-9]+$'); do "
       "  p=${n#rl}; p=${p%h*}; [ -d /proc/$p ] || { ip netns pids $n | xargs -r kill -9; ip netns del $n; }; "
       "done; "
       "for b in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^rl[0-9]+br$'); do "
       "  p=${b#rl}; p=${p%br}; [ -d /proc/$p ] || ip link del $b; "
       "done");
  }

  int hosts_;
  std::string tag_, subnet_, why_not_, ip_;
  std::vector<std::unique_ptr<Child>> children_;
};

}  // namespace rl::testing
