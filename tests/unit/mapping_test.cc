#include "carriers/mapping.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace coldtrack::carriers {
namespace {

using S = TrackingStatus;

struct Expect {
  const char* code;
  S status;
  const char* reason;
};

// Written out from protocols/carrier-codes.md §3 (not copied from mapping.cc).
const std::vector<Expect> kKdniaoState = {
    {"0", S::kNoInfo, ""},    {"1", S::kPickedUp, ""},       {"2", S::kInTransit, ""},
    {"3", S::kDelivered, ""}, {"4", S::kException, "OTHER"}, {"5", S::kInTransit, "FORWARDED"},
    {"6", S::kCustoms, ""},
};

const std::vector<Expect> kKdniaoStateEx = {
    {"0", S::kNoInfo, ""},
    {"1", S::kPickedUp, ""},
    {"2", S::kInTransit, ""},
    {"201", S::kInTransit, ""},
    {"202", S::kOutForDelivery, ""},
    {"204", S::kInTransit, ""},
    {"205", S::kInTransit, ""},
    {"206", S::kInTransit, ""},
    {"211", S::kAtPickupPoint, ""},
    {"3", S::kDelivered, ""},
    {"301", S::kDelivered, ""},
    {"302", S::kDelivered, ""},
    {"304", S::kDelivered, ""},
    {"311", S::kDelivered, ""},
    {"4", S::kException, "OTHER"},
    {"401", S::kException, "NO_TRACE"},
    {"402", S::kException, "NOT_SIGNED_TIMEOUT"},
    {"403", S::kException, "NO_UPDATE"},
    {"404", S::kException, "REJECTED"},
    {"405", S::kException, "DELIVERY_FAILED"},
    {"406", S::kReturned, ""},
    {"407", S::kReturning, ""},
    {"412", S::kException, "PICKUP_OVERDUE"},
    {"413", S::kException, "REDIRECTED"},
    {"414", S::kException, "DAMAGED"},
    {"415", S::kException, "CANCELLED"},
    {"416", S::kException, "UNREACHABLE"},
    {"417", S::kException, "DELAYED"},
    {"418", S::kException, "HELD"},
    {"419", S::kException, "ADDRESS_PROBLEM"},
    {"420", S::kException, "COLLECTION_FAILED"},
    {"421", S::kException, "DELAYED"},
    {"422", S::kException, "LOST"},
    {"423", S::kException, "OTHER"},
    {"5", S::kInTransit, "FORWARDED"},
    {"6", S::kCustoms, ""},
    {"601", S::kCustoms, ""},
    {"602", S::kCustoms, ""},
    {"603", S::kCustoms, ""},
    {"604", S::kCustoms, ""},
    {"10", S::kAwaitingPickup, ""},
};

// carrier-codes.md §4.
const std::vector<Expect> kKuaidi100State = {
    {"0", S::kInTransit, ""},
    {"1", S::kPickedUp, ""},
    {"2", S::kException, "OTHER"},
    {"3", S::kDelivered, ""},
    {"4", S::kReturned, ""},
    {"5", S::kOutForDelivery, ""},
    {"6", S::kReturning, ""},
    {"7", S::kInTransit, "FORWARDED"},
    {"8", S::kCustoms, ""},
    {"10", S::kCustoms, ""},
    {"11", S::kCustoms, ""},
    {"12", S::kCustoms, ""},
    {"13", S::kException, "CUSTOMS_PROBLEM"},
    {"14", S::kException, "REJECTED"},
};

const std::vector<Expect> kKuaidi100SubState = {
    {"101", S::kAwaitingPickup, ""},
    {"102", S::kAwaitingPickup, ""},
    {"103", S::kPickedUp, ""},
    {"1001", S::kInTransit, ""},
    {"1002", S::kInTransit, ""},
    {"1003", S::kInTransit, "FORWARDED"},
    {"501", S::kAtPickupPoint, ""},
    {"301", S::kDelivered, ""},
    {"302", S::kDelivered, ""},
    {"303", S::kDelivered, ""},
    {"304", S::kDelivered, ""},
    {"401", S::kException, "CANCELLED"},
    {"201", S::kException, "NOT_SIGNED_TIMEOUT"},
    {"202", S::kException, "NO_UPDATE"},
    {"203", S::kException, "REJECTED"},
    {"204", S::kException, "DELIVERY_FAILED"},
    {"205", S::kException, "PICKUP_OVERDUE"},
    {"206", S::kException, "UNREACHABLE"},
    {"207", S::kException, "ADDRESS_PROBLEM"},
    {"208", S::kException, "DELAYED"},
    {"209", S::kException, "DAMAGED"},
    {"210", S::kException, "CANCELLED"},
};

void ExpectMapped(const Mapped& m, const Expect& e, const std::string& where) {
  EXPECT_TRUE(m.known) << where;
  EXPECT_EQ(to_string(m.unified.status), to_string(e.status)) << where;
  EXPECT_EQ(m.unified.reason, e.reason) << where;
  if (e.status == S::kException || !m.unified.reason.empty()) {
    EXPECT_TRUE(is_known_reason(m.unified.reason)) << where;
  }
}

void ExpectUnknown(const Mapped& m, const std::string& where) {
  EXPECT_FALSE(m.known) << where;
  EXPECT_EQ(m.unified.status, S::kNoInfo) << where;
  EXPECT_EQ(m.unified.reason, "") << where;
}

// Captures the default logger's output for the lifetime of the object.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("mapping_test_capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  int count(const std::string& needle) const {
    const std::string text = out_.str();
    int n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + needle.size()))
      ++n;
    return n;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

