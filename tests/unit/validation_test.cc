#include "domain/validation.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "domain/time.h"

namespace coldtrack::domain {
namespace {

// ---- is_valid_order_no ------------------------------------------------------------------------

TEST(ValidationOrderNo, AcceptsCodeCharactersUpTo64) {
  EXPECT_TRUE(is_valid_order_no("A"));
  EXPECT_TRUE(is_valid_order_no("CT20261125130500ab12"));
  EXPECT_TRUE(is_valid_order_no("order_no-123_ABC"));
  EXPECT_TRUE(is_valid_order_no(std::string(63, 'x')));
  EXPECT_TRUE(is_valid_order_no(std::string(64, 'x')));
  EXPECT_EQ(kMaxOrderNoLength, 64u);
}

TEST(ValidationOrderNo, RejectsEmptyAndTooLong) {
  EXPECT_FALSE(is_valid_order_no(""));
  EXPECT_FALSE(is_valid_order_no(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_order_no(std::string(1 << 20, 'a')));  // 1 MB
}

TEST(ValidationOrderNo, RejectsBadCharacters) {
  for (const char* bad : {"a b", "a.b", "a/b", "a+b", "a:b", "订单1", "a\tb", "a\nb", "a%20",
                          "<script>", "a'b", "a\"b", "a\\b", "a,b", " a", "a "}) {
    EXPECT_FALSE(is_valid_order_no(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_order_no(std::string_view("ab\0c", 4)));
  EXPECT_FALSE(is_valid_order_no(std::string(64, 'x') + "!"));
}

// ---- normalize_mobile -------------------------------------------------------------------------

TEST(ValidationMobile, AcceptsElevenDigitMobiles) {
  EXPECT_EQ(normalize_mobile("13812345678"), "13812345678");
  EXPECT_EQ(normalize_mobile("19912345678"), "19912345678");
  EXPECT_EQ(normalize_mobile("17000000001"), "17000000001");
  for (char second = '3'; second <= '9'; ++second) {
    std::string phone = "1";
    phone += second;
    phone += "012345678";
    EXPECT_EQ(normalize_mobile(phone), phone) << phone;
  }
}

TEST(ValidationMobile, StripsCountryCode) {
  EXPECT_EQ(normalize_mobile("+8613812345678"), "13812345678");
  EXPECT_EQ(normalize_mobile("8613812345678"), "13812345678");
}

TEST(ValidationMobile, RejectsWrongLengths) {
  EXPECT_FALSE(normalize_mobile(""));
  EXPECT_FALSE(normalize_mobile("1"));
  EXPECT_FALSE(normalize_mobile("1381234567"));    // 10 digits
  EXPECT_FALSE(normalize_mobile("138123456789"));  // 12 digits
  EXPECT_FALSE(normalize_mobile("+86"));
  EXPECT_FALSE(normalize_mobile("86"));
  EXPECT_FALSE(normalize_mobile("+861381234567"));     // +86 and 10 digits
  EXPECT_FALSE(normalize_mobile("+86138123456789"));   // +86 and 12 digits
  EXPECT_FALSE(normalize_mobile("861381234567"));      // 86 and 10 digits
  EXPECT_FALSE(normalize_mobile("86138123456789"));    // 86 and 12 digits
  EXPECT_FALSE(normalize_mobile("+868613812345678"));  // doubled prefix
}

TEST(ValidationMobile, RejectsNonMobilePrefixes) {
  EXPECT_FALSE(normalize_mobile("12812345678"));  // starts 12
  EXPECT_FALSE(normalize_mobile("11812345678"));  // starts 11
  EXPECT_FALSE(normalize_mobile("10812345678"));  // starts 10
  EXPECT_FALSE(normalize_mobile("23812345678"));  // landline-like
  EXPECT_FALSE(normalize_mobile("02112345678"));
  EXPECT_FALSE(normalize_mobile("+8612812345678"));
  EXPECT_FALSE(normalize_mobile("008613812345678"));
  EXPECT_FALSE(normalize_mobile("+85213812345678"));
}

TEST(ValidationMobile, RejectsLettersAndSeparators) {
  EXPECT_FALSE(normalize_mobile("1381234567a"));
  EXPECT_FALSE(normalize_mobile("138a2345678"));
  EXPECT_FALSE(normalize_mobile("abcdefghijk"));
  EXPECT_FALSE(normalize_mobile("138-1234-5678"));
  EXPECT_FALSE(normalize_mobile("138 1234 5678"));
  EXPECT_FALSE(normalize_mobile("+86 13812345678"));
  EXPECT_FALSE(normalize_mobile(" 13812345678"));
  EXPECT_FALSE(normalize_mobile("13812345678 "));
  EXPECT_FALSE(normalize_mobile("１３８１２３４５６７８"));  // full-width digits
  EXPECT_FALSE(normalize_mobile(std::string_view("1381234567\0", 11)));
}

// ---- is_clean_text / utf8_length --------------------------------------------------------------

TEST(ValidationText, AcceptsOrdinaryText) {
  EXPECT_TRUE(is_clean_text("hello world", 100));
  EXPECT_TRUE(is_clean_text("张三", 2));
  EXPECT_TRUE(is_clean_text("上海市浦东新区世纪大道100号", 100));
  EXPECT_TRUE(is_clean_text("\xC2\xA0", 1));          // U+00A0, right after the C1 range
  EXPECT_TRUE(is_clean_text("\xF0\x9F\x98\x80", 1));  // U+1F600, 4 bytes, 1 code point
  EXPECT_TRUE(is_clean_text("\xED\x9F\xBF", 1));      // U+D7FF, just below surrogates
  EXPECT_TRUE(is_clean_text("\xEE\x80\x80", 1));      // U+E000, just above surrogates
  EXPECT_TRUE(is_clean_text("\xF4\x8F\xBF\xBF", 1));  // U+10FFFF, the last code point
  EXPECT_TRUE(is_clean_text("~", 1));
}

TEST(ValidationText, RejectsEmpty) {
  EXPECT_FALSE(is_clean_text("", 10));
}

TEST(ValidationText, RejectsControlCharacters) {
  EXPECT_FALSE(is_clean_text("a\nb", 10));
  EXPECT_FALSE(is_clean_text("a\rb", 10));
  EXPECT_FALSE(is_clean_text("a\tb", 10));
  EXPECT_FALSE(is_clean_text("\x1B[31m", 10));
  EXPECT_FALSE(is_clean_text("\x7F", 10));
  EXPECT_FALSE(is_clean_text(std::string_view("a\0b", 3), 10));
  EXPECT_FALSE(is_clean_text("\xC2\x80", 10));  // U+0080 (C1)
  EXPECT_FALSE(is_clean_text("\xC2\x85", 10));  // U+0085 NEL
  EXPECT_FALSE(is_clean_text("\xC2\x9F", 10));  // U+009F (C1)
}

TEST(ValidationText, RejectsInvalidUtf8) {
  EXPECT_FALSE(is_clean_text("\xFF", 10));
  EXPECT_FALSE(is_clean_text("\xFE", 10));
  EXPECT_FALSE(is_clean_text("\x80", 10));          // lone continuation byte
  EXPECT_FALSE(is_clean_text("a\xBF", 10));         // lone continuation byte after ASCII
  EXPECT_FALSE(is_clean_text("\xC3", 10));          // truncated 2-byte sequence
  EXPECT_FALSE(is_clean_text("\xE5\xBC", 10));      // truncated 3-byte sequence (张 = E5 BC A0)
  EXPECT_FALSE(is_clean_text("\xF0\x9F\x98", 10));  // truncated 4-byte sequence
  EXPECT_FALSE(is_clean_text("\xC3\x28", 10));      // bad continuation
  EXPECT_FALSE(is_clean_text("\xE5\x28\xA0", 10));  // bad continuation
  EXPECT_FALSE(is_clean_text("\xF8\x88\x80\x80\x80", 10));  // 5-byte form
  EXPECT_FALSE(is_clean_text("\xF4\x90\x80\x80", 10));      // U+110000: above the range
  EXPECT_FALSE(is_clean_text("\xF5\x80\x80\x80", 10));
}

TEST(ValidationText, RejectsOverlongEncodings) {
  EXPECT_FALSE(is_clean_text("\xC0\xAF", 10));          // '/' in 2 bytes
  EXPECT_FALSE(is_clean_text("\xC0\x80", 10));          // NUL in 2 bytes
  EXPECT_FALSE(is_clean_text("\xC1\xBF", 10));          // U+007F in 2 bytes
  EXPECT_FALSE(is_clean_text("\xE0\x80\xAF", 10));      // '/' in 3 bytes
  EXPECT_FALSE(is_clean_text("\xE0\x9F\xBF", 10));      // U+07FF in 3 bytes
  EXPECT_FALSE(is_clean_text("\xF0\x80\x80\xAF", 10));  // '/' in 4 bytes
  EXPECT_FALSE(is_clean_text("\xF0\x8F\xBF\xBF", 10));  // U+FFFF in 4 bytes
}

TEST(ValidationText, RejectsSurrogates) {
  EXPECT_FALSE(is_clean_text("\xED\xA0\x80", 10));              // U+D800
  EXPECT_FALSE(is_clean_text("\xED\xAF\xBF", 10));              // U+DBFF
  EXPECT_FALSE(is_clean_text("\xED\xB0\x80", 10));              // U+DC00
  EXPECT_FALSE(is_clean_text("\xED\xBF\xBF", 10));              // U+DFFF
  EXPECT_FALSE(is_clean_text("\xED\xA0\xBD\xED\xB8\x80", 10));  // CESU-8 surrogate pair
}

TEST(ValidationText, LengthIsCountedInCodePoints) {
  std::string fifty_zh;
  for (int i = 0; i < 50; ++i) fifty_zh += "张";
  ASSERT_EQ(fifty_zh.size(), 150u);
  EXPECT_TRUE(is_clean_text(fifty_zh, 50));
  EXPECT_FALSE(is_clean_text(fifty_zh + "三", 50));
  EXPECT_FALSE(is_clean_text(fifty_zh, 49));
  EXPECT_TRUE(is_clean_text("张三", 2));
  EXPECT_FALSE(is_clean_text("张三", 1));
  EXPECT_TRUE(is_clean_text(std::string(10, 'a'), 10));
  EXPECT_FALSE(is_clean_text(std::string(11, 'a'), 10));
  EXPECT_TRUE(is_clean_text("a张\xF0\x9F\x98\x80", 3));
  EXPECT_FALSE(is_clean_text("a张\xF0\x9F\x98\x80", 2));
}

TEST(ValidationText, Utf8LengthCountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("张三"), 2u);
  EXPECT_EQ(utf8_length("欧阳娜娜"), 4u);
  EXPECT_EQ(utf8_length("a张\xF0\x9F\x98\x80"), 3u);
}

TEST(ValidationWaybill, LengthAndCharacters) {
  EXPECT_TRUE(is_valid_waybill_no("SF12"));
  EXPECT_TRUE(is_valid_waybill_no("SF1234567890123"));
  EXPECT_TRUE(is_valid_waybill_no("JDV-000123"));
  EXPECT_TRUE(is_valid_waybill_no(std::string(40, '9')));
  EXPECT_FALSE(is_valid_waybill_no("SF1"));
  EXPECT_FALSE(is_valid_waybill_no(std::string(41, '9')));
  EXPECT_FALSE(is_valid_waybill_no("SF_1234"));
  EXPECT_FALSE(is_valid_waybill_no("SF 1234"));
  EXPECT_FALSE(is_valid_waybill_no(""));
}

TEST(ValidationNote, EmptyOrCleanUpTo500) {
  EXPECT_TRUE(is_valid_note(""));
  EXPECT_TRUE(is_valid_note("客户拒收"));
  std::string zh500;
  for (int i = 0; i < 500; ++i) zh500 += "冻";
  EXPECT_TRUE(is_valid_note(zh500));
  EXPECT_FALSE(is_valid_note(zh500 + "冻"));
  EXPECT_FALSE(is_valid_note("line1\nline2"));
  EXPECT_FALSE(is_valid_note("\xFF"));
}

// ---- validate_new_order -----------------------------------------------------------------------

const std::set<std::string> kCategories = {"frozen", "chilled", "ambient"};

EpochMs Now() {
  return *parse_rfc3339("2026-11-25T12:00:00+08:00");
}

// A valid order: 2 x 3990 + 1 x 1890 = 9870, + 1200 shipping - 500 discount = 10570.
NewOrder ValidOrder() {
  NewOrder o;
  o.order_no = "T-0001";
  o.customer = {"张三", "13812345678", "oWx_abc-123"};
  o.address = {"上海市", "上海市", "浦东新区", "世纪大道100号3栋502室"};
  o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 2, 3990},
             {"SN-950ML", "鲜牛奶 950ml", "chilled", 1, 1890}};
  o.shipping_fen = 1200;
  o.discount_fen = 500;
  o.amount_fen = 10570;
  o.remark = "请放门口";
  o.created_at = Now() - 60'000;
  return o;
}

// The field named by the validation error, or "" when the order is valid.
std::string ErrorField(NewOrder o) {
  auto e = validate_new_order(o, kCategories, Now());
  if (e) {
    EXPECT_FALSE(e->message.empty()) << e->field;
  }
  return e ? e->field : "";
}

template <class F>
std::string ErrorFieldAfter(F mutate) {
  NewOrder o = ValidOrder();
  mutate(o);
  return ErrorField(std::move(o));
}

TEST(ValidateNewOrder, BaselineIsValid) {
  NewOrder o = ValidOrder();
  auto e = validate_new_order(o, kCategories, Now());
  EXPECT_FALSE(e.has_value()) << (e ? e->field + ": " + e->message : "");
}

TEST(ValidateNewOrder, MinimalOrderIsValid) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.order_no.clear();  // generated later
              o.customer.openid.clear();
              o.address.district.clear();
              o.remark.clear();
              o.created_at.reset();
              o.shipping_fen = 0;
              o.discount_fen = 0;
              o.amount_fen = 9870;
            }),
            "");
}

