#include "sinks/store/s3_xml.hpp"

#include <cstdlib>

#include "utils/error.hpp"

namespace soi {
namespace {

// The next opening tag named exactly `tag` at or after `from`: the position
// of its '<' and of the character after its '>', and whether it is "<tag/>".
struct OpenTag {
  std::size_t start = std::string_view::npos;
  std::size_t content = 0;
  bool empty = false;
};

OpenTag find_open_tag(std::string_view xml, std::string_view tag, std::size_t from) {
  for (std::size_t at = xml.find('<', from); at != std::string_view::npos; at = xml.find('<', at + 1)) {
    if (xml.substr(at + 1, tag.size()) != tag) continue;
    const std::size_t after = at + 1 + tag.size();
    if (after >= xml.size()) break;
    const char next = xml[after];
    if (next != '>' && next != '/' && next != ' ' && next != '\t' && next != '\r' && next != '\n') continue;
    const std::size_t close = xml.find('>', after);
    if (close == std::string_view::npos) break;
    return {at, close + 1, xml[close - 1] == '/'};
  }
  return {};
}

// The raw content of the element whose opening tag is `open`, and the
// position after its closing tag; nullopt when it is not closed.
std::optional<std::string_view> content_of(std::string_view xml, std::string_view tag, const OpenTag& open,
                                           std::size_t& end) {
  if (open.empty) {
    end = open.content;
    return std::string_view();
  }
  const std::string closing = "</" + std::string(tag) + ">";
  const std::size_t close = xml.find(closing, open.content);
  if (close == std::string_view::npos) return std::nullopt;
  end = close + closing.size();
  return xml.substr(open.content, close - open.content);
}

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::uint64_t to_u64(const std::optional<std::string>& text) {
  return text ? std::strtoull(text->c_str(), nullptr, 10) : 0;
}

}  // namespace

std::optional<std::string> xml_element_text(std::string_view xml, std::string_view tag, std::size_t from,
                                            std::size_t* end) {
  const OpenTag open = find_open_tag(xml, tag, from);
  if (open.start == std::string_view::npos) return std::nullopt;
  std::size_t after = 0;
  const auto content = content_of(xml, tag, open, after);
  if (!content) return std::nullopt;
  if (end) *end = after;
  return xml_unescape(*content);
}

std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  for (;;) {
    const OpenTag open = find_open_tag(xml, tag, from);
    if (open.start == std::string_view::npos) break;
    std::size_t after = 0;
    const auto content = content_of(xml, tag, open, after);
    if (!content) break;
    out.push_back(*content);
    from = after;
  }
  return out;
}

std::string xml_root_name(std::string_view xml) {
  std::size_t at = 0;
  for (;;) {
    at = xml.find('<', at);
    if (at == std::string_view::npos || at + 1 >= xml.size()) return {};
    const char next = xml[at + 1];
    if (next != '?' && next != '!') break;  // the declaration, a comment
    at = xml.find('>', at);
    if (at == std::string_view::npos) return {};
  }
  const std::size_t name_end = xml.find_first_of(" \t\r\n/>", at + 1);
  return std::string(xml.substr(at + 1, name_end == std::string_view::npos ? xml.npos : name_end - at - 1));
}

std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const std::size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += text[i];
      continue;
    }
    const std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") out += '&';
    else if (entity == "lt") out += '<';
    else if (entity == "gt") out += '>';
    else if (entity == "quot") out += '"';
    else if (entity == "apos") out += '\'';
    else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const std::string digits(entity.substr(hex ? 2 : 1));
      char* stop = nullptr;
      const unsigned long cp = std::strtoul(digits.c_str(), &stop, hex ? 16 : 10);
      if (digits.empty() || *stop != '\0' || cp > 0x10FFFF) {
        out.append(text.substr(i, semi - i + 1));
      } else {
        append_utf8(out, cp);
      }
    } else {
      out.append(text.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

S3ErrorBody parse_s3_error(std::string_view xml) {
  S3ErrorBody error;
  if (auto code = xml_element_text(xml, "Code")) error.code = std::move(*code);
  if (auto message = xml_element_text(xml, "Message")) error.message = std::move(*message);
  return error;
}

S3ListPage parse_s3_list_page(std::string_view xml) {
  if (xml_root_name(xml) != "ListBucketResult")
    throw SoiError(ErrorCategory::parse, "the answer to a listing is not a ListBucketResult document");
  S3ListPage page;
  for (const std::string_view contents : xml_elements(xml, "Contents")) {
    S3ListedObject object;
    object.key = xml_element_text(contents, "Key").value_or("");
    object.bytes = to_u64(xml_element_text(contents, "Size"));
    object.etag = unquote_etag(xml_element_text(contents, "ETag").value_or(""));
    page.objects.push_back(std::move(object));
  }
  page.truncated = xml_element_text(xml, "IsTruncated").value_or("false") == "true";
  page.next_continuation_token = xml_element_text(xml, "NextContinuationToken").value_or("");
  return page;
}

S3UploadsPage parse_s3_uploads_page(std::string_view xml) {
  if (xml_root_name(xml) != "ListMultipartUploadsResult")
    throw SoiError(ErrorCategory::parse, "the answer to an upload listing is not a ListMultipartUploadsResult document");
  S3UploadsPage page;
  for (const std::string_view upload : xml_elements(xml, "Upload"))
    page.uploads.push_back({xml_element_text(upload, "Key").value_or(""),
                            xml_element_text(upload, "UploadId").value_or("")});
  page.truncated = xml_element_text(xml, "IsTruncated").value_or("false") == "true";
  page.next_key_marker = xml_element_text(xml, "NextKeyMarker").value_or("");
  page.next_upload_id_marker = xml_element_text(xml, "NextUploadIdMarker").value_or("");
  return page;
}

std::string s3_complete_multipart_body(const std::vector<S3CompletedPart>& parts) {
  std::string xml = "<CompleteMultipartUpload>";
  for (const S3CompletedPart& part : parts) {
    xml += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>" + xml_escape(part.etag) +
           "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  return xml;
}

std::string unquote_etag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

}  // namespace soi
