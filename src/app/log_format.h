// How log lines are written: "text" for people (the default) or "json": one JSON object a line
// for log collectors ({"ts","level","msg"} plus "request_id" when the line is about a request).
//
// Lines about one request start with "request <id> " (the convention of every such call site);
// the JSON format lifts the id into its own field so requests can be followed across lines.
// Log messages never carry personal data: handlers log ids and codes, not bodies.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

namespace coldtrack::app {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Sets the default logger's format: "text" or "json" (anything else: text).
void apply_log_format(std::string_view format);

}  // namespace coldtrack::app
