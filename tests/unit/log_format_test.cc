#include "app/log_format.h"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

#include <boost/json.hpp>

namespace coldtrack::app {
namespace {

boost::json::object line(std::string_view text,
                         spdlog::level::level_enum level = spdlog::level::info) {
  spdlog::details::log_msg msg("coldtrack", level, spdlog::string_view_t(text.data(), text.size()));
  msg.time = spdlog::log_clock::time_point(std::chrono::milliseconds(1795600000123));
  JsonLogFormatter f;
  spdlog::memory_buf_t buf;
  f.format(msg, buf);
  std::string out(buf.data(), buf.size());
  EXPECT_TRUE(out.ends_with("}\n")) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line per message: " << out;
  return boost::json::parse(out).as_object();
}

TEST(JsonLogFormat, OneObjectPerLineWithTimeLevelAndMessage) {
  auto o = line("archive run: 12 orders moved", spdlog::level::warn);
  EXPECT_EQ(o.at("ts").as_string(), "2026-11-25T09:46:40.123Z");
  EXPECT_EQ(o.at("level").as_string(), "warning");
  EXPECT_EQ(o.at("msg").as_string(), "archive run: 12 orders moved");
  EXPECT_FALSE(o.contains("request_id"));
}

TEST(JsonLogFormat, EscapesQuotesNewlinesAndKeepsChinese) {
  auto o = line("carrier said \"系统繁忙\"\nretrying\t\\ later");
  EXPECT_EQ(o.at("msg").as_string(), "carrier said \"系统繁忙\"\nretrying\t\\ later");
}

TEST(JsonLogFormat, LiftsTheRequestIdOfRequestLines) {
  auto o = line("request 3f9a0c1d2e4b5a69 store error: database is locked", spdlog::level::err);
  EXPECT_EQ(o.at("request_id").as_string(), "3f9a0c1d2e4b5a69");
  EXPECT_EQ(o.at("msg").as_string(), "store error: database is locked");
  EXPECT_EQ(o.at("level").as_string(), "error");
  // Not a request line: "request" followed by something that is no id stays in the message.
  auto other = line("request \"quoted\" refused");
  EXPECT_FALSE(other.contains("request_id"));
  EXPECT_EQ(other.at("msg").as_string(), "request \"quoted\" refused");
  auto bare = line("request abc");
  EXPECT_EQ(bare.at("request_id").as_string(), "abc");
  EXPECT_EQ(bare.at("msg").as_string(), "");
}

}  // namespace
}  // namespace coldtrack::app
