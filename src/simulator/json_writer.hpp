// Streaming JSON builder for simulator responses. Separators are tracked here so
// endpoint code reads like the document it writes; doubles use fmt's shortest
// round-trip form (598.62 stays "598.62"), non-finite doubles become null.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace soi::sim {

class JsonWriter {
 public:
  JsonWriter() = default;
  explicit JsonWriter(std::size_t reserve) { out_.reserve(reserve); }

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(double number);
  JsonWriter& value(bool flag);
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  JsonWriter& value(T number) {
    return integer(static_cast<std::int64_t>(number));
  }
  JsonWriter& null();
  // Inserts already-serialized JSON as one value.
  JsonWriter& raw(std::string_view json);

  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  JsonWriter& integer(std::int64_t number);
  void before_value();

  std::string out_;
  std::vector<char> has_items_;  // one entry per open object/array: whether it holds an item yet
  bool after_key_ = false;
};

// Appends `text` as a quoted JSON string literal.
void append_json_string(std::string& out, std::string_view text);

}  // namespace soi::sim
