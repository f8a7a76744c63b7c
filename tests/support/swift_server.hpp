// A throw-away OpenStack Swift with its S3 API (the s3api middleware, tempauth users) for tests:
// one-device rings, an account, a container, an object and a proxy server, all on free
// 127.0.0.1 ports, data and configuration in a fresh temp dir; stop() ends them and removes it.
// The access key (tempauth's "account:user") and the secret are random for each start.
// What this server accepts and refuses, and how it differs from AWS: docs/s3-test-server.md.
// Header-only: include it from a test (links libcurl and OpenSSL's libcrypto).
#pragma once

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/suite_server.hpp"

namespace soi::test {

inline std::string hex_digest(std::string_view data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) throw std::runtime_error("EVP_Digest failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 0xf];
  }
  return hex;
}
inline std::string sha256_hex(std::string_view data) { return hex_digest(data, EVP_sha256()); }
inline std::string md5_hex(std::string_view data) { return hex_digest(data, EVP_md5()); }

// Where and as whom S3 requests go.
struct S3Credentials {
  std::string endpoint;  // http://127.0.0.1:PORT
  std::string region;
  std::string access_key;
  std::string secret_key;
};

// One request. `target` is the path and query exactly as sent: percent-encoded, and (libcurl
// signs the query as written) its parameters sorted by name, each with '=' ("?uploads=").
struct S3Request {
  std::string method = "GET";
  std::string target;
  std::string body;
  std::vector<std::string> headers;           // "Name: value"
  std::optional<std::string> content_sha256;  // x-amz-content-sha256: the body's SHA-256 if unset, none if ""
};

struct S3Response {
  long status = 0;                             // 0: no HTTP answer (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string error;                           // libcurl's message when status is 0

  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  // The <Code> of an S3 error body, "" when there is none.
  std::string error_code() const {
    const auto open = body.find("<Code>");
    if (open == std::string::npos) return {};
    const auto close = body.find("</Code>", open);
    return close == std::string::npos ? std::string() : body.substr(open + 6, close - open - 6);
  }
};

// Sends one SigV4-signed request with libcurl (CURLOPT_AWS_SIGV4).
inline S3Response s3_request(const S3Credentials& creds, const S3Request& request) {
  CURL* curl = curl_easy_init();
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  S3Response response;
  const std::string url = creds.endpoint + request.target;
  const std::string sigv4 = "aws:amz:" + creds.region + ":s3";
  curl_slist* headers = nullptr;
  // libcurl signs the payload hash it finds in this header but never adds the header itself.
  const std::string sha_header =
      "x-amz-content-sha256: " + request.content_sha256.value_or(sha256_hex(request.body));
  if (!request.content_sha256 || !request.content_sha256->empty()) headers = curl_slist_append(headers, sha_header.c_str());
  bool has_content_type = false;
  for (const auto& h : request.headers) {
    headers = curl_slist_append(headers, h.c_str());
    std::string name = h.substr(0, h.find(':'));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    has_content_type = has_content_type || name == "content-type";
  }
  // A body would otherwise go as a form (application/x-www-form-urlencoded) and be stored so.
  // Not "Content-Type:" to drop it: libcurl signs such an empty header yet does not send it.
  const bool with_body = request.method == "PUT" || request.method == "POST";
  if (with_body && !has_content_type) headers = curl_slist_append(headers, "Content-Type: application/octet-stream");

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  // The access key holds a ':' ("account:user"): CURLOPT_USERPWD would split it there.
  curl_easy_setopt(curl, CURLOPT_USERNAME, creds.access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, creds.secret_key.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (with_body) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) -> size_t {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, +[](char* data, size_t size, size_t n, void* out) -> size_t {
    const std::string line(data, size * n);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      const auto first = value.find_first_not_of(" \t");
      const auto last = value.find_last_not_of(" \t\r\n");
      (*static_cast<std::map<std::string, std::string>*>(out))[name] =
          first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
    }
    return size * n;
  });
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  } else {
    response.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return response;
}

class SwiftServer {
 public:
  // Parts of a multipart upload but the last must be at least this big. S3 asks for 5 MiB;
  // a thousandth of that keeps the tests' uploads small.
  static constexpr std::size_t kMinPartSize = 5 * 1024;

  SwiftServer() = default;
  ~SwiftServer() { stop(); }
  SwiftServer(const SwiftServer&) = delete;
  SwiftServer& operator=(const SwiftServer&) = delete;