TEST(ValidateNewOrder, OrderNo) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.order_no = "bad no"; }), "order_no");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.order_no = std::string(65, 'a'); }), "order_no");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.order_no = std::string(64, 'a'); }), "");
}

TEST(ValidateNewOrder, CustomerName) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.name.clear(); }), "customer.name");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.name = "张\n三"; }), "customer.name");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.name = "\xFF"; }), "customer.name");
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += "名";
  EXPECT_EQ(ErrorFieldAfter([&](NewOrder& o) { o.customer.name = fifty; }), "");
  EXPECT_EQ(ErrorFieldAfter([&](NewOrder& o) { o.customer.name = fifty + "名"; }), "customer.name");
}

TEST(ValidateNewOrder, CustomerPhone) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.phone.clear(); }), "customer.phone");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.phone = "12812345678"; }),
            "customer.phone");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.phone = "138123456789"; }),
            "customer.phone");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.phone = "138-1234-5678"; }),
            "customer.phone");
}

TEST(ValidateNewOrder, PhoneIsNormalizedInPlace) {
  for (const char* input : {"+8613812345678", "8613812345678", "13812345678"}) {
    NewOrder o = ValidOrder();
    o.customer.phone = input;
    ASSERT_FALSE(validate_new_order(o, kCategories, Now()).has_value()) << input;
    EXPECT_EQ(o.customer.phone, "13812345678") << input;
  }
}

