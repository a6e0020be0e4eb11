// ZeroMQ CURVE for multi-host runs: the learner's sockets are CURVE servers
// with the learner's key pair, every actor socket is a CURVE client with
// its own pair, and a ZAP handler in the learner's process lets in only the
// public keys listed as authorized. An actor without an authorized key
// cannot even complete the handshake: it can neither submit unrolls nor
// read weights. Keys are Z85 text (40 characters), written by rl_keygen.
//
// Key files:   "public <z85>\nsecret <z85>\n"  (NAME.key, mode 0600)
//              "public <z85>\n"                 (NAME.pub, to hand out)
// Authorized:  one public key per line ("public <z85>" or bare <z85>),
//              '#' comments: the actors' .pub files put together.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

namespace rl::wire {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters; empty for a public key alone
};

// A fresh key pair from libzmq (libsodium's randomness).
CurveKeyPair generate_curve_keypair();

// Writes NAME.key (0600) and NAME.pub under `dir`; refuses to overwrite.
void write_curve_keys(const std::filesystem::path& dir, const std::string& name, const CurveKeyPair& keys);

// Reads a .key or .pub file; std::runtime_error naming the file and line
// when it is missing or malformed. `need_secret`: a .pub file is an error.
CurveKeyPair read_curve_key_file(const std::filesystem::path& path, bool need_secret);

// The public keys of an authorized-keys file (at least one).
std::set<std::string> read_authorized_keys(const std::filesystem::path& path);

// True for a Z85 string that decodes to a 32-byte key.
bool is_curve_key(const std::string& z85);

// The ZAP handler of this process: answers libzmq's authentication requests
// for CURVE server sockets, accepting only `authorized` client keys. Start
// it before binding a CURVE server socket; one per process at a time.
class CurveAuthenticator {
 public:
  explicit CurveAuthenticator(std::set<std::string> authorized_public_keys);
  ~CurveAuthenticator();
  CurveAuthenticator(const CurveAuthenticator&) = delete;
  CurveAuthenticator& operator=(const CurveAuthenticator&) = delete;

  int64_t accepted() const;
  int64_t refused() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// True when `host` (of tcp://host:port) is only reachable from this
// machine: 127.x.x.x, localhost, ::1.
bool is_loopback_host(const std::string& host);

}  // namespace rl::wire
