#include <gtest/gtest.h>

#include <random>
#include <string>

#include "domain/masking.h"
#include "domain/time.h"

namespace coldtrack::domain {
namespace {

// ---- masking ----------------------------------------------------------------------------------

TEST(MaskPhone, KeepsFirstThreeAndLastFour) {
  EXPECT_EQ(mask_phone("13812345678"), "138****5678");
  EXPECT_EQ(mask_phone("17000000001"), "170****0001");
}

TEST(MaskPhone, ShortValuesAreFullyHidden) {
  EXPECT_EQ(mask_phone(""), "****");
  EXPECT_EQ(mask_phone("1"), "****");
  EXPECT_EQ(mask_phone("5678"), "****");
  EXPECT_EQ(mask_phone("123456"), "****");
}

TEST(MaskPhone, NeverContainsTheFullNumber) {
  for (const char* phone : {"13812345678", "19900001111", "8613812345678"}) {
    const std::string masked = mask_phone(phone);
    EXPECT_EQ(masked.find(phone), std::string::npos) << masked;
    EXPECT_NE(masked.find("****"), std::string::npos) << masked;
  }
}

TEST(MaskName, KeepsFirstCharacterUtf8Aware) {
  EXPECT_EQ(mask_name("张三"), "张*");
  EXPECT_EQ(mask_name("欧阳娜娜"), "欧***");
  EXPECT_EQ(mask_name("王秀英"), "王**");
  EXPECT_EQ(mask_name("Tom"), "T**");
  EXPECT_EQ(mask_name("\xF0\x9F\x98\x80"
                      "ab"),
            "\xF0\x9F\x98\x80**");  // 4-byte first char
}

TEST(MaskName, SingleCharacterOrEmptyBecomesStar) {
  EXPECT_EQ(mask_name("张"), "*");
  EXPECT_EQ(mask_name("A"), "*");
  EXPECT_EQ(mask_name(""), "*");
}

TEST(MaskName, OutputIsValidUtf8WithOneStarPerHiddenCharacter) {
  const std::string masked = mask_name("司马相如");
  EXPECT_EQ(masked, "司***");
  EXPECT_EQ(masked.find("马"), std::string::npos);
}

// ---- RFC 3339 formatting ----------------------------------------------------------------------

constexpr EpochMs k20261125T0505Z = 1795583100000;  // 2026-11-25T05:05:00Z
constexpr EpochMs kLeapDay2024 = 1709164800000;     // 2024-02-29T00:00:00Z
constexpr EpochMs k20261231T1600Z = 1798732800000;  // 2026-12-31T16:00:00Z

TEST(FormatRfc3339, ChinaOffset) {
  EXPECT_EQ(format_rfc3339(k20261125T0505Z, 480), "2026-11-25T13:05:00+08:00");
}

TEST(FormatRfc3339, UtcUsesZ) {
  EXPECT_EQ(format_rfc3339(k20261125T0505Z, 0), "2026-11-25T05:05:00Z");
  EXPECT_EQ(format_rfc3339(0, 0), "1970-01-01T00:00:00Z");
}

TEST(FormatRfc3339, NegativeAndFractionalHourOffsets) {
  EXPECT_EQ(format_rfc3339(k20261125T0505Z, -300), "2026-11-25T00:05:00-05:00");
  EXPECT_EQ(format_rfc3339(k20261125T0505Z, -330), "2026-11-24T23:35:00-05:30");
  EXPECT_EQ(format_rfc3339(k20261125T0505Z, 330), "2026-11-25T10:35:00+05:30");
  EXPECT_EQ(format_rfc3339(k20261125T0505Z, 545), "2026-11-25T14:10:00+09:05");
  EXPECT_EQ(format_rfc3339(k20261125T0505Z, -720), "2026-11-24T17:05:00-12:00");
  EXPECT_EQ(format_rfc3339(k20261125T0505Z, 840), "2026-11-25T19:05:00+14:00");
}

TEST(FormatRfc3339, RoundTripsThroughTheParserOverRandomTimesAndOffsets) {
  // The formatter writes digits by hand: every field at every width must survive a round trip.
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<EpochMs> when(0, 253402300799999);  // 1970 .. 9999-12-31
  std::uniform_int_distribution<int> offset(-720, 840);
  for (int i = 0; i < 20000; ++i) {
    const EpochMs t = i % 3 == 0 ? when(rng) / 1000 * 1000 : when(rng);
    const int off = i % 5 == 0 ? 0 : offset(rng);
    const auto text = format_rfc3339(t, off);
    const auto back = parse_rfc3339(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(*back, t) << text;
    ASSERT_EQ(text.size(), 19u + (t % 1000 ? 4u : 0u) + (off == 0 ? 1u : 6u)) << text;
  }
  EXPECT_EQ(format_rfc3339(253402300799999, 0), "9999-12-31T23:59:59.999Z");
}

TEST(FormatRfc3339, MillisecondsOnlyWhenNonZero) {
  EXPECT_EQ(format_rfc3339(k20261125T0505Z + 123, 480), "2026-11-25T13:05:00.123+08:00");
  EXPECT_EQ(format_rfc3339(k20261125T0505Z + 7, 0), "2026-11-25T05:05:00.007Z");
  EXPECT_EQ(format_rfc3339(k20261125T0505Z + 999, 0), "2026-11-25T05:05:00.999Z");
  EXPECT_EQ(format_rfc3339(k20261125T0505Z + 1000, 0), "2026-11-25T05:05:01Z");
}

TEST(FormatRfc3339, LocalDateRollsOver) {
  EXPECT_EQ(format_rfc3339(k20261231T1600Z, 480), "2027-01-01T00:00:00+08:00");
  EXPECT_EQ(format_rfc3339(k20261231T1600Z - 1, 480), "2026-12-31T23:59:59.999+08:00");
  EXPECT_EQ(format_rfc3339(0, -60), "1969-12-31T23:00:00-01:00");
}

TEST(FormatRfc3339, LeapDay) {
  EXPECT_EQ(format_rfc3339(kLeapDay2024, 0), "2024-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(kLeapDay2024 - 1, 480), "2024-02-29T07:59:59.999+08:00");
  EXPECT_EQ(format_rfc3339(kLeapDay2024 + 86'400'000, 0), "2024-03-01T00:00:00Z");
}

TEST(FormatRfc3339, BeforeTheEpoch) {
  EXPECT_EQ(format_rfc3339(-1000, 0), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(-1, 0), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(-86'400'000, 0), "1969-12-31T00:00:00Z");
}

// ---- RFC 3339 parsing -------------------------------------------------------------------------

TEST(ParseRfc3339, OffsetsAndZulu) {
  EXPECT_EQ(parse_rfc3339("2026-11-25T13:05:00+08:00"), k20261125T0505Z);
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00Z"), k20261125T0505Z);
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00z"), k20261125T0505Z);
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00+00:00"), k20261125T0505Z);
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00-00:00"), k20261125T0505Z);
  EXPECT_EQ(parse_rfc3339("2026-11-25T00:05:00-05:00"), k20261125T0505Z);
  EXPECT_EQ(parse_rfc3339("2026-11-24T23:35:00-05:30"), k20261125T0505Z);
  EXPECT_EQ(parse_rfc3339("2026-11-25T19:05:00+14:00"), k20261125T0505Z);
  EXPECT_EQ(parse_rfc3339("2026-11-24T17:05:00-12:00"), k20261125T0505Z);
}

TEST(ParseRfc3339, AlternativeSeparators) {
  EXPECT_EQ(parse_rfc3339("2026-11-25t13:05:00+08:00"), k20261125T0505Z);
  EXPECT_EQ(parse_rfc3339("2026-11-25 13:05:00+08:00"), k20261125T0505Z);
  EXPECT_FALSE(parse_rfc3339("2026-11-25_13:05:00+08:00"));
  EXPECT_FALSE(parse_rfc3339("2026/11/25T13:05:00+08:00"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13.05.00+08:00"));
}

TEST(ParseRfc3339, Fractions) {
  EXPECT_EQ(parse_rfc3339("2026-11-25T13:05:00.123+08:00"), k20261125T0505Z + 123);
  EXPECT_EQ(parse_rfc3339("2026-11-25T13:05:00.1+08:00"), k20261125T0505Z + 100);
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00.12Z"), k20261125T0505Z + 120);
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00.007Z"), k20261125T0505Z + 7);
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00.000Z"), k20261125T0505Z);
  // Sub-millisecond digits are accepted and truncated.
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00.123456Z"), k20261125T0505Z + 123);
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00.123456789Z"), k20261125T0505Z + 123);
  EXPECT_EQ(parse_rfc3339("2026-11-25T05:05:00.999999999Z"), k20261125T0505Z + 999);
  EXPECT_FALSE(parse_rfc3339("2026-11-25T05:05:00.1234567890Z"));  // more than 9 digits
  EXPECT_FALSE(parse_rfc3339("2026-11-25T05:05:00.Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T05:05:00.+08:00"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T05:05:00,123Z"));
}

TEST(ParseRfc3339, LeapDays) {
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), kLeapDay2024);
  EXPECT_EQ(parse_rfc3339("2024-02-29T08:00:00+08:00"), kLeapDay2024);
  EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z"));   // divisible by 400
  EXPECT_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));  // not a leap year
  EXPECT_FALSE(parse_rfc3339("1900-02-29T00:00:00Z"));  // divisible by 100, not 400
  EXPECT_FALSE(parse_rfc3339("2024-02-30T00:00:00Z"));
}

TEST(ParseRfc3339, RejectsImpossibleDates) {
  EXPECT_FALSE(parse_rfc3339("2026-02-30T00:00:00+08:00"));
  EXPECT_FALSE(parse_rfc3339("2026-02-29T00:00:00+08:00"));
  EXPECT_FALSE(parse_rfc3339("2026-04-31T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-00-10T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-01-00T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-01-32T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("2026-01-31T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("2026-12-31T23:59:59Z"));
}

TEST(ParseRfc3339, RejectsImpossibleTimes) {
  EXPECT_FALSE(parse_rfc3339("2026-11-25T24:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T23:60:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T23:59:61Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T99:00:00Z"));
}

TEST(ParseRfc3339, LeapSecondIsFoldedIntoTheLastSecond) {
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), parse_rfc3339("2016-12-31T23:59:59Z"));
}

TEST(ParseRfc3339, RejectsMissingOrMalformedOffset) {
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00.123"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+0800"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+08"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+8:00"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+08:0"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+15:00"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+08:60"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00 +08:00"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00UTC"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+aa:bb"));
}

TEST(ParseRfc3339, RejectsTrailingCharacters) {
  EXPECT_FALSE(parse_rfc3339("2026-11-25T05:05:00Zx"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T05:05:00ZZ"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T05:05:00Z "));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+08:00 "));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+08:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T13:05:00+08:000"));
  EXPECT_FALSE(parse_rfc3339(std::string_view("2026-11-25T05:05:00Z\0", 21)));
}

