#include "rl/wire/curve.h"

#include <sys/stat.h>
#include <zmq.hpp>

#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "rl/wire/socket.h"

namespace rl::wire {

namespace fs = std::filesystem;

zmq::context_t& zmq_context();  // socket.cc: the process's one context

CurveKeyPair generate_curve_keypair() {
  std::array<char, 41> public_key{}, secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
    throw std::runtime_error(std::string("zmq_curve_keypair failed (libzmq built without CURVE?): ") +
                             zmq_strerror(zmq_errno()));
  }
  return {public_key.data(), secret_key.data()};
}

bool is_curve_key(const std::string& z85) {
  if (z85.size() != 40) return false;
  std::array<uint8_t, 32> bytes{};
  return zmq_z85_decode(bytes.data(), z85.c_str()) != nullptr;
}

void write_curve_keys(const fs::path& dir, const std::string& name, const CurveKeyPair& keys) {
  fs::create_directories(dir);
  const fs::path secret = dir / (name + ".key"), pub = dir / (name + ".pub");
  for (const auto& path : {secret, pub}) {
    if (fs::exists(path)) throw std::runtime_error(path.string() + " exists; not overwriting a key");
  }
  {
    // Created 0600 before anything is written into it.
    const mode_t old = ::umask(077);
    std::ofstream out(secret);
    ::umask(old);
    out << "public " << keys.public_key << "\nsecret " << keys.secret_key << "\n";
    if (!out) throw std::runtime_error("cannot write " + secret.string());
  }
  fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
  std::ofstream out(pub);
  out << "public " << keys.public_key << "\n";
  if (!out) throw std::runtime_error("cannot write " + pub.string());
}

CurveKeyPair read_curve_key_file(const fs::path& path, bool need_secret) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("CURVE key file " + path.string() + " cannot be read");
  CurveKeyPair keys;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string kind, key;
    fields >> kind >> key;
    if ((kind != "public" && kind != "secret") || !is_curve_key(key)) {
      throw std::runtime_error("CURVE key file " + path.string() + " line " + std::to_string(number) +
                               ": expected 'public <40 Z85 characters>' or 'secret <...>'");
    }
    (kind == "public" ? keys.public_key : keys.secret_key) = key;
  }
  if (keys.public_key.empty()) throw std::runtime_error("CURVE key file " + path.string() + " has no public key");
  if (need_secret && keys.secret_key.empty()) {
    throw std::runtime_error("CURVE key file " + path.string() +
                             " has no secret key (a .pub file where a .key file is needed?)");
  }
  return keys;
}

std::set<std::string> read_authorized_keys(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("authorized keys file " + path.string() + " cannot be read");
  std::set<std::string> keys;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream fields(line);
    std::string first, second;
    fields >> first >> second;
    if (first.empty() || first[0] == '#') continue;
    const std::string& key = first == "public" ? second : first;
    if (!is_curve_key(key)) {
      throw std::runtime_error("authorized keys file " + path.string() + " line " + std::to_string(number) +
                               ": not a CURVE public key");
    }
    keys.insert(key);
  }
  if (keys.empty()) throw std::runtime_error("authorized keys file " + path.string() + " lists no key");
  return keys;
}

bool is_loopback_host(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "::1" || host == "[::1]";
}

// ZAP (ZeroMQ RFC 27): libzmq sends each CURVE handshake's client key to
// inproc://zeromq.zap.01 and waits for "200" (in) or "400" (out).
struct CurveAuthenticator::State {
  std::set<std::string> authorized;
  zmq::socket_t handler{zmq_context(), zmq::socket_type::rep};
  zmq::socket_t control{zmq_context(), zmq::socket_type::pair};  // tells the thread to stop
  std::atomic<int64_t> accepted{0}, refused{0};
  std::thread thread;

  void serve(zmq::socket_t& stop) {
    while (true) {
      zmq::pollitem_t items[] = {{handler.handle(), 0, ZMQ_POLLIN, 0}, {stop.handle(), 0, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 2, std::chrono::milliseconds(-1));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        return;  // context terminated
      }
      if (items[1].revents & ZMQ_POLLIN) return;
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> request;
      zmq::message_t part;
      do {
        if (!handler.recv(part, zmq::recv_flags::none)) break;
        request.emplace_back(std::move(part));
        part = zmq::message_t();
      } while (request.back().more());
      // version, request id, domain, address, identity, mechanism, credentials...
      bool ok = false;
      if (request.size() >= 7 && request[5].to_string() == "CURVE" && request[6].size() == 32) {
        std::array<char, 41> z85{};
        zmq_z85_encode(z85.data(), static_cast<const uint8_t*>(request[6].data()), 32);
        ok = authorized.count(z85.data()) > 0;
      }
      (ok ? accepted : refused).fetch_add(1);
      const std::string request_id = request.size() > 1 ? request[1].to_string() : std::string();
      const std::string replies[] = {"1.0", request_id, ok ? "200" : "400", ok ? "OK" : "key not authorized", "", ""};
      for (size_t i = 0; i < 6; ++i) {
        handler.send(zmq::buffer(replies[i]), i + 1 < 6 ? zmq::send_flags::sndmore : zmq::send_flags::none);
      }
    }
  }
};

CurveAuthenticator::CurveAuthenticator(std::set<std::string> authorized_public_keys)
    : state_(std::make_unique<State>()) {
  for (const auto& key : authorized_public_keys) {
    if (!is_curve_key(key)) throw std::invalid_argument("not a CURVE public key: '" + key + "'");
  }
  state_->authorized = std::move(authorized_public_keys);
  state_->handler.set(zmq::sockopt::linger, 0);
  try {
    state_->handler.bind("inproc://zeromq.zap.01");
  } catch (const zmq::error_t& e) {
    throw std::runtime_error(std::string("cannot start the CURVE authenticator (another one running?): ") + e.what());
  }
  const std::string stop_endpoint = "inproc://rl-zap-stop-" + std::to_string(reinterpret_cast<uintptr_t>(this));
  state_->control.set(zmq::sockopt::linger, 0);
  state_->control.bind(stop_endpoint);
  auto stop = std::make_shared<zmq::socket_t>(zmq_context(), zmq::socket_type::pair);
  stop->set(zmq::sockopt::linger, 0);
  stop->connect(stop_endpoint);
  State* state = state_.get();
  state_->thread = std::thread([state, stop] { state->serve(*stop); });
}

CurveAuthenticator::~CurveAuthenticator() {
  state_->control.send(zmq::str_buffer("stop"), zmq::send_flags::dontwait);
  if (state_->thread.joinable()) state_->thread.join();
}

int64_t CurveAuthenticator::accepted() const { return state_->accepted.load(); }
int64_t CurveAuthenticator::refused() const { return state_->refused.load(); }

}  // namespace rl::wire
