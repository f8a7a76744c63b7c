// Spill-file reader: the first byte is the record count the queue's index holds
// for the batch, the rest the batch's bytes as read back from the spill file
// (tried as given and with every frame's CRC made valid). decode_spilled_batch
// accepts exactly a batch of whole valid frames with that count.
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "processing/spill_queue.hpp"
#include "wal_frames.hpp"

namespace {

void decode(std::string_view bytes, std::uint64_t records) {
  static soi::RecordBatch batch;
  const bool ok = soi::decode_spilled_batch(bytes, records, batch);
  if (!ok) return;
  soi::fuzz::check(batch.size() == records, "spill: accepted a batch of another size");
  const auto expected = soi::fuzz::decode_prefix(bytes);
  soi::fuzz::check(expected.size() == records, "spill: accepted a batch with a bad frame");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint64_t records = data[0];
  const std::string_view bytes = soi::fuzz::as_text(data + 1, size - 1);
  decode(bytes, records);
  decode(soi::fuzz::with_repaired_crcs(std::string(bytes), 0), records);
  return 0;
}
