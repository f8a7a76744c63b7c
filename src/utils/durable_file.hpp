// Small POSIX helpers for files that must survive a crash: directory fsync
// (a rename is only durable once its directory is synced) and whole-line
// appends to shared JSONL logs.
#pragma once

#include <filesystem>
#include <string_view>

namespace soi {

// fsync()s a directory so that renames/creations inside it are durable.
// Throws SoiError(storage) naming the directory.
void fsync_directory(const std::filesystem::path& dir);

// Appends `line` plus '\n' to `path` (created 0644 with its parent directories)
// with ONE write() on an O_APPEND descriptor, so concurrent appenders never
// interleave partial lines, then fsync()s it. Throws SoiError(storage).
void append_line_durably(const std::filesystem::path& path, std::string_view line);

// create_directories() that throws SoiError(storage) with the path instead of
// std::filesystem_error. Returns true when it created something.
bool create_directories_or_throw(const std::filesystem::path& dir);

// create_directories_or_throw(), then fsync()s the parent of every directory
// it created, deepest first: a new directory's name is durable only once its
// parent is synced, and a file's own directory fsync does not reach that far.
// Returns true when it created something. Throws SoiError(storage).
bool create_directories_durably(const std::filesystem::path& dir);

}  // namespace soi
