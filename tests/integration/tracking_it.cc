// Carrier pushes over HTTP: signed Kdniao and Kuaidi100 callbacks drive shipment tracking and
// the order lifecycle; bad signatures, malformed bodies and unknown waybills are handled.
#include <chrono>

#include "carriers/kdniao/kdniao.h"
#include "carriers/kuaidi100/kuaidi100.h"
#include "domain/time.h"
#include "fixtures.h"

namespace coldtrack::it {
namespace {

constexpr const char* kKdniaoKey = "it-kdniao-api-key";
constexpr const char* kEbusinessId = "1237100";
constexpr const char* kSalt = "it-salt";

class TrackingApi : public SharedServerTest<TrackingApi> {
 public:
  static std::map<std::string, std::string> extra_env() {
    return {{"COLDTRACK_CARRIERS_KDNIAO_EBUSINESS_ID", kEbusinessId},
            {"COLDTRACK_CARRIERS_KDNIAO_API_KEY", kKdniaoKey},
            {"COLDTRACK_CARRIERS_KUAIDI100_CUSTOMER", "it-customer"},
            {"COLDTRACK_CARRIERS_KUAIDI100_KEY", "it-key"},
            {"COLDTRACK_CARRIERS_KUAIDI100_SALT", kSalt}};
  }

 protected:
  // China time text ("yyyy-MM-dd HH:mm:ss") `minutes` from now, as carriers write it.
  static std::string china_time(int minutes) {
    using namespace std::chrono;
    const auto now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    auto t = domain::format_rfc3339((now + minutes * 60) * 1000, 480);
    t = t.substr(0, 19);
    t[10] = ' ';
    return t;
  }

  // A Kdniao push (RequestType 101) for one waybill; traces are (minutes from now, text, city,
  // action) oldest first.
  std::string kdniao_push(const std::string& waybill, const std::string& state,
                          const std::string& state_ex,
                          const std::vector<std::tuple<int, std::string, std::string>>& traces,
                          const std::string& key = kKdniaoKey) {
    json::array tr;
    for (const auto& [minutes, text, city] : traces)
      tr.push_back(json::object{{"AcceptTime", china_time(minutes)},
                                {"AcceptStation", text},
                                {"Location", city},
                                {"Action", state_ex}});
    json::object data{{"EBusinessID", kEbusinessId},
                      {"ShipperCode", "SF"},
                      {"LogisticCode", waybill},
                      {"Success", true},
                      {"Reason", ""},
                      {"State", state},
                      {"StateEx", state_ex},
                      {"Traces", tr}};
    json::object push{{"EBusinessID", kEbusinessId},
                      {"PushTime", china_time(0)},
                      {"Count", "1"},
                      {"Data", json::array{data}}};
    carriers::kdniao::Protocol p({kEbusinessId, key, "", "", "8002", "8008", ""});
    return p.build_push_form(json::serialize(push));
  }

  Response post_form(const std::string& path, const std::string& form) {
    return s().request("POST", path, form, std::nullopt,
                       {{"Content-Type", "application/x-www-form-urlencoded;charset=utf-8"}});
  }

  // A PAID order with an SF shipment; returns the order number.
  std::string shipped_order(const std::string& waybill, const std::string& carrier = "SF") {
    const auto no = unique_order_no("TRK");
    must_create(s(), order_body(no, "13812345678"));
    EXPECT_EQ(change_status(s(), no, "PAID").status, 200);
    EXPECT_EQ(add_shipment(s(), no, carrier, waybill).status, 200);
    return no;
  }

  json::object tracking_of(const std::string& no, const Credentials& who) {
    auto r = s().get("/api/orders/" + no + "/tracking", who);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().as_object();
  }

