// Gzip (RFC 1952) of a request body, at zlib's fastest level: a loopback or LAN
// insert is bound by the server's parsing, not the wire, so more effort than
// level 1 costs time and saves little. A GzipStream compresses while the
// body is being sent (libcurl pulls it in chunks), so that the server unpacks
// and parses the first rows while the last ones are still being compressed.
// One stream per thread.
#pragma once

#include <string>
#include <string_view>

#include <zlib.h>

namespace soi {

class GzipStream {
 public:
  // `data` must outlive the stream.
  explicit GzipStream(std::string_view data);
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Writes up to `capacity` bytes of the gzip stream to `out`; 0 once it is complete.
  // Throws SoiError(storage) when zlib fails (out of memory).
  std::size_t read(char* out, std::size_t capacity);
  // Starts over from the first byte (a request resent on a new connection).
  void rewind();

 private:
  void start();
  std::string_view data_;
  z_stream z_{};
  bool started_ = false;
  bool finished_ = false;
};

// The whole gzip stream of `data` into `out` (cleared first).
void gzip_compress(std::string_view data, std::string& out);

}  // namespace soi
