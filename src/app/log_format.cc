#include "app/log_format.h"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <chrono>

#include "domain/time.h"

namespace coldtrack::app {
namespace {

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

// A JSON string literal (quotes and escapes) of `s`.
void append_quoted(spdlog::memory_buf_t& dest, std::string_view s) {
  append(dest, boost::json::serialize(boost::json::string_view(s.data(), s.size())));
}

bool id_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_';
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
  std::string_view text(msg.payload.data(), msg.payload.size());
  std::string_view request_id;
  constexpr std::string_view kRequest = "request ";
  if (text.starts_with(kRequest)) {
    std::size_t end = kRequest.size();
    while (end < text.size() && id_char(text[end]) && end - kRequest.size() < 64) ++end;
    if (end > kRequest.size() && (end == text.size() || text[end] == ' ')) {
      request_id = text.substr(kRequest.size(), end - kRequest.size());
      text = text.substr(std::min(end + 1, text.size()));
    }
  }
  append(dest, R"({"ts":")");
  append(dest, domain::format_rfc3339(ms, 0));
  append(dest, R"(","level":")");
  const auto level = spdlog::level::to_string_view(msg.level);
  append(dest, std::string_view(level.data(), level.size()));
  append(dest, R"(","msg":)");
  append_quoted(dest, text);
  if (!request_id.empty()) {
    append(dest, R"(,"request_id":")");
    append(dest, request_id);  // only [0-9A-Za-z_-]: nothing to escape
    dest.push_back('"');
  }
  append(dest, "}\n");
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

void apply_log_format(std::string_view format) {
  if (format == "json") {
    spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
}

}  // namespace coldtrack::app