TEST(ValidateNewOrder, CustomerOpenid) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.openid = std::string(128, 'o'); }), "");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.openid = std::string(129, 'o'); }),
            "customer.openid");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.openid = "o w"; }), "customer.openid");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.customer.openid = "o=="; }), "customer.openid");
}

TEST(ValidateNewOrder, Address) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.address.province.clear(); }), "address.province");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.address.city.clear(); }), "address.city");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.address.district.clear(); }), "");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.address.district = "区\t"; }), "address.district");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.address.detail.clear(); }), "address.detail");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.address.detail = "1号\x01"; }), "address.detail");
  std::string detail200;
  for (int i = 0; i < 200; ++i) detail200 += "路";
  EXPECT_EQ(ErrorFieldAfter([&](NewOrder& o) { o.address.detail = detail200; }), "");
  EXPECT_EQ(ErrorFieldAfter([&](NewOrder& o) { o.address.detail = detail200 + "路"; }),
            "address.detail");
  std::string province21;
  for (int i = 0; i < 21; ++i) province21 += "省";
  EXPECT_EQ(ErrorFieldAfter([&](NewOrder& o) { o.address.province = province21; }),
            "address.province");
}

TEST(ValidateNewOrder, ItemsPresenceAndCount) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items.clear(); }), "items");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.items.assign(kMaxItems + 1, OrderItem{"SKU", "饺子", "frozen", 1, 100});
              o.shipping_fen = 0;
              o.discount_fen = 0;
              o.amount_fen = static_cast<std::int64_t>(kMaxItems + 1) * 100;
            }),
            "items");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.items.assign(kMaxItems, OrderItem{"SKU", "饺子", "frozen", 1, 100});
              o.shipping_fen = 0;
              o.discount_fen = 0;
              o.amount_fen = static_cast<std::int64_t>(kMaxItems) * 100;
            }),
            "");
}

