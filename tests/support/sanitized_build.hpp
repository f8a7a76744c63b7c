// Whether this program (and so soi, built the same way) runs under AddressSanitizer,
// whose allocator replaces glibc's: memory figures of the process mean something else.
#pragma once

namespace soi::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

}  // namespace soi::test
