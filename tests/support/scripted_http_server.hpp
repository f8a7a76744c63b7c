// A loopback HTTP/1.1 server that answers from a script, for tests of how a
// client reacts to answers a real server gives only under load or failure
// (503 SlowDown with Retry-After, a 200 whose body is an error document).
// Each request takes the next scripted reply (the last one repeats once the
// script runs out) and is recorded with its method, target, headers and body.
// Keep-alive, Content-Length bodies and "Expect: 100-continue" are supported;
// chunked request bodies are not. Header-only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace soi::test {

struct ScriptedReply {
  int status = 200;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
};

struct RecordedRequest {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

class ScriptedHttpServer {
 public:
  explicit ScriptedHttpServer(std::vector<ScriptedReply> script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 16) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("ScriptedHttpServer: cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~ScriptedHttpServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (const int fd : connections_) ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& t : workers_) t.join();
  }
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mutex_);
      connections_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  static bool send_all(int fd, const std::string& data) {
    for (std::size_t sent = 0; sent < data.size();) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[65536];
    const auto fill = [&](std::size_t at_least) {
      while (buffer.size() < at_least) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      return true;
    };
    for (;;) {
      std::size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos)
        if (!fill(buffer.size() + 1)) return close_connection(fd);
      RecordedRequest request;
      const std::string head = buffer.substr(0, end);
      buffer.erase(0, end + 4);
      std::size_t line_end = head.find("\r\n");
      const std::string request_line = head.substr(0, line_end);
      const std::size_t space1 = request_line.find(' ');
      const std::size_t space2 = request_line.find(' ', space1 + 1);
      request.method = request_line.substr(0, space1);
      request.target = request_line.substr(space1 + 1, space2 - space1 - 1);
      while (line_end != std::string::npos) {
        const std::size_t next = head.find("\r\n", line_end + 2);
        const std::string line = head.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
        line_end = next;
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        const std::size_t value = line.find_first_not_of(' ', colon + 1);
        request.headers[name] = value == std::string::npos ? std::string() : line.substr(value);
      }
      if (request.headers["expect"] == "100-continue" && !send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n"))
        return close_connection(fd);
      const std::size_t length = request.headers.count("content-length")
                                     ? static_cast<std::size_t>(std::stoull(request.headers["content-length"]))
                                     : 0;
      if (!fill(length)) return close_connection(fd);
      request.body = buffer.substr(0, length);
      buffer.erase(0, length);

      ScriptedReply reply;
      {
        std::lock_guard lock(mutex_);
        reply = script_.empty() ? ScriptedReply{500, {}, ""}
                                : script_[std::min(requests_.size(), script_.size() - 1)];
        requests_.push_back(request);
      }
      std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " Scripted\r\n";
      for (const std::string& h : reply.headers) response += h + "\r\n";
      if (request.method == "HEAD") {
        response += "Content-Length: 0\r\n\r\n";
      } else {
        response += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body;
      }
      if (!send_all(fd, response)) return close_connection(fd);
    }
  }

  void close_connection(int fd) {
    std::lock_guard lock(mutex_);
    connections_.erase(std::remove(connections_.begin(), connections_.end(), fd), connections_.end());
    ::close(fd);
  }

  std::vector<ScriptedReply> script_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<int> connections_;
  std::vector<std::thread> workers_;
  std::vector<RecordedRequest> requests_;
};

}  // namespace soi::test
