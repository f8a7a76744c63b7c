// How an S3 request's URL is written. libcurl's SigV4 (CURLOPT_AWS_SIGV4) signs
// the path and the query exactly as they appear in the URL, while the server
// signs their canonical form; the two agree only when the URL already is that
// form (docs/s3-test-server.md):
//   - the path: every byte outside A-Z a-z 0-9 - _ . ~ / percent-encoded, those
//     left alone ("date=2025-01-17" goes as "date%3D2025-01-17", '/' stays);
//   - the query: parameters sorted by name, names and values encoded like the
//     path but with '/' encoded too, a parameter without a value written
//     "name=" ("?uploads=").
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace soi {

// A key (or any path) in its canonical encoding: '/' kept.
std::string s3_encode_path(std::string_view path);
// A query name or value in its canonical encoding: '/' as %2F.
std::string s3_encode_query_component(std::string_view text);

// Query parameters, unencoded; a value may be empty ("uploads").
using S3Query = std::vector<std::pair<std::string, std::string>>;
// "?a=1&b=&c=x%2Fy": encoded, sorted by encoded name; "" for no parameter.
std::string s3_canonical_query(const S3Query& query);

// Where a bucket's objects are: "http://127.0.0.1:8080/bucket" (path style) or
// "https://bucket.s3.amazonaws.com" (virtual-hosted style: the bucket is the
// first label of the endpoint's host). The endpoint is scheme://host[:port],
// without a path; a trailing '/' is ignored.
std::string s3_bucket_url(std::string_view endpoint, std::string_view bucket, bool path_style);

// The bucket URL plus "/" + the encoded key (none when the key is empty; a
// virtual-hosted bucket then gets its root "/") and the canonical query.
std::string s3_request_url(std::string_view bucket_url, std::string_view key, const S3Query& query = {});

}  // namespace soi
