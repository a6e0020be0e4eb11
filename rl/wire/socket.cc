#include "rl/wire/socket.h"

#include <zmq.hpp>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace rl::wire {
namespace {

// zmq_poll is interrupted by signals (EINTR): count that as "nothing ready",
// so that the caller's loop sees its stop flag.
int poll_items(zmq::pollitem_t* items, size_t count, int timeout_ms) {
  try {
    return zmq::poll(items, count, std::chrono::milliseconds(timeout_ms));
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) {
      for (size_t i = 0; i < count; ++i) items[i].revents = 0;
      return 0;
    }
    throw;
  }
}

}  // namespace

// The process's one ZeroMQ context (inproc endpoints, the ZAP handler of
// curve.cc, live in it).
zmq::context_t& zmq_context() {
  static zmq::context_t ctx(1);
  return ctx;
}

namespace {

zmq::context_t& context() { return zmq_context(); }

zmq::socket_type to_zmq(SocketType type) {
  switch (type) {
    case SocketType::kPush: return zmq::socket_type::push;
    case SocketType::kPull: return zmq::socket_type::pull;
    case SocketType::kDealer: return zmq::socket_type::dealer;
    case SocketType::kRouter: return zmq::socket_type::router;
  }
  throw std::invalid_argument("unknown socket type");
}

}  // namespace

struct Socket::Impl {
  explicit Impl(SocketType type) : socket(context(), to_zmq(type)) {}
  zmq::socket_t socket;
};

Socket::Socket(SocketType type) : impl_(std::make_unique<Impl>(type)) {
  impl_->socket.set(zmq::sockopt::linger, 0);
}
Socket::~Socket() = default;
Socket::Socket(Socket&&) noexcept = default;
Socket& Socket::operator=(Socket&&) noexcept = default;

std::string Socket::bind(const std::string& endpoint) {
  std::string resolved = endpoint;
  if (resolved.size() > 2 && resolved.compare(resolved.size() - 2, 2, ":0") == 0) {
    resolved.replace(resolved.size() - 1, 1, "*");
  }
  try {
    impl_->socket.bind(resolved);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("cannot bind " + endpoint + ": " + e.what());
  }
  return impl_->socket.get(zmq::sockopt::last_endpoint);
}

void Socket::connect(const std::string& endpoint) {
  try {
    impl_->socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("cannot connect to " + endpoint + ": " + e.what());
  }
}

void Socket::set_send_hwm(int messages) { impl_->socket.set(zmq::sockopt::sndhwm, messages); }
void Socket::set_receive_hwm(int messages) { impl_->socket.set(zmq::sockopt::rcvhwm, messages); }
void Socket::set_linger(int milliseconds) { impl_->socket.set(zmq::sockopt::linger, milliseconds); }
void Socket::set_max_message_bytes(int64_t bytes) { impl_->socket.set(zmq::sockopt::maxmsgsize, bytes); }
void Socket::set_routing_id(const std::string& id) { impl_->socket.set(zmq::sockopt::routing_id, id); }
void Socket::set_tcp_keepalive(int idle_seconds) {
  impl_->socket.set(zmq::sockopt::tcp_keepalive, 1);
  impl_->socket.set(zmq::sockopt::tcp_keepalive_idle, idle_seconds);
  impl_->socket.set(zmq::sockopt::tcp_keepalive_intvl, std::max(1, idle_seconds / 3));
}

void Socket::set_curve_server(const CurveKeyPair& server) {
  impl_->socket.set(zmq::sockopt::curve_server, 1);
  impl_->socket.set(zmq::sockopt::curve_secretkey, server.secret_key);
  // Clients are checked by the ZAP handler (CurveAuthenticator), which
  // libzmq requires to be present once a domain is set.
  impl_->socket.set(zmq::sockopt::zap_domain, "rl");
}

void Socket::set_curve_client(const std::string& server_public_key, const CurveKeyPair& client) {
  impl_->socket.set(zmq::sockopt::curve_serverkey, server_public_key);
  impl_->socket.set(zmq::sockopt::curve_publickey, client.public_key);
  impl_->socket.set(zmq::sockopt::curve_secretkey, client.secret_key);
}

void* Socket::native() const { return impl_->socket.handle(); }

int Socket::event_fd() const { return impl_->socket.get(zmq::sockopt::fd); }

