// What the tests that need a real server (PostgresServer, SwiftServer) share:
// a free loopback port for it, one server per test suite, and a per-test name
// for the schema or bucket that keeps the tests of a suite apart.
// Header-only: include it from a test or a server harness.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace soi::test {

// A loopback port nobody listens on right now.
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

// Starts a new Server into `server` (a suite's SetUpTestSuite); "" or why it did
// not start. The suite's SetUp then fails every test with that reason: setup
// installs the servers, so a missing one is a broken machine, never a skip.
template <class Server>
std::string start_suite_server(Server*& server) {
  server = new Server();
  try {
    server->start();
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

// The running test's name in lower case, at most `max` characters.
inline std::string current_test_slug(std::size_t max = 40) {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name.substr(0, max);
}

}  // namespace soi::test
