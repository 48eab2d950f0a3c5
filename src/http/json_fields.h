// Reading typed fields out of request JSON with errors that name the field's path.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "service/result.h"

namespace coldtrack::http {

class FieldReader {
 public:
  // `path` prefixes field names in errors ("customer" -> "customer.phone").
  FieldReader(const boost::json::object& obj, std::string path)
      : obj_(obj), path_(std::move(path)) {}

  std::string field(std::string_view name) const {
    return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
  }

  // Each returns false and sets error() on a wrong type or a missing required field.
  bool str(std::string_view name, std::string& out, bool required);
  bool int64(std::string_view name, std::int64_t& out, bool required);
  bool opt_int64(std::string_view name, std::optional<std::int64_t>& out);
  bool object(std::string_view name, const boost::json::object*& out, bool required);
  bool array(std::string_view name, const boost::json::array*& out, bool required);
  // RFC 3339 timestamp string.
  bool time(std::string_view name, std::optional<std::int64_t>& out);
  // Rejects fields other than `known` (typos such as "amount" for "amount_fen" are errors).
  bool only(std::initializer_list<std::string_view> known);

  const service::Error& error() const { return *error_; }
  bool failed() const { return error_.has_value(); }
  bool fail(std::string field, std::string message);

 private:
  const boost::json::value* find(std::string_view name, bool required);

  const boost::json::object& obj_;
  std::string path_;
  std::optional<service::Error> error_;
};

// Parses a request body as a JSON object; on failure the error says why.
service::Result<boost::json::object> parse_object(std::string_view body);

}  // namespace coldtrack::http
