// Log lines through the real binary: with log.format json every line on stderr is one JSON
// object, request lines carry their request id, and no personal data reaches the log.
#include <sstream>

#include "fixtures.h"

namespace coldtrack::it {
namespace {

TEST(Logs, JsonLinesWithRequestIdsAndNoPersonalData) {
  ServerProcess s({{"COLDTRACK_LOG_FORMAT", "json"}, {"COLDTRACK_LOG_LEVEL", "debug"}});
  s.start();
  const std::string phone = "13987654321";
  const auto no = unique_order_no("LOG");
  auto body = order_body(no, phone);
  body["customer"].as_object()["name"] = "欧阳娜娜";
  auto created = create_order(s, body);
  ASSERT_EQ(created.status, 201) << created.body;
  auto got = s.request("GET", "/api/orders/" + no + "?reveal=true", "", s.admin(),
                       {{"X-Request-Id", "it-log-req-1"}});
  ASSERT_EQ(got.status, 200) << got.body;
  ASSERT_NE(got.body.find(phone), std::string::npos) << "revealed to the admin";
  EXPECT_EQ(s.request("GET", "/api/orders?phone=" + phone, "", s.viewer()).status, 200);
  EXPECT_EQ(s.request("GET", "/api/track?order_no=" + no + "&phone_last4=4321").status, 200);
  ASSERT_EQ(s.stop(), 0);

  const auto log = s.stderr_text();
  std::istringstream lines(log);
  std::string l;
  int parsed = 0, with_id = 0;
  bool saw_ours = false;
  while (std::getline(lines, l)) {
    if (l.empty()) continue;
    boost::system::error_code ec;
    auto v = json::parse(l, ec);
    ASSERT_FALSE(ec) << "not JSON: " << l;
    ASSERT_TRUE(v.is_object()) << l;
    const auto& o = v.as_object();
    EXPECT_TRUE(o.contains("ts") && o.contains("level") && o.contains("msg")) << l;
    ++parsed;
    if (o.contains("request_id")) {
      ++with_id;
      saw_ours = saw_ours || str(o, "request_id") == "it-log-req-1";
    }
  }
  EXPECT_GT(parsed, 5);
  EXPECT_GE(with_id, 4) << "one access line per request at debug level";
  EXPECT_TRUE(saw_ours) << log;
  EXPECT_EQ(log.find(phone), std::string::npos) << "phone number in the log";
  EXPECT_EQ(log.find("4321"), std::string::npos) << "phone digits in the log";
  EXPECT_EQ(log.find("欧阳"), std::string::npos) << "name in the log";
}

TEST(Logs, LogFormatFlagIsValidated) {
  ServerProcess s;
  auto r = s.cli({"--log-format", "xml", "config-keys"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("log-format"), std::string::npos) << r.err;
  auto ok = s.cli({"--log-format", "json", "config-keys"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  // Global options may also follow the subcommand (`coldtrack serve --config FILE`).
  auto after = s.cli({"config-keys", "--log-format", "json"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  auto bad_after = s.cli({"config-keys", "--log-format", "xml"});
  EXPECT_NE(bad_after.exit_code, 0);
}

}  // namespace
}  // namespace coldtrack::it
