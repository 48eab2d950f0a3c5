// The list pages' text writer (append_order_json) must produce exactly what order_json's DOM
// serializes to: same keys, same order, same escaping, for every view.
#include <gtest/gtest.h>

#include <random>

#include "http/order_json.h"
#include "service/items_json.h"

namespace coldtrack::http {
namespace {

domain::Order sample(std::mt19937& rng, int variant) {
  domain::Order o;
  o.data.order_no = "CT20261126" + std::to_string(variant);
  o.data.customer = {"张三丰", "13812345678", variant % 2 ? "" : "oAbC_123"};
  o.data.address = {"浙江省", "杭州市", variant % 3 ? "西湖区" : "",
                    "文三路 \"90\" 号\\B座\n3楼\t"};
  const int items = variant % 4;
  for (int i = 0; i < items; ++i)
    o.data.items.push_back({"SKU-" + std::to_string(i),
                            i == 1 ? "速冻\"水饺\"\\500g\u0002\n" : "速冻水饺 500g", "frozen",
                            static_cast<std::int64_t>(rng() % 9 + 1),
                            static_cast<std::int64_t>(rng() % 100000)});
  o.data.amount_fen = -5 + variant;  // negative and zero too: plain integers either way
  o.data.shipping_fen = 1000;
  o.data.discount_fen = 0;
  o.data.remark = variant % 5 ? std::string("请放门口\u0001</script>") : "";
  o.status = static_cast<domain::OrderStatus>(variant % 5);
  o.created_at = 1795583100000 + variant * 3'600'123;
  o.updated_at = o.created_at + 61'001;
  o.archived = variant % 2 == 0;
  for (int i = 0; i < variant % 6; ++i) {
    domain::StatusEvent e;
    e.status = static_cast<domain::OrderStatus>(i % 5);
    if (i > 0) e.from = static_cast<domain::OrderStatus>((i - 1) % 5);
    e.at = o.created_at + i * 1000;
    e.recorded_at = e.at + 7;
    e.actor = i % 2 ? "apikey:ak_1" : "carrier:SF";
    e.note = i % 3 ? "" : "备注 \"x\"";
    o.history.push_back(e);
  }
  for (int i = 0; i < variant % 3; ++i) {
    domain::Shipment s;
    s.id = 1000 + i;
    s.carrier = "SF";
    s.carrier_name = "顺丰速运";
    s.waybill_no = "SF" + std::to_string(rng());
    s.created_at = o.created_at + 5000;
    s.origin_city = i % 2 ? "" : "上海市";
    s.temp_class = "frozen";
    o.shipments.push_back(s);
  }
  return o;
}

TEST(OrderJsonText, SameTextAsTheDomForEveryViewAndShape) {
  std::mt19937 rng(11);
  for (int variant = 0; variant < 60; ++variant) {
    const auto o = sample(rng, variant);
    for (auto view : {View::kMasked, View::kRevealed, View::kPublic}) {
      for (int tz : {480, 0, -330}) {
        std::string text;
        append_order_json(text, o, view, tz);
        ASSERT_EQ(text, boost::json::serialize(order_json(o, view, tz)))
            << "variant " << variant << " view " << static_cast<int>(view) << " tz " << tz;
      }
    }
  }
}

// Masked lists copy the stored items text into the answer (service/items_json.h): the text the
// store holds must be exactly what the writer would write, for every item.
TEST(OrderJsonText, StoredItemsTextIsTheAnswersText) {
  std::mt19937 rng(5);
  for (int variant = 0; variant < 60; ++variant) {
    const auto o = sample(rng, variant);
    // The stored form is the one earlier versions stored (Boost.JSON's serialization of the
    // items DOM), so rows written before this writer existed are copied just as safely.
    boost::json::array dom;
    for (const auto& it : o.data.items)
      dom.push_back(boost::json::object{{"sku", it.sku},
                                        {"name", it.name},
                                        {"category", it.category},
                                        {"quantity", it.quantity},
                                        {"unit_price_fen", it.unit_price_fen}});
    ASSERT_EQ(service::items_json(o.data.items), boost::json::serialize(dom));

    auto summary = o;
    summary.items_json = service::items_json(o.data.items);
    summary.data.items.clear();
    for (auto view : {View::kMasked, View::kPublic}) {
      std::string text;
      append_order_json(text, summary, view, 480);
      ASSERT_EQ(text, boost::json::serialize(order_json(o, view, 480))) << "variant " << variant;
      ASSERT_EQ(text, boost::json::serialize(order_json(summary, view, 480)));
    }
    const auto back = service::parse_items_json(summary.items_json);
    ASSERT_EQ(back.size(), o.data.items.size());
    for (std::size_t i = 0; i < back.size(); ++i) {
      EXPECT_EQ(back[i].name, o.data.items[i].name);
      EXPECT_EQ(back[i].quantity, o.data.items[i].quantity);
      EXPECT_EQ(back[i].unit_price_fen, o.data.items[i].unit_price_fen);
    }
  }
  EXPECT_TRUE(service::is_items_array("[]"));
  EXPECT_FALSE(service::is_items_array(""));
  EXPECT_FALSE(service::is_items_array("{\"sku\":1}"));
  EXPECT_TRUE(service::parse_items_json("not json").empty());
}

TEST(OrderJsonText, PageTextParsesWithItsCursor) {
  std::mt19937 rng(9);
  service::OrderList page;
  page.items.push_back(sample(rng, 3));
  page.items.push_back(sample(rng, 4));
  page.next_cursor = "abc\"d";
  const auto j = boost::json::parse(order_page_json(page, View::kMasked, 480)).as_object();
  EXPECT_EQ(j.at("items").as_array().size(), 2u);
  EXPECT_EQ(j.at("next_cursor").as_string(), "abc\"d");
  page.next_cursor.reset();
  EXPECT_TRUE(boost::json::parse(order_page_json(page, View::kMasked, 0))
                  .as_object()
                  .at("next_cursor")
                  .is_null());
}

TEST(OrderJsonText, AppendsToWhatIsThereAndParses) {
  std::mt19937 rng(3);
  std::string text = "[";
  append_order_json(text, sample(rng, 7), View::kMasked, 480);
  text += ',';
  append_order_json(text, sample(rng, 8), View::kMasked, 480);
  text += ']';
  const auto parsed = boost::json::parse(text).as_array();
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].as_object().at("order_no").as_string(), "CT202611267");
  EXPECT_EQ(parsed[1].as_object().at("customer").as_object().at("phone").as_string(),
            "138****5678");
}

}  // namespace
}  // namespace coldtrack::http
