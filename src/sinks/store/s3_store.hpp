// PartitionStore in an S3-compatible bucket: the object of key K is
// s3://<bucket>/<prefix>/K, uploaded and read through S3Client.
//
// stage(): a local file under staging_dir (<data_dir>/state/staging), named
// after the key ("<encoded key>.tmp-<pid>-<n>"), so a file left by a crash is
// found again by the next stage() of the key or by remove_stale_staging().
//
// put(): uploads the staged file (one PUT, or a multipart upload aborted on
// failure), then the handle removes it. S3 makes a new object visible whole
// and at once, and a refused or failed upload leaves the previous object. The
// one case PartitionStore's "was replaced" message cannot be given for: an
// answer lost on the way back (a network error once the retries are spent)
// after the server stored the new object; the next put() of the day settles
// it either way. The object carries x-amz-meta-sha256, which sha256() reads
// back with one HEAD.
//
// get(): downloads into a temporary file under staging_dir
// ("<encoded key>.get-<pid>-<n>"), checked against the object's SHA-256, which
// the returned LocalObject removes when it goes.
//
// Failures are SoiError naming the object's URL; their category is the
// client's (auth for refused credentials, config for a missing bucket, network,
// rate_limit, server, storage) rather than storage alone, so that a refused key
// reads as what it is.
//
// remove_stale_staging(prefix) drops the staging and download files of keys
// under `prefix` and aborts the multipart uploads in progress under it (a
// writer killed mid-upload leaves one): only the store's one writer calls it,
// at start-up.
//
// Threads: as PartitionStore states; the client may be shared by threads.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "sinks/store/partition_store.hpp"
#include "sinks/store/s3_client.hpp"
#include "sinks/store/s3_credentials.hpp"

namespace soi {

struct S3StoreOptions {
  S3ClientOptions client;
  std::string prefix;                   // keys go under prefix + "/" when non-empty
  std::filesystem::path staging_dir;    // <data_dir>/state/staging
};

class S3Store : public PartitionStore {
 public:
  // No I/O: the bucket is not contacted (client().check_bucket() does) and
  // the staging directory is created when first needed.
  S3Store(S3StoreOptions options, S3Credentials credentials);

  S3Client& client() { return client_; }
  // Uploads a local file under `key` without consuming it (mirror uploads,
  // soi sync); `known_sha256` as for copy_in().
  StoredObject put_copy(std::string_view key, const std::filesystem::path& file, std::string_view known_sha256 = {});
  // The bucket key of a store key: prefix + "/" + key.
  std::string object_key(std::string_view key) const;

  StagedFile stage(std::string_view key) override;
  StoredObject put(StagedFile staged) override;
  // An upload straight from the file (put_copy): no local copy is staged.
  using PartitionStore::copy_in;
  StoredObject copy_in(std::string_view key, const std::filesystem::path& file, std::string_view known_sha256) override {
    return put_copy(key, file, known_sha256);
  }
  std::optional<LocalObject> get(std::string_view key) override;
  std::vector<std::string> list(std::string_view prefix) override;
  bool remove(std::string_view key) override;
  std::optional<std::string> sha256(std::string_view key) override;
  std::string location(std::string_view key) const override;
  std::size_t remove_stale_staging(std::string_view prefix) override;

 private:
  // "<encoded key>.<kind>-<pid>-<n>" under staging_dir.
  std::filesystem::path local_file(std::string_view key, std::string_view kind);

  S3StoreOptions options_;
  std::string key_prefix_;  // "" or "<prefix>/"
  S3Client client_;
  std::atomic<std::uint64_t> file_counter_{0};
};

}  // namespace soi
