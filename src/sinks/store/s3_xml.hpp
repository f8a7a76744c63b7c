// The few S3 XML documents the client reads and writes, parsed by a tag
// extractor rather than an XML library: S3 answers are flat, machine-written
// documents whose elements we know by name, and no XML library is a dependency
// of the project. Element text is unescaped (&amp; &lt; &gt; &quot; &apos;
// and numeric references); anything we do not look for is skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soi {

// The text of the first <tag>...</tag> at or after `from` (attributes on the
// opening tag allowed, "<tag/>" is empty text), unescaped; nullopt when absent.
// `end`, when given, receives the position after the closing tag.
std::optional<std::string> xml_element_text(std::string_view xml, std::string_view tag, std::size_t from = 0,
                                            std::size_t* end = nullptr);
// The raw (still escaped) content of each <tag>...</tag> in order.
std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view tag);
// The name of the document's root element ("" when there is none): a 200
// answer whose root is "Error" is a failure.
std::string xml_root_name(std::string_view xml);

std::string xml_unescape(std::string_view text);
std::string xml_escape(std::string_view text);

// <Error><Code>..</Code><Message>..</Message></Error>
struct S3ErrorBody {
  std::string code;
  std::string message;
};
S3ErrorBody parse_s3_error(std::string_view xml);

struct S3ListedObject {
  std::string key;
  std::uint64_t bytes = 0;
  std::string etag;  // without quotes
};
// One ListObjectsV2 page (ListBucketResult).
struct S3ListPage {
  std::vector<S3ListedObject> objects;
  bool truncated = false;
  std::string next_continuation_token;
};
// Throws SoiError(parse) when the document is not a listing.
S3ListPage parse_s3_list_page(std::string_view xml);

struct S3ListedUpload {
  std::string key;
  std::string upload_id;
};
// One ListMultipartUploads page (ListMultipartUploadsResult).
struct S3UploadsPage {
  std::vector<S3ListedUpload> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
S3UploadsPage parse_s3_uploads_page(std::string_view xml);

// A part of a multipart upload as CompleteMultipartUpload names it.
struct S3CompletedPart {
  int number = 0;
  std::string etag;  // as UploadPart returned it
};
std::string s3_complete_multipart_body(const std::vector<S3CompletedPart>& parts);

// An ETag without its surrounding quotes.
std::string unquote_etag(std::string_view etag);

}  // namespace soi