TEST(ValidateNewOrder, ItemFieldsNameTheItemIndex) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[0].sku.clear(); }), "items[0].sku");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[1].sku = std::string(65, 's'); }),
            "items[1].sku");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[1].name.clear(); }), "items[1].name");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[0].name = "a\x7F"; }), "items[0].name");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[0].category.clear(); }), "items[0].category");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[0].category = "hot"; }), "items[0].category");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[1].category = "Frozen"; }),
            "items[1].category");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.items[1].quantity = 0;
              o.amount_fen = 7980 + 1200 - 500;
            }),
            "items[1].quantity");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[1].quantity = -1; }), "items[1].quantity");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[0].quantity = 100'001; }),
            "items[0].quantity");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[1].unit_price_fen = -1; }),
            "items[1].unit_price_fen");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.items[1].unit_price_fen = 10'000'000'001; }),
            "items[1].unit_price_fen");
}

TEST(ValidateNewOrder, ItemBoundariesAreInclusive) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.items = {{"SKU", "赠品", "ambient", 100'000, 0}};
              o.shipping_fen = 0;
              o.discount_fen = 0;
              o.amount_fen = 0;
            }),
            "");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.items = {{"SKU", "整柜", "frozen", 1, 10'000'000'000}};
              o.shipping_fen = 0;
              o.discount_fen = 0;
              o.amount_fen = 10'000'000'000;
            }),
            "");
}

