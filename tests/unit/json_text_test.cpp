// JSON string quoting, and write_file_atomically on a disk that refuses the
// write: the previous file stays, no temporary file is left behind, the error is
// a storage error naming the file. A file-size limit (RLIMIT_FSIZE, EFBIG)
// stands in for a full disk.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "utils/error.hpp"
#include "utils/json_text.hpp"

namespace soi {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Files larger than `bytes` cannot be written while it lives (writes fail with
// EFBIG instead of raising SIGXFSZ).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = signal(SIGXFSZ, SIG_IGN);
    rlimit limit{bytes, saved_.rlim_max};
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, previous_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  sighandler_t previous_ = SIG_DFL;
};

// Escapes at the start, the end and side by side, runs of plain text between
// them, UTF-8 untouched, and what was already in the buffer kept.
TEST(JsonQuote, EscapesWhatJsonRequiresAndKeepsTheRest) {
  EXPECT_EQ(json_quote(""), R"("")");
  EXPECT_EQ(json_quote("SPY"), R"("SPY")");
  EXPECT_EQ(json_quote("\"a\\b\"\n"), R"("\"a\\b\"\n")");
  EXPECT_EQ(json_quote("tab\there\r\b\f\x01\x1f end"), R"("tab\there\r\b\f\u0001\u001f end")");
  EXPECT_EQ(json_quote("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
  EXPECT_EQ(json_quote(std::string("nul\0byte", 8)), R"("nul\u0000byte")");
  std::string out = "[";
  append_json_quoted(out, "x\"");
  EXPECT_EQ(out, R"(["x\"")");
}

TEST(WriteFileAtomically, AFailedWriteKeepsThePreviousFileAndLeavesNoTemporaryFile) {
  const fs::path dir = fs::temp_directory_path() / ("soi_json_text_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path target = dir / "status.json";
  write_file_atomically(target.string(), "{\"previous\":true}");
  try {
    const FileSizeLimit limit(64);
    write_file_atomically(target.string(), std::string(4096, 'x'));
    ADD_FAILURE() << "a write over the limit succeeded";
  } catch (const SoiError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::storage);
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(slurp(target), "{\"previous\":true}");
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path(), target) << "left behind: " << entry.path();
  }
  EXPECT_EQ(files, 1u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace soi
