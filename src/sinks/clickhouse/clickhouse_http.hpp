// One ClickHouse server's HTTP interface, through libcurl (no ClickHouse client
// library is packaged for Debian; HTTP is ClickHouse's first-class protocol).
//
// Every request is a POST to <url>/?database=<db>[&query=<insert>]: a statement
// goes in the body; an INSERT's statement goes in the URL and its rows in the
// body, gzip-compressed while it is sent (Content-Encoding: gzip, chunked). The user and password travel in the
// X-ClickHouse-User / X-ClickHouse-Key headers (18.16 has them), never in a URL
// or a message; the password is registered for redaction. The connection is
// kept alive between requests.
//
// Threads: one ClickHouseHttp belongs to one thread at a time (the sink holds
// its lock around every use).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace soi {

class GzipStream;

struct ClickHouseEndpoint {
  std::string url;           // http://host:8123 (a trailing '/' is ignored)
  std::string user = "default";
  std::string password;
  std::string password_env;  // the variable the password came from: named in auth errors
  int connect_timeout_seconds = 10;
  int request_timeout_seconds = 300;
};

class ClickHouseHttp {
 public:
  explicit ClickHouseHttp(ClickHouseEndpoint server);
  ~ClickHouseHttp();
  ClickHouseHttp(const ClickHouseHttp&) = delete;
  ClickHouseHttp& operator=(const ClickHouseHttp&) = delete;

  // Runs one statement (database "": the user's default database) and returns the
  // response body (a SELECT's rows, TabSeparated unless the statement names a format).
  // Throws SoiError: network when the server cannot be reached or the connection
  // breaks, auth when it refuses the user or password (naming password_env),
  // storage for every other error the server reports ("Code: N: ...").
  std::string execute(std::string_view sql, std::string_view database = {});
  // Sends `rows` (already encoded in the format insert_sql names, e.g.
  // "INSERT INTO t (a, b) FORMAT RowBinary"), gzip-compressed. Throws as execute().
  void insert(std::string_view insert_sql, std::string_view database, std::string_view rows);

  const std::string& url() const { return server_.url; }

 private:
  // The body is `body`, or the gzip stream when one is given.
  std::string post(std::string_view query_in_url, std::string_view database, std::string_view body, GzipStream* gzip);

  ClickHouseEndpoint server_;
  struct Curl;
  std::unique_ptr<Curl> curl_;
};

}  // namespace soi
