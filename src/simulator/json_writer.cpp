#include "simulator/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "utils/json_text.hpp"

namespace soi::sim {

void append_json_string(std::string& out, std::string_view text) { append_json_quoted(out, text); }

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_items_.empty()) {
    if (has_items_.back()) out_ += ',';
    has_items_.back() = true;
  }
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  has_items_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_ += '}';
  has_items_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  has_items_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_ += ']';
  has_items_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  if (has_items_.back()) out_ += ',';
  has_items_.back() = true;
  append_json_string(out_, name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  before_value();
  append_json_string(out_, text);
  return *this;
}

namespace {

// Appends `number` when it is exactly the double nearest to k / 10^4 for an
// integer k, with |number| < 1e9: prices in cents or ten-thousandths and whole
// volumes, nearly every number of a day of bars. That decimal, trailing zeros
// dropped, is then the shortest form that reads back as `number` (any other
// decimal of as few digits is at least 1e-4 away, and a double below 1e9 is
// within 1.2e-7 of what reads back as it), so it is what fmt and to_chars
// write, here written from the integer in a fraction of their time.
bool append_ten_thousandths(std::string& out, double number) {
  if (!(std::fabs(number) < 1e9) || number == 0) return false;
  const long long k = std::llround(number * 10000.0);
  if (static_cast<double>(k) / 10000.0 != number) return false;
  const unsigned long long magnitude = static_cast<unsigned long long>(k < 0 ? -k : k);
  if (k < 0) out += '-';
  char text[24];
  const auto written = std::to_chars(text, text + sizeof text, magnitude / 10000);
  out.append(text, written.ptr);
  unsigned fraction = static_cast<unsigned>(magnitude % 10000);
  if (fraction != 0) {
    char digits[5] = {'.', static_cast<char>('0' + fraction / 1000), static_cast<char>('0' + fraction / 100 % 10),
                      static_cast<char>('0' + fraction / 10 % 10), static_cast<char>('0' + fraction % 10)};
    std::size_t length = 5;
    while (digits[length - 1] == '0') --length;
    out.append(digits, length);
  }
  return true;
}

}  // namespace

JsonWriter& JsonWriter::value(double number) {
  before_value();
  if (append_ten_thousandths(out_, number)) return *this;
  const double magnitude = std::fabs(number);
  if (!std::isfinite(number)) {
    out_ += "null";
  } else if (number == 0 || (magnitude >= 1e-4 && magnitude < 1e15)) {
    // Where fmt's shortest form is plain notation, the shortest fixed-notation
    // form is the same text, and to_chars writes it several times faster: a
    // day of bars is some 140,000 numbers.
    char text[64];
    const auto written = std::to_chars(text, text + sizeof text, number, std::chars_format::fixed);
    out_.append(text, written.ptr);
  } else {
    fmt::format_to(std::back_inserter(out_), "{}", number);
  }
  return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
  before_value();
  out_ += flag ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::integer(std::int64_t number) {
  before_value();
  char text[24];
  const auto written = std::to_chars(text, text + sizeof text, number);
  out_.append(text, written.ptr);
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  before_value();
  out_ += json;
  return *this;
}

}  // namespace soi::sim
