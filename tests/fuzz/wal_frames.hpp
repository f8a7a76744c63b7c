// WAL frame helpers for the WAL and spill fuzz targets: a CRC-repaired copy of
// the input (so mutations reach the decoder behind the checksum) and a plain
// frame-by-frame decode (the reference replay must match).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "processing/write_ahead_log.hpp"

namespace soi::fuzz {

// Rewrites the CRC of every frame from `from` on whose length fits the buffer;
// stops at the first that does not.
inline std::string with_repaired_crcs(std::string bytes, std::size_t from) {
  std::size_t at = from;
  while (at <= bytes.size() && bytes.size() - at >= 8) {
    std::uint32_t len = 0;
    std::memcpy(&len, bytes.data() + at + 4, 4);
    if (len > bytes.size() - at - 8) break;
    const std::uint32_t crc = crc32c(std::string_view(bytes).substr(at + 4, 4 + std::size_t{len}));
    std::memcpy(bytes.data() + at, &crc, 4);
    at += 8 + std::size_t{len};
  }
  return bytes;
}

struct DecodedRecord {
  std::uint8_t feed;
  std::string symbol;
  std::int64_t ts_ms;
  std::int64_t receive_ms;
  bool operator==(const DecodedRecord&) const = default;
};

// The records of the valid prefix of `frames` (decoding stops at the first frame
// that is not ok).
inline std::vector<DecodedRecord> decode_prefix(std::string_view frames) {
  std::vector<DecodedRecord> out;
  WalRecord record;
  std::size_t bytes = 0;
  while (decode_wal_frame(frames, record, bytes) == WalFrameStatus::ok) {
    out.push_back({record.feed, std::string(record.symbol), record.bar.ts_ms, record.receive_ms});
    frames.remove_prefix(bytes);
  }
  return out;
}

}  // namespace soi::fuzz