TEST(ValidateNewOrder, ItemsTotalAboveMaximum) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.items = {{"SKU", "整柜", "frozen", 100'000, 10'000'000'000}};
              o.shipping_fen = 0;
              o.discount_fen = 0;
              o.amount_fen = 0;
            }),
            "items");
}

TEST(ValidateNewOrder, ShippingAndDiscount) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.shipping_fen = -1; }), "shipping_fen");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.discount_fen = -1; }), "discount_fen");
  // Discount may not exceed items total + shipping (9870 + 1200).
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.discount_fen = 11071;
              o.amount_fen = 0;
            }),
            "discount_fen");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.discount_fen = 11070;
              o.amount_fen = 0;
            }),
            "");
}

TEST(ValidateNewOrder, AmountMustEqualItemsPlusShippingMinusDiscount) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.amount_fen = 10571; }), "amount_fen");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.amount_fen = 10569; }), "amount_fen");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.amount_fen = 9870; }), "amount_fen");  // no adj.
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.amount_fen = -1; }), "amount_fen");
  // Shipping only.
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.discount_fen = 0;
              o.amount_fen = 11070;
            }),
            "");
  // Discount only.
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.shipping_fen = 0;
              o.amount_fen = 9370;
            }),
            "");
  // Forgetting the shipping is an error.
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.amount_fen = 9370; }), "amount_fen");
}

TEST(ValidateNewOrder, AmountErrorMessageExplainsTheSum) {
  NewOrder o = ValidOrder();
  o.amount_fen = 1;
  auto e = validate_new_order(o, kCategories, Now());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field, "amount_fen");
  EXPECT_NE(e->message.find("10570"), std::string::npos) << e->message;
}

TEST(ValidateNewOrder, UnknownCategoryMessageListsKnownOnes) {
  NewOrder o = ValidOrder();
  o.items[0].category = "hot";
  auto e = validate_new_order(o, kCategories, Now());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field, "items[0].category");
  EXPECT_NE(e->message.find("frozen"), std::string::npos) << e->message;
}

TEST(ValidateNewOrder, Remark) {
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.remark.clear(); }), "");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.remark = "a\nb"; }), "remark");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.remark = std::string(501, 'r'); }), "remark");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.remark = std::string(500, 'r'); }), "");
}

TEST(ValidateNewOrder, CreatedAt) {
  constexpr EpochMs kFiveMinutes = 5 * 60 * 1000;
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.created_at = Now(); }), "");
  EXPECT_EQ(ErrorFieldAfter([&](NewOrder& o) { o.created_at = Now() + kFiveMinutes; }), "");
  EXPECT_EQ(ErrorFieldAfter([&](NewOrder& o) { o.created_at = Now() + kFiveMinutes + 1; }),
            "created_at");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.created_at = Now() + 86'400'000; }), "created_at");
  // Seconds instead of milliseconds: before 2000.
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.created_at = Now() / 1000; }), "created_at");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.created_at = 946684800000 - 1; }), "created_at");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) { o.created_at = 946684800000; }), "");
}

TEST(ValidateNewOrder, FirstErrorWinsInFieldOrder) {
  // Several problems: the earliest field in the documented order is reported.
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.customer.phone = "bad";
              o.address.detail.clear();
              o.amount_fen = 1;
            }),
            "customer.phone");
  EXPECT_EQ(ErrorFieldAfter([](NewOrder& o) {
              o.items[0].quantity = 0;
              o.items[1].quantity = 0;
            }),
            "items[0].quantity");
}

}  // namespace
}  // namespace coldtrack::domain
