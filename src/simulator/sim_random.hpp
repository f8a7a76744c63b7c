// Deterministic pseudo-randomness for the synthetic market. Every random draw is
// a pure function of (seed, ticker, date, ...) so the same bar comes out of any
// request, page, thread or process. std::*_distribution is avoided on purpose:
// its output is implementation-defined and would differ between standard libraries.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string_view>

#include "utils/time_util.hpp"

namespace soi::sim {

constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr std::uint64_t hash_combine(std::uint64_t h, std::uint64_t v) {
  return splitmix64(h ^ (splitmix64(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

// FNV-1a, then mixed: stable across platforms (std::hash is not).
constexpr std::uint64_t hash_text(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return splitmix64(h);
}

inline std::uint64_t day_number(Date d) {
  return static_cast<std::uint64_t>(to_sys(d).time_since_epoch().count() + 1'000'000);
}

// Uniform in [0, 1) from a hash.
inline double unit_from_hash(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

// Small sequential generator (splitmix64 stream) for a whole synthetic day.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return unit_from_hash(next()); }
  // Integer in [lo, hi].
  int between(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1)); }
  // Standard normal (Box-Muller; the spare value is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log() stays finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * std::numbers::pi * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace soi::sim
