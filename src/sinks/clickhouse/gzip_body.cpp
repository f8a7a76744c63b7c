#include "sinks/clickhouse/gzip_body.hpp"

#include <zlib.h>

#include "utils/error.hpp"

namespace soi {

void gzip_compress(std::string_view data, std::string& out) {
  out.clear();
  z_stream z{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw SoiError(ErrorCategory::storage, "zlib: cannot start a gzip stream");
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t produced = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw SoiError(ErrorCategory::storage, "zlib: gzip compression failed");
  out.resize(produced);
}

}  // namespace soi
