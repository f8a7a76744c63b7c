#include "fuzz_support.hpp"

#include <fstream>

namespace soi::fuzz {

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  check(static_cast<bool>(out), "scratch file written");
}

}  // namespace soi::fuzz
