// Object-store (S3) XML answers: error bodies, ListObjectsV2 and
// ListMultipartUploads pages give a value or a parse SoiError; escaping round-trips.
#include <cstdint>

#include "fuzz_support.hpp"
#include "sinks/store/s3_xml.hpp"
#include "utils/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml = soi::fuzz::as_text(data, size);
  soi::xml_root_name(xml);
  soi::parse_s3_error(xml);
  try {
    soi::parse_s3_list_page(xml);
  } catch (const soi::SoiError& e) {
    soi::fuzz::check(e.category() == soi::ErrorCategory::parse, "s3 list: error is not a parse error");
  }
  try {
    soi::parse_s3_uploads_page(xml);
  } catch (const soi::SoiError& e) {
    soi::fuzz::check(e.category() == soi::ErrorCategory::parse, "s3 uploads: error is not a parse error");
  }
  std::size_t end = 0;
  soi::xml_element_text(xml, "Key", 0, &end);
  soi::fuzz::check(end <= xml.size(), "s3: element end past the document");
  soi::xml_elements(xml, "Contents");
  soi::unquote_etag(xml);
  soi::fuzz::check(soi::xml_unescape(soi::xml_escape(xml)) == xml, "xml: escape/unescape round trip");
  return 0;
}
