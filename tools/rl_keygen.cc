// rl_keygen: writes ZeroMQ CURVE key pairs for multi-host runs
// (docs/cluster.md).
//
//   rl_keygen --out keys --name learner            # keys/learner.key (0600), keys/learner.pub
//   rl_keygen --out keys --name actor-host1        # one per actor host
//   cat keys/actor-*.pub > keys/authorized         # the learner's allow list
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "rl/runtime/cli.h"
#include "rl/wire/curve.h"

int main(int argc, char** argv) {
  CLI::App app{"rl_keygen: write a CURVE key pair (NAME.key, secret, mode 0600; NAME.pub, public)"};
  std::string out = ".";
  std::string name;
  app.add_option("--out", out, "Directory to write into (created if missing)");
  app.add_option("--name", name, "Base name of the two files, e.g. learner or actor-host1")->required();
  rl::cli::add_version(app, "rl_keygen", [] { return std::string("no compute path (writes keys)"); });
  if (auto code = rl::cli::parse(app, argc, argv, "rl_keygen")) return *code;
  if (name.empty() || name.find('/') != std::string::npos) {
    rl::cli::report_error("rl_keygen", "--name must be a plain file name, got '" + name + "'");
    return rl::cli::kUsage;
  }
  try {
    const rl::wire::CurveKeyPair keys = rl::wire::generate_curve_keypair();
    rl::wire::write_curve_keys(out, name, keys);
    std::printf("wrote %s/%s.key (secret, keep it on this host) and %s/%s.pub\npublic key %s\n", out.c_str(),
                name.c_str(), out.c_str(), name.c_str(), keys.public_key.c_str());
    return 0;
  } catch (const std::exception& e) {
    rl::cli::report_error("rl_keygen", e.what());
    return rl::cli::kUsage;
  }
}