// ---- Kdniao ------------------------------------------------------------------------------------

TEST(MappingKdniao, EveryStateCode) {
  EXPECT_EQ(kKdniaoState.size(), 7u);
  for (const auto& e : kKdniaoState) {
    ExpectMapped(map_kdniao(e.code, ""), e, std::string("State ") + e.code);
  }
}

TEST(MappingKdniao, EveryStateExCode) {
  EXPECT_EQ(kKdniaoStateEx.size(), 41u);
  for (const auto& e : kKdniaoStateEx) {
    ExpectMapped(map_kdniao("", e.code), e, std::string("StateEx ") + e.code);
    // StateEx wins over any State.
    ExpectMapped(map_kdniao("2", e.code), e, std::string("State 2 + StateEx ") + e.code);
  }
}

TEST(MappingKdniao, SpecificCodeWins) {
  const auto m = map_kdniao("3", "407");  // State says signed, StateEx says returning
  EXPECT_TRUE(m.known);
  EXPECT_EQ(m.unified.status, S::kReturning);
  EXPECT_EQ(map_kdniao("2", "202").unified.status, S::kOutForDelivery);
  EXPECT_EQ(map_kdniao("4", "412").unified.reason, "PICKUP_OVERDUE");
}

TEST(MappingKdniao, UnknownStateExFallsBackToState) {
  ExpectMapped(map_kdniao("2", "299"), {"2", S::kInTransit, ""}, "2/299");
  ExpectMapped(map_kdniao("4", "499"), {"4", S::kException, "OTHER"}, "4/499");
  ExpectMapped(map_kdniao("2", ""), {"2", S::kInTransit, ""}, "2/absent");
  ExpectMapped(map_kdniao("2", "   "), {"2", S::kInTransit, ""}, "2/blank");
}

TEST(MappingKdniao, WhitespaceAroundCodes) {
  ExpectMapped(map_kdniao(" 2 ", " 202\t"), {"202", S::kOutForDelivery, ""}, "padded");
  ExpectMapped(map_kdniao("\n3\r\n", ""), {"3", S::kDelivered, ""}, "padded state");
}

TEST(MappingKdniao, UnknownCodes) {
  ExpectUnknown(map_kdniao("", ""), "both absent");
  ExpectUnknown(map_kdniao("  ", " "), "both blank");
  ExpectUnknown(map_kdniao("99", ""), "state 99");
  ExpectUnknown(map_kdniao("99", "999"), "99/999");
  ExpectUnknown(map_kdniao("", "999"), "StateEx 999 only");
  ExpectUnknown(map_kdniao("02", ""), "leading zero is not the same code");
  ExpectUnknown(map_kdniao("201", ""), "StateEx-only code is not a State");
  ExpectUnknown(map_kdniao("IN_TRANSIT", ""), "text");
}

