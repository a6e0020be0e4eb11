// A thin ZeroMQ socket (pimpl: zmq.hpp stays in socket.cc) that sends and
// receives multipart messages as vectors of byte strings.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rl/wire/curve.h"

namespace rl::wire {

using Frames = std::vector<std::string>;

// The patterns the runtime uses: PUSH/PULL (unrolls), DEALER/ROUTER
// (control, weights requests).
enum class SocketType { kPush, kPull, kDealer, kRouter };

class Socket {
 public:
  explicit Socket(SocketType type);
  ~Socket();
  Socket(Socket&&) noexcept;
  Socket& operator=(Socket&&) noexcept;

  // Binds and returns the endpoint actually bound: "tcp://127.0.0.1:0" (or
  // ":*") picks a free port, read back from the socket.
  std::string bind(const std::string& endpoint);
  void connect(const std::string& endpoint);

  // High-water marks: how many messages may queue before send blocks (or
  // receive stops reading from the network). Set before bind/connect.
  void set_send_hwm(int messages);
  void set_receive_hwm(int messages);
  void set_linger(int milliseconds);
  // The largest message part a peer may send (ZMQ_MAXMSGSIZE): a peer that
  // sends a bigger one is disconnected by the transport before anything is
  // buffered. Set before bind/connect.
  void set_max_message_bytes(int64_t bytes);
  void set_routing_id(const std::string& id);  // DEALER
  // TCP keepalive probes after `idle_seconds` of silence, so that a peer on a
  // host that vanished (a cut link) is noticed by the kernel.
  void set_tcp_keepalive(int idle_seconds);
  // CURVE (curve.h), before bind/connect: a server socket with the
  // learner's pair (clients checked by the process's CurveAuthenticator),
  // or a client knowing the server's public key.
  void set_curve_server(const CurveKeyPair& server);
  void set_curve_client(const std::string& server_public_key, const CurveKeyPair& client);

  // Sends all frames as one message. Waits up to timeout_ms (-1: forever)
  // for room under the high-water mark; false on timeout, nothing sent.
  bool send(Frames&& frames, int timeout_ms = -1);
  // The next message, or nullopt after timeout_ms (0: do not wait).
  std::optional<Frames> receive(int timeout_ms);

  void* native() const;  // zmq socket handle, for poll()
  // For event loops over many sockets (epoll): a descriptor that becomes
  // readable when the socket's state may have changed, and whether a
  // message can be received now (ZMQ_FD, ZMQ_EVENTS).
  int event_fd() const;
  bool has_message() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Waits until one of `sockets` has a message to read or timeout_ms passes;
// returns which are readable.
std::vector<bool> poll_readable(const std::vector<Socket*>& sockets, int timeout_ms);
// The same with plain file descriptors after the sockets (an eventfd that
// wakes the thread, wakeup.h): one flag per socket, then one per descriptor.
std::vector<bool> poll_readable(const std::vector<Socket*>& sockets, const std::vector<int>& fds, int timeout_ms);

// Whether something listens at "tcp://host:port": "" if a TCP connection
// opens within `timeout_seconds`, otherwise why not, for a person ("cannot
// resolve 'x'", "nothing listens at x:5555 (connection refused)", "no
// answer from x:5555 within 2 s (the host is down, or a firewall drops
// the connection)").
std::string probe_endpoint(const std::string& endpoint, double timeout_seconds);

// "tcp://host:port" -> "host" (for joining a host with the ports a learner
// reports); throws std::invalid_argument on another form.
std::string endpoint_host(const std::string& endpoint);
int endpoint_port(const std::string& endpoint);

}  // namespace rl::wire