  // The directory of the swift-* programs (SOI_SWIFT_BINDIR, else /usr/bin).
  static std::string bin_dir() {
    const char* env = std::getenv("SOI_SWIFT_BINDIR");
    return env && *env ? env : "/usr/bin";
  }
  // Whether Swift is installed (scripts/setup.sh installs it).
  static bool available() {
    for (const char* program : kPrograms)
      if (::access((bin_dir() + "/" + program).c_str(), X_OK) != 0) return false;
    return !interpreter().empty();
  }

  // Worker processes of the proxy and the object server, from the next
  // start(): 0 (the tests') runs each in one process, quick to start; more
  // lets parallel uploads use more than one core (bench/s3_upload_bench).
  void set_workers(int workers) { workers_ = std::max(0, workers); }

  // Throws std::runtime_error with the servers' log tails on failure.
  void start() {
    stop();
    if (!available()) throw std::runtime_error("OpenStack Swift not found in " + bin_dir() + " (run scripts/setup.sh)");
    for (int attempt = 0;; ++attempt) {
      try {
        start_once();
        return;
      } catch (const std::runtime_error& e) {
        const bool port_taken = std::string(e.what()).find("Could not bind") != std::string::npos;
        stop();
        if (!port_taken || attempt == 2) throw;  // a port was taken in between: try others
      }
    }
  }

  // Ends the servers (the launcher's process group) and removes the directory. Idempotent.
  void stop() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGTERM);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          ::kill(-pid_, SIGKILL);
          ::waitpid(pid_, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      ::kill(-pid_, SIGKILL);  // a server the launcher could not wait for
      pid_ = -1;
    }
    running_ = false;
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  bool running() const { return running_; }
  int port() const { return proxy_port_; }
  // Where the account, container, object and proxy servers listen (all on 127.0.0.1).
  const std::vector<int>& server_ports() const { return server_ports_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(proxy_port_); }
  const std::string& access_key() const { return access_key_; }
  const std::string& secret_key() const { return secret_key_; }
  std::string region() const { return "us-east-1"; }
  S3Credentials credentials() const { return {endpoint(), region(), access_key_, secret_key_}; }
  const std::string& dir() const { return dir_; }

  S3Response request(const S3Request& r) const { return s3_request(credentials(), r); }

  // Creates a bucket with a signed S3 PUT; throws unless the server says it was created.
  void create_bucket(const std::string& name) const {
    const S3Response r = request({"PUT", "/" + name, "", {}, std::nullopt});
    if (r.status != 200)
      throw std::runtime_error("create bucket " + name + ": HTTP " + std::to_string(r.status) + " " + r.error_code() +
                               r.error);
  }

  // The last lines of each server's log, for failure messages (they hold no secret).
  std::string log_tail(std::size_t lines = 25) const {
    std::string out;
    for (const char* name : {"launcher", "account", "container", "object", "proxy"}) {
      std::ifstream in(dir_ + "/" + name + ".log");
      if (!in) continue;
      std::deque<std::string> tail;
      for (std::string line; std::getline(in, line);) {
        tail.push_back(line);
        if (tail.size() > lines) tail.pop_front();
      }
      out += std::string("--- ") + name + ".log\n";
      for (const auto& line : tail) out += line + "\n";
    }
    return out;
  }

 private:
  static constexpr const char* kPrograms[] = {"swift-ring-builder", "swift-proxy-server", "swift-account-server",
                                              "swift-container-server", "swift-object-server"};

  // The Python that runs Swift: the one named by swift-proxy-server's #! line, which is the
  // distribution's, not whichever python3 comes first on PATH.
  static std::string interpreter() {
    std::ifstream in(bin_dir() + "/swift-proxy-server");
    std::string line;
    if (!std::getline(in, line) || line.rfind("#!", 0) != 0) return {};
    std::istringstream words(line.substr(2));
    std::string path;
    words >> path;
    return ::access(path.c_str(), X_OK) == 0 ? path : std::string();
  }

  // Runs the test's Swift in one process group: builds the rings with swift-ring-builder's
  // commands, then forks the four servers, each logging to <dir>/<name>.log, and ends them all
  // when one exits or it is told to stop. Swift's own programs would each import Swift and
  // patch eventlet anew, seconds of CPU in all; here that is done once, before the forks.
  // swift.conf (hash path salt, storage policies) is read from the test's directory: the
  // programs read /etc/swift's, whatever the server configuration says.
  static constexpr const char* kLauncher = R"(import ctypes
import gc
import os
import signal
import sys

import eventlet

# Swift applies this patch itself, later, when eventlet's search of the heap for the locks that
# exist (a full garbage collection for each) takes most of a second. Done first, with the heap
# frozen, it takes none: the few locks the imports made stay native, which is harmless as no
# server code holds them across a green thread switch.
gc.freeze()
eventlet.patcher.monkey_patch(all=False, socket=True, select=True, thread=True)
gc.unfreeze()