  json::array history_of(const std::string& no) {
    auto r = s().get("/api/orders/" + no, s().viewer());
    return r.json().as_object().at("history").as_array();
  }
};

TEST_F(TrackingApi, KdniaoPushesCarryAParcelFromPickupToDelivery) {
  const auto waybill = unique_waybill("SF");
  const auto no = shipped_order(waybill);

  auto r = post_form("/api/callbacks/kdniao",
                     kdniao_push(waybill, "2", "202",
                                 {{1, "顺丰速运 已收取快件", "上海市"},
                                  {2, "快件交给快递员，正在派送途中", "杭州市"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  auto reply = r.json().as_object();
  EXPECT_EQ(reply.at("Success"), json::value(true)) << r.body;
  EXPECT_EQ(str(reply, "EBusinessID"), kEbusinessId);
  EXPECT_EQ(order_status(s(), no), "IN_TRANSIT");

  auto t = tracking_of(no, s().operator_key());
  auto sh = t.at("shipments").as_array().at(0).as_object();
  EXPECT_EQ(str(sh, "carrier"), "SF");
  EXPECT_EQ(str(sh, "carrier_name"), "顺丰");
  EXPECT_EQ(str(sh, "waybill_no"), waybill);
  EXPECT_EQ(str(sh, "status"), "OUT_FOR_DELIVERY");
  EXPECT_EQ(str(sh, "status_label"), "派送中");
  EXPECT_EQ(str(sh, "location"), "杭州市");
  EXPECT_TRUE(sh.at("freshness").is_string());
  auto traces = sh.at("traces").as_array();
  ASSERT_EQ(traces.size(), 2u);
  EXPECT_EQ(str(traces[0].as_object(), "description"), "快件交给快递员，正在派送途中");  // newest
  // Viewers see the waybill masked.
  auto masked = tracking_of(no, s().viewer()).at("shipments").as_array().at(0).as_object();
  EXPECT_NE(str(masked, "waybill_no"), waybill);
  EXPECT_NE(str(masked, "waybill_no").find('*'), std::string::npos);

  // The same push again, and an older one, change nothing.
  const auto events = history_of(no).size();
  ASSERT_EQ(post_form("/api/callbacks/kdniao",
                      kdniao_push(waybill, "2", "202",
                                  {{1, "顺丰速运 已收取快件", "上海市"},
                                   {2, "快件交给快递员，正在派送途中", "杭州市"}}))
                .status,
            200);
  ASSERT_EQ(post_form("/api/callbacks/kdniao",
                      kdniao_push(waybill, "1", "1", {{1, "顺丰速运 已收取快件", "上海市"}}))
                .status,
            200);
  EXPECT_EQ(history_of(no).size(), events);
  EXPECT_EQ(
      str(tracking_of(no, s().operator_key()).at("shipments").as_array()[0].as_object(), "status"),
      "OUT_FOR_DELIVERY");

  // Delivered.
  ASSERT_EQ(
      post_form("/api/callbacks/kdniao", kdniao_push(waybill, "3", "301",
                                                     {{1, "顺丰速运 已收取快件", "上海市"},
                                                      {2, "快件交给快递员，正在派送途中", "杭州市"},
                                                      {3, "已签收，签收人：本人", "杭州市"}}))
          .status,
      200);
  EXPECT_EQ(order_status(s(), no), "DELIVERED");
  auto history = history_of(no);
  const auto& last = history.back().as_object();
  EXPECT_EQ(str(last, "status"), "DELIVERED");
  EXPECT_EQ(str(last, "actor"), "carrier:kdniao");
  // The carrier's event time (China time in the push) is the order's timestamp.
  EXPECT_EQ(str(last, "at").substr(0, 19), [&] {
    auto t = china_time(3);
    t[10] = 'T';
    return t;
  }());

  // Public tracking shows the parcel too, masked.
  auto pub = s().get("/api/track?order_no=" + no + "&phone_last4=5678", std::nullopt);
  ASSERT_EQ(pub.status, 200) << pub.body;
  auto pt = pub.json().as_object().at("tracking").as_array().at(0).as_object();
  EXPECT_EQ(str(pt, "status"), "DELIVERED");
  EXPECT_NE(str(pt, "waybill_no"), waybill);
}

TEST_F(TrackingApi, KdniaoPushWithAWrongSignatureIsRefusedAndStoresNothing) {
  const auto waybill = unique_waybill("SF");
  const auto no = shipped_order(waybill);
  auto r = post_form("/api/callbacks/kdniao",
                     kdniao_push(waybill, "2", "2", {{1, "运输中", "上海市"}}, "wrong-key"));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.json().as_object().at("Success"), json::value(false));
  EXPECT_EQ(order_status(s(), no), "SHIPPED");
  auto sh = tracking_of(no, s().operator_key()).at("shipments").as_array()[0].as_object();
  EXPECT_EQ(str(sh, "status"), "NO_INFO");
  auto metrics = s().get("/metrics", std::nullopt);
  EXPECT_NE(metrics.body.find(
                "coldtrack_carrier_pushes_total{provider=\"kdniao\",result=\"bad_signature\"}"),
            std::string::npos);
}

TEST_F(TrackingApi, MalformedPushesAre400AndTheServerKeepsServing) {
  for (const std::string body : {"", "garbage", "RequestData=%ZZ", "RequestData=%7B&DataSign=x"}) {
    auto r = post_form("/api/callbacks/kdniao", body);
    EXPECT_GE(r.status, 400) << body;
    EXPECT_LT(r.status, 500) << body;
  }
  auto r = post_form("/api/callbacks/kuaidi100", "param=%7B&sign=00");
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500);
  EXPECT_TRUE(s().healthy());
}

TEST_F(TrackingApi, PushForAnUnknownWaybillIsAcknowledged) {
  auto r = post_form("/api/callbacks/kdniao",
                     kdniao_push("SFNOTOURS0001", "2", "2", {{1, "运输中", "上海市"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().as_object().at("Success"), json::value(true));
}

TEST_F(TrackingApi, Kuaidi100PushIsVerifiedAppliedAndAnsweredExactly) {
  const auto waybill = unique_waybill("YT");
  const auto no = shipped_order(waybill, "YTO");
  json::object last{
      {"message", "ok"},
      {"nu", waybill},
      {"ischeck", "0"},
      {"condition", "F00"},
      {"com", "yuantong"},
      {"status", "200"},
      {"state", "5"},
      {"data", json::array{json::object{{"time", china_time(2)},
                                        {"ftime", china_time(2)},
                                        {"context", "【杭州市】快件已到达，快递员正在派送"},
                                        {"location", "杭州市"},
                                        {"status", "派件"},
                                        {"statusCode", "5"}},
                           json::object{{"time", china_time(1)},
                                        {"ftime", china_time(1)},
                                        {"context", "【上海市】已揽收"},
                                        {"location", "上海市"},
                                        {"status", "揽收"},
                                        {"statusCode", "1"}}}}};
  json::object param{{"status", "polling"}, {"message", ""}, {"autoCheck", "0"},
                     {"comOld", ""},        {"comNew", ""},  {"lastResult", last}};
  carriers::kuaidi100::Config kc;
  kc.salt = kSalt;
  carriers::kuaidi100::Protocol p(kc);
  auto r = post_form("/api/callbacks/kuaidi100", p.build_push_form(json::serialize(param)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"result":true,"returnCode":"200","message":"成功"})");
  EXPECT_EQ(order_status(s(), no), "IN_TRANSIT");
  auto sh = tracking_of(no, s().operator_key()).at("shipments").as_array()[0].as_object();
  EXPECT_EQ(str(sh, "status"), "OUT_FOR_DELIVERY");

  kc.salt = "not-the-salt";
  carriers::kuaidi100::Protocol wrong(kc);
  auto bad = post_form("/api/callbacks/kuaidi100", wrong.build_push_form(json::serialize(param)));
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.json().as_object().at("result"), json::value(false));
}

TEST_F(TrackingApi, Kuaidi100CarrierCorrectionMovesTheShipment) {
  const auto waybill = unique_waybill("YT");
  const auto no = shipped_order(waybill, "ZTO");  // the shop picked the wrong carrier
  json::object last{{"message", "ok"},
                    {"nu", waybill},
                    {"ischeck", "0"},
                    {"condition", "F00"},
                    {"com", "yuantong"},
                    {"status", "200"},
                    {"state", "0"},
                    {"data", json::array{json::object{{"time", china_time(1)},
                                                      {"ftime", china_time(1)},
                                                      {"context", "【上海市】已揽收"},
                                                      {"location", "上海市"},
                                                      {"status", "揽收"},
                                                      {"statusCode", "1"}}}}};
  json::object param{{"status", "polling"},   {"message", ""},        {"autoCheck", "1"},
                     {"comOld", "zhongtong"}, {"comNew", "yuantong"}, {"lastResult", last}};
  carriers::kuaidi100::Config kc;
  kc.salt = kSalt;
  carriers::kuaidi100::Protocol p(kc);
  auto r = post_form("/api/callbacks/kuaidi100", p.build_push_form(json::serialize(param)));
  ASSERT_EQ(r.status, 200) << r.body;
  auto sh = tracking_of(no, s().operator_key()).at("shipments").as_array()[0].as_object();
  EXPECT_EQ(str(sh, "carrier"), "YTO");
  EXPECT_EQ(str(sh, "carrier_name"), "圆通");
  EXPECT_EQ(str(sh, "status"), "PICKED_UP");
  EXPECT_EQ(order_status(s(), no), "IN_TRANSIT");
  auto audit = s().get("/api/audit?action=shipment.carrier", s().admin());
  EXPECT_NE(audit.body.find("waybill:" + waybill), std::string::npos) << audit.body;
}

TEST_F(TrackingApi, TrackingOfAnUnknownOrderIs404) {
  EXPECT_EQ(s().get("/api/orders/NOPE-TRACK/tracking", s().viewer()).status, 404);
  EXPECT_EQ(s().get("/api/orders/bad%20no/tracking", s().viewer()).status, 400);
}

}  // namespace
}  // namespace coldtrack::it