TEST(ParseRfc3339, RejectsGarbage) {
  for (const char* bad :
       {"", "Z", "hello", "2026-11-25", "2026-11-25T13:05Z", "13:05:00+08:00",
        "2026-11-25T13:05:00+08:00:00", "20261125T130500Z", "2026-1-25T13:05:00Z",
        "2026-11-5T13:05:00Z", "2026-11-25T1:05:00Z", "-026-11-25T13:05:00Z",
        "2026-11-25T13:05:0aZ", "２０２６-11-25T13:05:00Z", "yyyy-mm-ddThh:mm:ssZ",
        "2026-11-25T13:05:00.000000000000000000000000000Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
  EXPECT_FALSE(parse_rfc3339(std::string(1 << 20, '2')));
}

TEST(ParseRfc3339, BeforeTheEpoch) {
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(parse_rfc3339("1970-01-01T08:00:00+08:00"), 0);
}

TEST(Rfc3339RoundTrip, FormatThenParseIsIdentityForManyValuesAndOffsets) {
  std::mt19937_64 rng(42);
  // 1970-01-01 .. 2100-01-01.
  std::uniform_int_distribution<EpochMs> dist(0, 4'102'444'800'000);
  const int offsets[] = {0, 480, -300, 330, 545, -720, 840, -1, 1, -59};
  int checked = 0;
  for (int i = 0; i < 2000; ++i) {
    EpochMs t = dist(rng);
    if (i % 3 == 0) t -= t % 1000;  // whole seconds too (no fraction printed)
    for (int off : offsets) {
      const std::string text = format_rfc3339(t, off);
      const auto back = parse_rfc3339(text);
      ASSERT_TRUE(back.has_value()) << text;
      EXPECT_EQ(*back, t) << text;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 20000);
}

TEST(Rfc3339RoundTrip, SpecialInstants) {
  for (EpochMs t :
       {EpochMs{0}, EpochMs{-1}, EpochMs{1}, kLeapDay2024, kLeapDay2024 - 1, k20261231T1600Z,
        k20261231T1600Z - 1, EpochMs{946684800000}, EpochMs{951782400000} /* 2000-02-29 */}) {
    for (int off : {0, 480, -480}) {
      const std::string text = format_rfc3339(t, off);
      EXPECT_EQ(parse_rfc3339(text), t) << text;
    }
  }
}

TEST(Rfc3339RoundTrip, ParseThenFormatGivesTheCanonicalText) {
  for (const char* text : {"2026-11-25T13:05:00+08:00", "2026-11-25T05:05:00Z",
                           "2026-11-25T05:05:00.123Z", "2024-02-29T23:59:59.999+08:00",
                           "1999-12-31T23:59:59-05:00", "2026-06-01T00:00:00+05:30"}) {
    const auto t = parse_rfc3339(text);
    ASSERT_TRUE(t.has_value()) << text;
    std::string s(text);
    int off = 0;
    if (s.back() != 'Z') {
      const auto sign = s[s.size() - 6] == '-' ? -1 : 1;
      off = sign * (std::stoi(s.substr(s.size() - 5, 2)) * 60 + std::stoi(s.substr(s.size() - 2)));
    }
    EXPECT_EQ(format_rfc3339(*t, off), text);
  }
}

}  // namespace
}  // namespace coldtrack::domain

#include "http/json_text.h"

namespace coldtrack::http {
namespace {

TEST(JsonText, FractionsArePlainDecimalsAndStringsAreUntouched) {
  boost::json::object o{{"t", -18.5},   {"c", 0.77},    {"n", 3},         {"s", "1.5E1 E"},
                        {"big", 1e300}, {"whole", 3.0}, {"esc", "a\"1E2"}};
  const auto text = to_json_text(o);
  EXPECT_NE(text.find(R"("t":-18.5)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("c":0.77)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("n":3)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("s":"1.5E1 E")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("whole":3)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("esc":"a\"1E2")"), std::string::npos) << text;
  // Still valid JSON with the same values.
  const auto back = boost::json::parse(text).as_object();
  EXPECT_DOUBLE_EQ(back.at("t").to_number<double>(), -18.5);
  EXPECT_DOUBLE_EQ(back.at("big").to_number<double>(), 1e300);
}

TEST(JsonText, BackslashesBeforeQuotesAndBodiesWithoutDoubles) {
  boost::json::object o{{"a", "ends in \\"}, {"t", 2.25}, {"b", "q\"E5"}, {"u", "冷链 E"}};
  const auto text = to_json_text(o);
  const auto back = boost::json::parse(text).as_object();
  EXPECT_EQ(back.at("a").as_string(), "ends in \\");
  EXPECT_EQ(back.at("b").as_string(), "q\"E5");
  EXPECT_EQ(back.at("u").as_string(), "冷链 E");
  EXPECT_NE(text.find(R"("t":2.25)"), std::string::npos) << text;
  // No double anywhere: exactly Boost.JSON's text.
  boost::json::object plain{{"status", "DELIVERED"}, {"n", -12}, {"ok", true}};
  EXPECT_EQ(to_json_text(plain), boost::json::serialize(plain));
}

}  // namespace
}  // namespace coldtrack::http
