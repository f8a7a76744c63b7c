#include "sinks/store/s3_encoding.hpp"

#include <algorithm>

namespace soi {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

std::string encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace

std::string s3_encode_path(std::string_view path) { return encode(path, true); }

std::string s3_encode_query_component(std::string_view text) { return encode(text, false); }

std::string s3_canonical_query(const S3Query& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(s3_encode_query_component(name), s3_encode_query_component(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) out.append(out.empty() ? "?" : "&").append(name).append("=").append(value);
  return out;
}

std::string s3_bucket_url(std::string_view endpoint, std::string_view bucket, bool path_style) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
  if (path_style) return std::string(endpoint) + "/" + std::string(bucket);
  const std::size_t scheme = endpoint.find("://");
  const std::size_t host = scheme == std::string_view::npos ? 0 : scheme + 3;
  return std::string(endpoint.substr(0, host)) + std::string(bucket) + "." + std::string(endpoint.substr(host));
}

std::string s3_request_url(std::string_view bucket_url, std::string_view key, const S3Query& query) {
  std::string url(bucket_url);
  if (!key.empty()) {
    url.append("/").append(s3_encode_path(key));
  } else {
    // A virtual-hosted bucket's own URL is the host's root: "/" is its path.
    const std::size_t scheme = url.find("://");
    if (url.find('/', scheme == std::string::npos ? 0 : scheme + 3) == std::string::npos) url += '/';
  }
  url += s3_canonical_query(query);
  return url;
}

}  // namespace soi
