#include "sinks/clickhouse/gzip_body.hpp"

#include "utils/error.hpp"

namespace soi {

GzipStream::GzipStream(std::string_view data) : data_(data) { start(); }

GzipStream::~GzipStream() {
  if (started_) deflateEnd(&z_);
}

void GzipStream::start() {
  z_ = z_stream{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z_, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw SoiError(ErrorCategory::storage, "zlib: cannot start a gzip stream");
  started_ = true;
  finished_ = false;
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data_.data()));
  z_.avail_in = static_cast<uInt>(data_.size());
}

void GzipStream::rewind() {
  if (started_) deflateEnd(&z_);
  started_ = false;
  start();
}

std::size_t GzipStream::read(char* out, std::size_t capacity) {
  if (finished_ || capacity == 0) return 0;
  z_.next_out = reinterpret_cast<Bytef*>(out);
  z_.avail_out = static_cast<uInt>(capacity);
  // All input is present: Z_FINISH may be repeated until the stream ends.
  const int rc = deflate(&z_, Z_FINISH);
  if (rc == Z_STREAM_END) {
    finished_ = true;
  } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
    throw SoiError(ErrorCategory::storage, "zlib: gzip compression failed");
  }
  return capacity - z_.avail_out;
}

void gzip_compress(std::string_view data, std::string& out) {
  out.clear();
  GzipStream stream(data);
  char chunk[1 << 16];
  while (const std::size_t n = stream.read(chunk, sizeof chunk)) out.append(chunk, n);
}

}  // namespace soi
