// Write-ahead-log recovery: the input becomes segment files of a log directory,
// then the log is opened and replayed, as after a crash. Segment 1 holds the bytes
// as given; segment 2 the same bytes with every frame's CRC made valid, so the
// mutations reach the frame decoder behind the checksum. An input starting with a
// "soi-wal-checkpoint" line also writes that line as the checkpoint file.
//
// Properties: opening fails only with a storage error (bad checkpoint); replay
// never crashes and yields exactly the valid frame prefix of each segment
// (a torn or corrupt tail loses only itself, never a record before it); a record
// appended after the recovery is replayed, last, by the next open.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "processing/write_ahead_log.hpp"
#include "utils/error.hpp"
#include "wal_frames.hpp"

namespace {

constexpr std::string_view kMagic{"SOIWAL01", 8};

// What a replay from the start of a segment must yield.
void expect_segment(std::string_view segment, std::vector<soi::fuzz::DecodedRecord>& out) {
  if (segment.size() < kMagic.size() || segment.substr(0, kMagic.size()) != kMagic) return;  // skipped whole
  const auto records = soi::fuzz::decode_prefix(segment.substr(kMagic.size()));
  out.insert(out.end(), records.begin(), records.end());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const soi::fuzz::ScratchDir scratch("wal");
  std::string_view input = soi::fuzz::as_text(data, size);
  scratch.clear();
  const auto dir = scratch.path() / "wal";
  std::filesystem::create_directories(dir);

  bool has_checkpoint = false;
  if (input.starts_with("soi-wal-checkpoint")) {
    const std::size_t eol = input.find('\n');
    const std::size_t cut = eol == std::string_view::npos ? input.size() : eol + 1;
    soi::fuzz::write_file(dir / "checkpoint", input.substr(0, cut));
    input.remove_prefix(cut);
    has_checkpoint = true;
  }
  const std::string repaired = soi::fuzz::with_repaired_crcs(std::string(input), kMagic.size());
  soi::fuzz::write_file(dir / "segment-0000000000000001.wal", input);
  soi::fuzz::write_file(dir / "segment-0000000000000002.wal", repaired);

  std::vector<soi::fuzz::DecodedRecord> replayed;
  try {
    const auto collect = [&](const soi::WalRecord& r, const soi::WalPosition&) {
      replayed.push_back({r.feed, std::string(r.symbol), r.bar.ts_ms, r.receive_ms});
    };
    {
      soi::WriteAheadLog wal(soi::WalOptions{dir});
      wal.replay(collect);
      // What the stream does next: append what it receives, then crash.
      soi::RecordBatch batch;
      soi::Bar bar;
      bar.ts_ms = 1732719602000;
      batch.add(7, "AFTER", bar, 1732719604000);
      wal.append(batch);
    }
    // The next open must replay that record last, whatever the old segments held.
    const std::size_t before = replayed.size();
    soi::WriteAheadLog wal(soi::WalOptions{dir});
    replayed.clear();
    wal.replay(collect);
    soi::fuzz::check(!replayed.empty() && replayed.back().symbol == "AFTER" && replayed.back().feed == 7,
                     "wal: a record appended after recovery is not replayed");
    replayed.pop_back();
    soi::fuzz::check(replayed.size() == before, "wal: a second replay differs from the first");
  } catch (const soi::SoiError& e) {
    soi::fuzz::check(e.category() == soi::ErrorCategory::storage, "wal: error is not a storage error");
    soi::fuzz::check(has_checkpoint, "wal: a log without a checkpoint failed to open");
    return 0;
  }
  if (!has_checkpoint) {
    std::vector<soi::fuzz::DecodedRecord> expected;
    expect_segment(input, expected);
    expect_segment(repaired, expected);
    soi::fuzz::check(replayed == expected, "wal: replay differs from the valid prefix of the segments");
  }
  return 0;
}
