// A TCP relay on 127.0.0.1 that carries each connection's client-to-server bytes at no more
// than a fixed rate: one connection's share of a link to a distant server, where a single
// stream is held back by distance and the far end rather than by either machine. Each
// connection gets its own budget, as it would on such a link, so N connections carry N times
// one's rate. The answers come back unpaced (they are small for uploads).
//
// For the upload benchmark only: both clients measured (S3Client and curl) go through the
// same relay to the same server. Requests are relayed byte for byte, so a SigV4 signature made
// for the relay's host:port is checked by the server against the same Host header.
//
// Threads: start() and stop() from one thread; the relay runs an accepting thread and two
// threads per connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace soi::bench {

class PacedLink {
 public:
  PacedLink(int target_port, double bytes_per_second) : target_port_(target_port), rate_(bytes_per_second) {}
  ~PacedLink() { stop(); }
  PacedLink(const PacedLink&) = delete;
  PacedLink& operator=(const PacedLink&) = delete;

  // Listens on a free 127.0.0.1 port; returns it.
  int start() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 64) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("paced link: cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
    return port_;
  }

  void stop() {
    if (!acceptor_.joinable()) return;
    stopping_ = true;
    acceptor_.join();
    ::close(listener_);
    std::vector<std::thread> pumps;
    {
      std::lock_guard lock(mutex_);
      for (const auto& c : connections_) {
        ::shutdown(c->client, SHUT_RDWR);
        ::shutdown(c->server, SHUT_RDWR);
      }
      pumps.swap(pumps_);
    }
    for (auto& t : pumps) t.join();
  }

 private:
  struct Connection {
    int client = -1;
    int server = -1;
    std::atomic<int> open_directions{2};
    ~Connection() {
      if (client >= 0) ::close(client);
      if (server >= 0) ::close(server);
    }
  };

  static sockaddr_in loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    return addr;
  }

  void accept_loop() {
    while (!stopping_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      auto c = std::make_shared<Connection>();
      c->client = client;
      c->server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const sockaddr_in target = loopback(target_port_);
      if (c->server < 0 || ::connect(c->server, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0)
        continue;  // the client sees its connection closed
      const int one = 1;
      ::setsockopt(c->server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(c->client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex_);
      connections_.push_back(c);
      pumps_.emplace_back([this, c] { pump(c, c->client, c->server, true); });
      pumps_.emplace_back([this, c] { pump(c, c->server, c->client, false); });
    }
  }

  // Copies from `from` to `to` until either end closes; paced: each slice of at most 64 KiB
  // leaves once the link would have carried it at rate_ bytes a second (no credit for idle time,
  // so a kept-alive connection does not burst).
  void pump(const std::shared_ptr<Connection>& c, int from, int to, bool paced) {
    std::vector<char> buffer(64 * 1024);
    auto link_free_at = std::chrono::steady_clock::now();
    for (;;) {
      const ssize_t n = ::recv(from, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      if (paced) {
        link_free_at = std::max(link_free_at, std::chrono::steady_clock::now()) +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(n) / rate_));
        std::this_thread::sleep_until(link_free_at);
      }
      ssize_t done = 0;
      while (done < n) {
        const ssize_t w = ::send(to, buffer.data() + done, static_cast<std::size_t>(n - done), MSG_NOSIGNAL);
        if (w <= 0) break;
        done += w;
      }
      if (done < n) break;
    }
    // One direction ended: pass the end on, and close both when both have.
    ::shutdown(to, SHUT_WR);
    if (--c->open_directions == 0) {
      ::shutdown(c->client, SHUT_RDWR);
      ::shutdown(c->server, SHUT_RDWR);
    }
  }

  int target_port_;
  double rate_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::vector<std::thread> pumps_;
};

}  // namespace soi::bench