bool Socket::has_message() const { return (impl_->socket.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0; }

bool Socket::send(Frames&& frames, int timeout_ms) {
  if (frames.empty()) return true;
  if (timeout_ms != 0) {
    zmq::pollitem_t item{impl_->socket.handle(), 0, ZMQ_POLLOUT, 0};
    poll_items(&item, 1, timeout_ms);
    if (!(item.revents & ZMQ_POLLOUT)) return false;
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    // The frame's bytes move to ZeroMQ without a copy: it frees them.
    auto* owned = new std::string(std::move(frames[i]));
    zmq::message_t message(
        owned->data(), owned->size(), [](void*, void* hint) { delete static_cast<std::string*>(hint); },
        owned);
    const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                             : zmq::send_flags::dontwait;
    // After the first frame the rest of a multipart message is always accepted.
    if (!impl_->socket.send(message, flags)) {
      if (i == 0) {
        frames[0] = std::move(*owned);  // untouched for the caller's retry
        return false;
      }
      throw std::runtime_error("ZeroMQ refused a frame in the middle of a message");
    }
  }
  return true;
}

std::optional<Frames> Socket::receive(int timeout_ms) {
  if (timeout_ms != 0) {
    zmq::pollitem_t item{impl_->socket.handle(), 0, ZMQ_POLLIN, 0};
    poll_items(&item, 1, timeout_ms);
    if (!(item.revents & ZMQ_POLLIN)) return std::nullopt;
  }
  Frames frames;
  zmq::message_t message;
  try {
    if (!impl_->socket.recv(message, zmq::recv_flags::dontwait)) return std::nullopt;
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return std::nullopt;
    throw;
  }
  frames.emplace_back(static_cast<const char*>(message.data()), message.size());
  while (message.more()) {
    if (!impl_->socket.recv(message, zmq::recv_flags::none)) break;
    frames.emplace_back(static_cast<const char*>(message.data()), message.size());
  }
  return frames;
}

std::vector<bool> poll_readable(const std::vector<Socket*>& sockets, int timeout_ms) {
  return poll_readable(sockets, {}, timeout_ms);
}

std::vector<bool> poll_readable(const std::vector<Socket*>& sockets, const std::vector<int>& fds, int timeout_ms) {
  std::vector<zmq::pollitem_t> items;
  for (Socket* s : sockets) items.push_back({s->native(), 0, ZMQ_POLLIN, 0});
  for (int fd : fds) items.push_back({nullptr, fd, ZMQ_POLLIN, 0});
  poll_items(items.data(), items.size(), timeout_ms);
  std::vector<bool> ready;
  for (const auto& item : items) ready.push_back(item.revents & ZMQ_POLLIN);
  return ready;
}

std::string probe_endpoint(const std::string& endpoint, double timeout_seconds) {
  std::string host;
  int port = 0;
  try {
    host = endpoint_host(endpoint);
    port = endpoint_port(endpoint);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int status = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (status != 0 || !found) return "cannot resolve '" + host + "' (" + ::gai_strerror(status) + ")";
  std::string why = "nothing listens at " + host + ":" + std::to_string(port);
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int error = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(timeout_seconds * 1000));
        if (ready <= 0) {
          error = ETIMEDOUT;
        } else {
          socklen_t length = sizeof error;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        }
      }
    }
    ::close(fd);
    if (error == 0) {
      ::freeaddrinfo(found);
      return "";
    }
    if (error == ETIMEDOUT) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", timeout_seconds);
      why = "no answer from " + host + ":" + std::to_string(port) + " within " + seconds +
            " s (the host is down, or a firewall drops the connection)";
    } else if (error == ECONNREFUSED) {
      why = "nothing listens at " + host + ":" + std::to_string(port) + " (connection refused)";
    } else {
      why = "cannot connect to " + host + ":" + std::to_string(port) + " (" + std::strerror(error) + ")";
    }
  }
  ::freeaddrinfo(found);
  return why;
}

std::string endpoint_host(const std::string& endpoint) {
  const size_t scheme = endpoint.find("://");
  const size_t colon = endpoint.rfind(':');
  if (scheme == std::string::npos || colon == std::string::npos || colon <= scheme + 3) {
    throw std::invalid_argument("endpoint '" + endpoint + "' is not of the form tcp://host:port");
  }
  return endpoint.substr(scheme + 3, colon - scheme - 3);
}

int endpoint_port(const std::string& endpoint) {
  const size_t colon = endpoint.rfind(':');
  try {
    return std::stoi(endpoint.substr(colon + 1));
  } catch (const std::exception&) {
    throw std::invalid_argument("endpoint '" + endpoint + "' has no port number");
  }
}

}  // namespace rl::wire
