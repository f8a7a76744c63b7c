// Shared helpers for the simulator unit tests: an in-process server on an
// ephemeral loopback port, a tiny libcurl GET client and JSON access via simdjson.
#pragma once

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "simulator/http_server.hpp"
#include "utils/time_util.hpp"

namespace soi::sim::test {

// The pinned "now" of most tests: Monday 2025-02-03 15:00 New York (session open).
inline std::int64_t pinned_now_ms() {
  return ny_wall_to_utc_ms(Date{date::year{2025}, date::month{2}, date::day{3}}, 15 * 60);
}

inline SimulatorOptions test_options(unsigned seed = 42) {
  SimulatorOptions o;
  o.config.seed = seed;
  o.clock = [] { return pinned_now_ms(); };
  return o;
}

inline std::unique_ptr<SimulatorServer> start_server(SimulatorOptions options = test_options()) {
  auto server = std::make_unique<SimulatorServer>(std::move(options));
  server->start();
  return server;
}

// A fixture with one server on the pinned clock, started and stopped per test.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server = start_server(); }
  void TearDown() override { server->stop(); }
  std::string url(const std::string& path) const { return server->base_url() + path; }
  std::unique_ptr<SimulatorServer> server;
};

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  double seconds = 0;
};

struct GetOptions {
  std::string bearer = "test-key";     // "" sends no Authorization header
  std::vector<std::string> extra_headers;
  long timeout_ms = 20000;
};

inline std::size_t collect_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

inline std::size_t collect_header(char* data, std::size_t size, std::size_t n, void* out) {
  std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

inline HttpResult http_get(const std::string& url, const GetOptions& options = {}) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  if (!options.bearer.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + options.bearer).c_str());
  for (const auto& h : options.extra_headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // like the real client: offers gzip
  const auto start = std::chrono::steady_clock::now();
  result.code = curl_easy_perform(curl);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}

// Parsed JSON document that owns its parser (DOM elements point into it).
struct Json {
  explicit Json(const std::string& text) : parser(std::make_unique<simdjson::dom::parser>()) {
    auto r = parser->parse(text);
    ok = r.error() == simdjson::SUCCESS;
    if (ok) root = r.value();
  }
  std::unique_ptr<simdjson::dom::parser> parser;
  simdjson::dom::element root;
  bool ok = false;

  simdjson::dom::element operator[](std::string_view key) const { return root[key].value(); }
  bool has(std::string_view key) const { return root[key].error() == simdjson::SUCCESS; }
};

inline bool has_key(simdjson::dom::element e, std::string_view key) { return e[key].error() == simdjson::SUCCESS; }
inline double num(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element v = e[key].value();
  if (v.is_int64()) return static_cast<double>(v.get_int64().value());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64().value());
  return v.get_double().value();
}
inline std::int64_t int_of(simdjson::dom::element e, std::string_view key) { return e[key].get_int64().value(); }
inline std::string str(simdjson::dom::element e, std::string_view key) {
  return std::string(e[key].get_string().value());
}

// Strips the scheme+host of a next_url so it can be re-requested on our base URL.
inline std::string path_of(const std::string& url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? url : url.substr(slash);
}

}  // namespace soi::sim::test
