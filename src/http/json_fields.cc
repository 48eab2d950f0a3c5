#include "http/json_fields.h"

#include <fmt/format.h>

#include "domain/time.h"

namespace coldtrack::http {

namespace json = boost::json;

bool FieldReader::fail(std::string field, std::string message) {
  if (!error_) error_ = service::invalid(std::move(field), std::move(message));
  return false;
}

const json::value* FieldReader::find(std::string_view name, bool required) {
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) {
    if (required) fail(field(name), "is required");
    return nullptr;
  }
  return &it->value();
}

bool FieldReader::str(std::string_view name, std::string& out, bool required) {
  const auto* v = find(name, required);
  if (!v) return !required;
  if (!v->is_string()) return fail(field(name), "must be a string");
  out.assign(v->as_string().begin(), v->as_string().end());
  return true;
}

bool FieldReader::int64(std::string_view name, std::int64_t& out, bool required) {
  const auto* v = find(name, required);
  if (!v) return !required;
  if (v->is_int64()) {
    out = v->as_int64();
    return true;
  }
  if (v->is_uint64()) return fail(field(name), "is out of range");
  return fail(field(name), "must be an integer");
}

bool FieldReader::opt_int64(std::string_view name, std::optional<std::int64_t>& out) {
  std::int64_t v = 0;
  if (!obj_.contains(name) || obj_.at(name).is_null()) return true;
  if (!int64(name, v, true)) return false;
  out = v;
  return true;
}

bool FieldReader::object(std::string_view name, const json::object*& out, bool required) {
  const auto* v = find(name, required);
  if (!v) return !required;
  if (!v->is_object()) return fail(field(name), "must be an object");
  out = &v->as_object();
  return true;
}

bool FieldReader::array(std::string_view name, const json::array*& out, bool required) {
  const auto* v = find(name, required);
  if (!v) return !required;
  if (!v->is_array()) return fail(field(name), "must be an array");
  out = &v->as_array();
  return true;
}

bool FieldReader::time(std::string_view name, std::optional<std::int64_t>& out) {
  std::string s;
  if (!str(name, s, false)) return false;
  if (s.empty()) return true;
  auto t = domain::parse_rfc3339(s);
  if (!t)
    return fail(field(name),
                "must be an RFC 3339 time with offset, e.g. 2026-11-25T13:05:00+08:00");
  out = *t;
  return true;
}

bool FieldReader::only(std::initializer_list<std::string_view> known) {
  for (const auto& kv : obj_) {
    bool ok = false;
    for (auto k : known) ok = ok || kv.key() == k;
    if (!ok) return fail(field(kv.key()), "is not a known field");
  }
  return true;
}

service::Result<json::object> parse_object(std::string_view body) {
  if (body.empty()) return service::invalid("", "request body must be a JSON object");
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 20;
  auto v = json::parse(body, ec, {}, opts);
  if (ec) return service::invalid("", fmt::format("malformed JSON: {}", ec.message()));
  if (!v.is_object()) return service::invalid("", "request body must be a JSON object");
  return std::move(v.as_object());
}

}  // namespace coldtrack::http
