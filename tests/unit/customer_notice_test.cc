#include "anomaly/customer_notice.h"

#include <gtest/gtest.h>

namespace coldtrack::anomaly {
namespace {

TEST(CustomerNotice, NothingOpenNothingSaid) {
  EXPECT_FALSE(customer_notice({}));
  EXPECT_FALSE(customer_notice({{"made_up_kind", "critical", "X", "{}", 1}}));
}

TEST(CustomerNotice, NoUpdateSaysHowLongInPlainWords) {
  auto n = customer_notice({{"no_update", "warning", "NO_UPDATE",
                             R"({"since":1,"silent_hours":26.4,"limit_hours":24})", 5}});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, "no_update");
  EXPECT_EQ(n->title, "物流更新延迟");
  EXPECT_EQ(n->message, "物流已超过26小时未更新，我们已在跟进快递公司。");
  // Days past two days; no carrier trace at all is told differently.
  EXPECT_EQ(
      customer_notice({{"no_update", "major", "NO_UPDATE", R"({"silent_hours":75})", 5}})->message,
      "物流已超过3天未更新，我们已在跟进快递公司。");
  EXPECT_EQ(
      customer_notice({{"no_update", "warning", "NO_TRACE", R"({"silent_hours":30})", 5}})->message,
      "快递公司暂未返回揽收信息，我们已在跟进。");
  // Evidence without the figure still gives a sentence.
  EXPECT_EQ(customer_notice({{"no_update", "warning", "NO_UPDATE", "not json", 5}})->message,
            "物流已超过较长时间未更新，我们已在跟进快递公司。");
}

TEST(CustomerNotice, CarrierProblemsUseTheCarriersReasonInChinese) {
  auto n = customer_notice({{"carrier_problem", "major", "UNREACHABLE", "{}", 1}});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->title, "配送异常");
  EXPECT_EQ(n->message, "快递公司反馈：联系不上收件人。我们已在处理，会尽快与您联系。");
  EXPECT_EQ(customer_notice({{"carrier_problem", "major", "RETURNING", "{}", 1}})->message,
            "包裹正在退回，我们会尽快与您联系处理。");
}

TEST(CustomerNotice, TheMostSevereWinsThenTheNewest) {
  const std::vector<OpenAnomaly> open = {
      {"late", "major", "PAST_ETA", R"({"late_hours":5.5})", 10},
      {"temperature", "critical", "above_-12", "{}", 5},
      {"no_update", "critical", "NO_UPDATE", R"({"silent_hours":30})", 7},
  };
  auto n = customer_notice(open);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, "no_update");  // critical like the temperature one, and newer
  EXPECT_EQ(n->severity, "critical");
  auto only_late = customer_notice({open[0]});
  EXPECT_EQ(only_late->message, "包裹比预计送达时间晚了约5小时，我们已在跟进。");
}

TEST(CustomerNotice, EveryKnownKindHasASentence) {
  for (const char* kind : {"no_update", "carrier_problem", "stuck_at_pickup", "late", "not_signed",
                           "not_shipped", "temperature"}) {
    auto n = customer_notice({{kind, "warning", "", "{}", 1}});
    ASSERT_TRUE(n) << kind;
    EXPECT_FALSE(n->title.empty()) << kind;
    EXPECT_FALSE(n->message.empty()) << kind;
    EXPECT_EQ(n->message.find("{}"), std::string::npos) << kind;
  }
}

}  // namespace
}  // namespace coldtrack::anomaly