from swift.cli.ringbuilder import main as ring_builder
from swift.common import constraints, storage_policy, utils, wsgi
import swift.account.server, swift.container.server, swift.obj.server, swift.proxy.server
import swift.common.middleware.s3api.s3api, swift.common.middleware.slo, swift.common.middleware.tempauth

home = sys.argv[1]
utils.set_swift_dir(home)
constraints.reload_constraints()
storage_policy.reload_storage_policies()

for name, port in zip(('account', 'container', 'object'), sys.argv[2:5]):
    builder = home + '/' + name + '.builder'
    for args in (['create', '6', '1', '1'], ['add', 'r1z1-127.0.0.1:' + port + '/d0', '1'], ['rebalance']):
        try:
            ring_builder(['swift-ring-builder', builder] + args)
        except SystemExit as e:
            if e.code not in (None, 0, 1):  # 1 is a warning
                raise
sys.stdout.flush()

# Without setsid() the servers stay in this process group, which the test signals.
wsgi.clean_up_daemon_hygiene = lambda: os.chdir('/')
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
launcher = os.getpid()
children = {}
for name in ('account', 'container', 'object', 'proxy'):
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the launcher
        if os.getppid() != launcher:
            os._exit(1)
        log = os.open(home + '/' + name + '.log', os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os._exit(wsgi.run_wsgi(home + '/' + name + '-server.conf', name + '-server', verbose=True) or 0)
    children[pid] = name
try:
    pid, status = os.wait()
    print('the %s server exited (wait status %d)' % (children.pop(pid), status), flush=True)
    sys.exit(1)
finally:
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        except OSError:
            pass
)";

  void start_once() {
    // $TMPDIR if set: the object server needs user xattrs, which tmpfs lacks before Linux 6.6.
    std::string pattern = (std::filesystem::temp_directory_path() / "soi_swift_XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed in " + pattern);
    dir_ = pattern;
    std::filesystem::create_directories(dir_ + "/node/d0");
    access_key_ = "test:" + random_word("u", 10);
    secret_key_ = random_word("S", 30);
    std::vector<int> ports;
    while (ports.size() < 5) {  // account, container, object, proxy, and one where no memcached listens
      const int p = free_loopback_port();
      if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
    }
    proxy_port_ = ports[3];
    server_ports_.assign(ports.begin(), ports.begin() + 4);

    write(dir_ + "/launcher.py", kLauncher);
    write(dir_ + "/swift.conf", "[swift-hash]\nswift_hash_path_suffix = " + random_word("", 16) +
                                    "\nswift_hash_path_prefix = " + random_word("", 16) +
                                    "\n\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n");
    const char* kinds[] = {"account", "container", "object"};
    for (int i = 0; i < 3; ++i) {
      write(dir_ + "/" + kinds[i] + "-server.conf",
            common_conf(ports[i], kinds[i] == std::string("object") ? workers_ : 0) + "devices = " + dir_ + "/node\nmount_check = false\n" +
                // Refuse nothing for lack of room: the test data is tiny, the disk may be full.
                "fallocate_reserve = 0\ndisable_fallocate = true\n\n[pipeline:main]\npipeline = healthcheck " +
                kinds[i] + "-server\n\n[app:" + kinds[i] + "-server]\nuse = egg:swift#" + kinds[i] +
                "\n\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n");
    }
    write(dir_ + "/proxy-server.conf", proxy_conf(ports[3], ports[4]));

    pid_ = launch({interpreter(), dir_ + "/launcher.py", dir_, std::to_string(ports[0]), std::to_string(ports[1]),
                   std::to_string(ports[2])});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (int i = 0; i < 4; ++i) {
      while (!healthy(ports[i])) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          throw std::runtime_error("Swift exited while starting\n" + log_tail());
        }
        if (std::chrono::steady_clock::now() > deadline)
          throw std::runtime_error("Swift did not answer /healthcheck within 30 s\n" + log_tail());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    running_ = true;
  }

  std::string common_conf(int port, int workers = 0) const {
    const passwd* pw = ::getpwuid(::geteuid());
    return "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = " + std::to_string(port) +
           // No worker processes unless asked: quick to start. stop() signals the whole
           // process group, workers included.
           "\nworkers = " + std::to_string(workers) + "\nbind_timeout = 3\nuser = " + std::string(pw ? pw->pw_name : "root") +
           "\nswift_dir = " + dir_ +
           // An object's update of its container listing may not time out on a busy machine: no
           // updater runs to redo it later, and the object would be missing from listings.
           "\nconn_timeout = 5\nnode_timeout = 10\ncontainer_update_timeout = 10\n";
  }

  std::string proxy_conf(int port, int memcache_port) const {
    std::string user = access_key_;
    user.replace(user.find(':'), 1, "_");
    return common_conf(port, workers_) +
           "\n[pipeline:main]\n"
           // s3api goes right before the auth middleware, and slo after it (multipart uploads).
           "pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl "
           "ratelimit s3api tempauth copy container-quotas account-quotas slo dlo versioned_writes proxy-logging "
           "proxy-server\n\n"
           "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n\n"
           "[filter:s3api]\nuse = egg:swift#s3api\nlocation = " + region() +
           "\ns3_acl = false\ncheck_bucket_owner = false\nallow_multipart_uploads = true\nmin_segment_size = " +
           std::to_string(kMinPartSize) +
           "\n\n"
           // tempauth: the S3 access key is "account:user", the secret the user's key.
           "[filter:tempauth]\nuse = egg:swift#tempauth\nuser_" + user + " = " + secret_key_ + " .admin\n\n" +
           // tempauth insists on a memcache client but works without a memcached behind it. This one
           // points at a port where none listens (rather than 11211, where a shared one might) and
           // gives up after the first refusal.
           "[filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:" + std::to_string(memcache_port) +
           "\nerror_suppression_limit = 1\nerror_suppression_interval = 3600\n\n"
           "[filter:catch_errors]\nuse = egg:swift#catch_errors\n\n"
           "[filter:gatekeeper]\nuse = egg:swift#gatekeeper\n\n"
           "[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n"
           "[filter:proxy-logging]\nuse = egg:swift#proxy_logging\n\n"
           "[filter:listing_formats]\nuse = egg:swift#listing_formats\n\n"
           "[filter:bulk]\nuse = egg:swift#bulk\n\n"
           "[filter:tempurl]\nuse = egg:swift#tempurl\n\n"
           "[filter:ratelimit]\nuse = egg:swift#ratelimit\n\n"
           "[filter:copy]\nuse = egg:swift#copy\n\n"
           "[filter:container-quotas]\nuse = egg:swift#container_quotas\n\n"
           "[filter:account-quotas]\nuse = egg:swift#account_quotas\n\n"
           "[filter:slo]\nuse = egg:swift#slo\n\n"
           "[filter:dlo]\nuse = egg:swift#dlo\n\n"
           "[filter:versioned_writes]\nuse = egg:swift#versioned_writes\n";
  }

  // Starts `argv` as the leader of a new process group, its output in launcher.log. It dies
  // with this process, so a crashed test leaves no server behind.
  pid_t launch(const std::vector<std::string>& argv) {
    const std::string log_path = dir_ + "/launcher.log";
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // eventlet's DNS module slows the start, and the servers resolve no names. The PYTHON*
    // settings of this environment may be meant for another Python than the system's.
    std::vector<std::string> env_strings = {"EVENTLET_NO_GREENDNS=yes", "PYTHONUNBUFFERED=1"};
    for (char** e = environ; *e; ++e) {
      const std::string_view kv(*e);
      if (kv.rfind("PYTHON", 0) != 0 && kv.rfind("EVENTLET_NO_GREENDNS=", 0) != 0) env_strings.emplace_back(kv);
    }
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (in < 0 || out < 0) ::_exit(127);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here: no race with the kill in stop()
    return pid;
  }

  static bool healthy(int port) {
    CURL* curl = curl_easy_init();
    if (!curl) return false;
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/healthcheck";
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) -> size_t { return size * n; });
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    return status == 200;
  }

  static void write(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
  }

  static std::string random_word(const std::string& prefix, int length) {
    static constexpr char kChars[] = "abcdefghijkmnopqrstuvwxyz23456789";
    std::random_device rd;
    std::mt19937 rng(rd());
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kChars - 2);
    std::string out = prefix;
    for (int i = 0; i < length; ++i) out += kChars[pick(rng)];
    return out;
  }

 public:

 private:
  std::string dir_;
  std::string access_key_;
  std::string secret_key_;
  pid_t pid_ = -1;
  std::vector<int> server_ports_;
  int proxy_port_ = 0;
  int workers_ = 0;
  bool running_ = false;
};

// A fixture for tests against Swift: one server per test suite (a failed start
// fails every test of the suite, never skips it) and a fresh bucket per test,
// named after the test, so tests do not see each other's objects.
class SwiftBucketTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { start_error_ = start_suite_server(server_); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    bucket_ = "b-" + current_test_slug();
    ASSERT_NO_THROW(server_->create_bucket(bucket_));
  }

  static inline SwiftServer* server_ = nullptr;
  static inline std::string start_error_;
  std::string bucket_;
};

}  // namespace soi::test