// ---- Kuaidi100 ---------------------------------------------------------------------------------

TEST(MappingKuaidi100, EveryStateCode) {
  EXPECT_EQ(kKuaidi100State.size(), 14u);
  for (const auto& e : kKuaidi100State) {
    ExpectMapped(map_kuaidi100(e.code, ""), e, std::string("state ") + e.code);
  }
}

TEST(MappingKuaidi100, EverySubStateCode) {
  EXPECT_EQ(kKuaidi100SubState.size(), 22u);
  for (const auto& e : kKuaidi100SubState) {
    ExpectMapped(map_kuaidi100("", e.code), e, std::string("sub ") + e.code);
    ExpectMapped(map_kuaidi100("0", e.code), e, std::string("state 0 + sub ") + e.code);
  }
}

TEST(MappingKuaidi100, SpecificCodeWins) {
  // 501: Kuaidi100's own table (locker/station) wins over the brief's "out for delivery".
  EXPECT_EQ(map_kuaidi100("5", "501").unified.status, S::kAtPickupPoint);
  EXPECT_EQ(map_kuaidi100("2", "205").unified.reason, "PICKUP_OVERDUE");
  EXPECT_EQ(map_kuaidi100("0", "1003").unified.reason, "FORWARDED");
}

TEST(MappingKuaidi100, UnknownSubStateFallsBackToState) {
  ExpectMapped(map_kuaidi100("2", "299"), {"2", S::kException, "OTHER"}, "2/299");
  ExpectMapped(map_kuaidi100("0", "1009"), {"0", S::kInTransit, ""}, "0/1009");
  ExpectMapped(map_kuaidi100("5", ""), {"5", S::kOutForDelivery, ""}, "5/absent");
}

TEST(MappingKuaidi100, WhitespaceAroundCodes) {
  ExpectMapped(map_kuaidi100(" 3 ", " 304 "), {"304", S::kDelivered, ""}, "padded");
}

TEST(MappingKuaidi100, UnknownCodes) {
  ExpectUnknown(map_kuaidi100("", ""), "both absent");
  ExpectUnknown(map_kuaidi100("9", ""), "state 9");
  ExpectUnknown(map_kuaidi100("15", "1500"), "15/1500");
  ExpectUnknown(map_kuaidi100("", "999"), "sub 999 only");
  ExpectUnknown(map_kuaidi100("101", ""), "sub-state is not a base state");
}

// ---- unknown-code logging ----------------------------------------------------------------------

TEST(MappingUnknownLog, LoggedOncePerDistinctRawValue) {
  LogCapture capture;
  for (int i = 0; i < 3; ++i) {
    map_kdniao("", "98765");
    map_kuaidi100("87654", "");
  }
  map_kdniao("2", "98766");  // a different value, and a fallback still logs the unknown one
  EXPECT_EQ(capture.count("98765"), 1);
  EXPECT_EQ(capture.count("87654"), 1);
  EXPECT_EQ(capture.count("98766"), 1);
}

TEST(MappingUnknownLog, ThreadSafeAndOnce) {
  LogCapture capture;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 200; ++i) {
        const auto m = map_kdniao("76543", "");
        EXPECT_FALSE(m.known);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(capture.count("76543"), 1);
}

TEST(MappingUnknownLog, ControlCharactersAreNotLoggedRaw) {
  LogCapture capture;
  map_kdniao("", "9\nFAKE LOG LINE");
  EXPECT_EQ(capture.count("9\nFAKE"), 0);
  EXPECT_EQ(capture.count("9?FAKE LOG LINE"), 1);
}

TEST(MappingUnknownLog, KnownCodesAreNotLogged) {
  LogCapture capture;
  map_kdniao("2", "202");
  map_kuaidi100("0", "1002");
  EXPECT_EQ(capture.count("unknown"), 0);
}

}  // namespace
}  // namespace coldtrack::carriers
