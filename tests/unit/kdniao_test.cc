#include "carriers/kdniao/kdniao.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <string>
#include <variant>

#include "security/crypto.h"

namespace coldtrack::carriers::kdniao {
namespace {

namespace json = boost::json;

constexpr char kApiKey[] = "56da2cf8-c8a2-44b2-b6fa-476cd7d1ba17";
constexpr char kEBusinessId[] = "1237100";

// 2026-11-24 18:00:00 and 2026-11-25 08:30:00 China time (UTC+8) as UTC epoch ms.
constexpr EpochMs kT1 = 1795514400000;
constexpr EpochMs kT2 = 1795566600000;

// carriers-kdniao.md §7, derived push vector (476 bytes UTF-8).
const std::string kPushRequestData =
    R"({"EBusinessID":"1237100","PushTime":"2026-11-25 13:05:00","Count":"1","Data":[{"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":true,"Reason":"","State":"2","StateEx":"202","Traces":[{"AcceptTime":"2026-11-24 18:00:00","AcceptStation":"顺丰速运 已收取快件","Location":"上海市","Action":"1"},{"AcceptTime":"2026-11-25 08:30:00","AcceptStation":"快件交给张三，正在派送途中","Location":"杭州市","Action":"202"}]}]})";

Config TestConfig() {
  Config c;
  c.ebusiness_id = kEBusinessId;
  c.api_key = kApiKey;
  c.query_url = "https://api.kdniao.com/Ebusiness/EbusinessOrderHandle.aspx";
  c.subscribe_url = "https://api.kdniao.com/api/dist";
  c.callback_url = "https://coldtrack.example/hooks/kdniao";
  return c;
}

WaybillRef Ref(std::string carrier, std::string waybill, std::string phone = "") {
  WaybillRef r;
  r.carrier = carrier;
  r.provider_carrier = carrier;
  r.waybill_no = std::move(waybill);
  r.phone = std::move(phone);
  return r;
}

// Uppercases the two hex digits after every '%', so bodies compare regardless of escape case.
std::string NormalizeEscapes(std::string s) {
  for (std::size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] == '%') {
      s[i + 1] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i + 1])));
      s[i + 2] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i + 2])));
    }
  }
  return s;
}

// By value: callers pass temporaries.
Snapshot AsSnapshot(const QueryResult& r) {
  if (const auto* e = std::get_if<ProviderError>(&r)) ADD_FAILURE() << "error: " << e->message;
  return std::get<Snapshot>(r);
}

ProviderError AsError(const QueryResult& r) {
  if (std::holds_alternative<Snapshot>(r)) ADD_FAILURE() << "expected an error";
  return std::get<ProviderError>(r);
}

QueryResult Parse(std::string_view body, int status = 200,
                  const WaybillRef& ref = Ref("SF", "SF1234567890123")) {
  return Protocol(TestConfig()).parse_query_response(status, body, ref);
}

// Decodes a request body built by the adapter and returns its RequestData as JSON.
json::object RequestDataOf(const OutboundRequest& req) {
  std::map<std::string, std::string> fields;
  EXPECT_TRUE(Protocol::verify_request_form(req.body, kApiKey, &fields));
  return json::parse(fields["RequestData"]).as_object();
}

// ---- Signature and form encoding ---------------------------------------------------------------

TEST(KdniaoSign, GoldenVector) {
  const std::string rd = "{'OrderCode':'','ShipperCode':'SF','LogisticCode':'118954907573'}";
  const std::string sign = Protocol::data_sign(rd, kApiKey);
  EXPECT_EQ(sign, "OWFhM2I5N2ViM2U2MGRkMjc4YzU2NmVlZWI3ZDk0MmE=");
  EXPECT_EQ(security::base64_decode(sign).value(), "9aa3b97eb3e60dd278c566eeeb7d942a");
  EXPECT_EQ(sign.size(), 44u);
}

TEST(KdniaoSign, GoldenCompleteFormBody) {
  const std::string rd = "{'OrderCode':'','ShipperCode':'SF','LogisticCode':'118954907573'}";
  const std::string body = Protocol(TestConfig()).encode_request_form(rd, "1002");
  const std::string expected =
      "RequestData=%7B%27OrderCode%27%3A%27%27%2C%27ShipperCode%27%3A%27SF%27%2C%27LogisticCode%"
      "27%3A%27118954907573%27%7D&EBusinessID=1237100&RequestType=1002&DataSign="
      "OWFhM2I5N2ViM2U2MGRkMjc4YzU2NmVlZWI3ZDk0MmE%3D&DataType=2";
  EXPECT_EQ(NormalizeEscapes(body), NormalizeEscapes(expected));
  // Kdniao's own example uses lowercase escapes; the server side accepts both.
  std::string lower = expected;
  for (std::size_t i = 0; i + 2 < lower.size(); ++i)
    if (lower[i] == '%')
      lower[i + 1] = static_cast<char>(std::tolower(lower[i + 1])),
                lower[i + 2] = static_cast<char>(std::tolower(lower[i + 2]));
  std::map<std::string, std::string> fields;
  EXPECT_TRUE(Protocol::verify_request_form(lower, kApiKey, &fields));
  EXPECT_EQ(fields["RequestData"], rd);
  EXPECT_EQ(fields["DataSign"], "OWFhM2I5N2ViM2U2MGRkMjc4YzU2NmVlZWI3ZDk0MmE=");
}

TEST(KdniaoForm, EncodeDecode) {
  EXPECT_EQ(form_encode("a b+c/=é*-._~"), "a+b%2Bc%2F%3D%C3%A9*-._%7E");
  EXPECT_EQ(form_decode("a+b%2Bc%2f%3D%C3%A9").value(), "a b+c/=é");
  EXPECT_FALSE(form_decode("abc%").has_value());
  EXPECT_FALSE(form_decode("abc%4").has_value());
  EXPECT_FALSE(form_decode("%ZZ").has_value());
  const std::string tricky = "{\"x\":\"1 + 1 = 2 & 100%\"}";
  EXPECT_EQ(form_decode(form_encode(tricky)).value(), tricky);
}

TEST(KdniaoForm, ParseFormRefusesDuplicatesAndBadEscapes) {
  auto ok = parse_form("a=1&b=x+y&&c=");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ((*ok)["a"], "1");
  EXPECT_EQ((*ok)["b"], "x y");
  EXPECT_EQ((*ok)["c"], "");
  EXPECT_FALSE(parse_form("a=1&a=2").has_value());
  EXPECT_FALSE(parse_form("a=%G1").has_value());
  EXPECT_FALSE(parse_form("=1").has_value());
}

// ---- Requests ----------------------------------------------------------------------------------

TEST(KdniaoRequest, QueryShapeAndSignature) {
  Protocol p(TestConfig());
  WaybillRef ref = Ref("YTO", "YT1234567890");
  ref.order_no = "CT-0001";
  const OutboundRequest req = p.build_query(ref);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://api.kdniao.com/Ebusiness/EbusinessOrderHandle.aspx");
  EXPECT_EQ(req.headers.at("Content-Type"), "application/x-www-form-urlencoded;charset=utf-8");
  std::map<std::string, std::string> fields;
  ASSERT_TRUE(Protocol::verify_request_form(req.body, kApiKey, &fields));
  EXPECT_EQ(fields["EBusinessID"], "1237100");
  EXPECT_EQ(fields["RequestType"], "8002");
  EXPECT_EQ(fields["DataType"], "2");
  EXPECT_EQ(fields["RequestData"],
            R"({"OrderCode":"CT-0001","ShipperCode":"YTO","LogisticCode":"YT1234567890"})");
  EXPECT_EQ(fields["DataSign"], Protocol::data_sign(fields["RequestData"], kApiKey));
  // Encoded exactly once: the body has no escaped '%' (which would mean a second encoding).
  EXPECT_EQ(req.body.find("%25"), std::string::npos);
  EXPECT_FALSE(Protocol::verify_request_form(req.body, "wrong-key", nullptr));
}

TEST(KdniaoRequest, CustomerNameOnlyForCarriersThatNeedIt) {
  Protocol p(TestConfig());
  for (const char* carrier : {"SF", "ZTO", "KYSY"}) {
    const json::object rd = RequestDataOf(p.build_query(Ref(carrier, "123", "+86 138-0013-8000")));
    ASSERT_TRUE(rd.contains("CustomerName")) << carrier;
    EXPECT_EQ(rd.at("CustomerName").as_string(), "8000") << carrier;
  }
  const json::object yto = RequestDataOf(p.build_query(Ref("YTO", "123", "13800138000")));
  EXPECT_FALSE(yto.contains("CustomerName"));
  // Required but unknown phone: left out rather than invented.
  const json::object nophone = RequestDataOf(p.build_query(Ref("SF", "123", "12")));
  EXPECT_FALSE(nophone.contains("CustomerName"));
  EXPECT_TRUE(requires_customer_name("SF"));
  EXPECT_FALSE(requires_customer_name("YTO"));
}

TEST(KdniaoRequest, SubscribeUsesSubscribeEndpointAndType) {
  Protocol p(TestConfig());
  const OutboundRequest req = p.build_subscribe(Ref("ZTO", "7890", "13912345678"));
  EXPECT_EQ(req.url, "https://api.kdniao.com/api/dist");
  std::map<std::string, std::string> fields;
  ASSERT_TRUE(Protocol::verify_request_form(req.body, kApiKey, &fields));
  EXPECT_EQ(fields["RequestType"], "8008");
  EXPECT_EQ(fields["RequestData"],
            R"({"OrderCode":"","ShipperCode":"ZTO","LogisticCode":"7890","CustomerName":"5678"})");
}

// ---- Query responses (recorded-response fixtures) ----------------------------------------------

TEST(KdniaoQuery, InTransit) {
  const std::string body =
      R"({"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":true,"Reason":null,"State":"2","StateEx":"204","Traces":[{"AcceptTime":"2026-11-24 18:00:00","AcceptStation":"顺丰速运 已收取快件","Location":"上海市","Action":"1"},{"AcceptTime":"2026-11-25 08:30:00","AcceptStation":"快件到达 杭州中转场","Location":"杭州市","Action":"204"}]})";
  const Snapshot s = AsSnapshot(Parse(body));
  EXPECT_EQ(s.provider, "kdniao");
  EXPECT_EQ(s.provider_carrier, "SF");
  EXPECT_EQ(s.waybill_no, "SF1234567890123");
  EXPECT_EQ(s.unified.status, TrackingStatus::kInTransit);
  EXPECT_TRUE(s.mapped);
  EXPECT_EQ(s.raw_state, "2");
  EXPECT_EQ(s.raw_substate, "204");
  ASSERT_EQ(s.traces.size(), 2u);
  EXPECT_EQ(s.traces[0].time, kT1);
  EXPECT_EQ(s.traces[1].raw_code, "204");
  EXPECT_EQ(s.raw_payload, body);
}

TEST(KdniaoQuery, OutForDelivery) {
  const Snapshot s = AsSnapshot(Parse(
      R"({"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":true,"Reason":null,"State":"2","StateEx":"202","Traces":[{"AcceptTime":"2026-11-24 18:00:00","AcceptStation":"顺丰速运 已收取快件","Location":"上海市","Action":"1"},{"AcceptTime":"2026-11-25 08:30:00","AcceptStation":"快件交给张三，正在派送途中","Location":"杭州市","Action":"202"}]})"));
  EXPECT_EQ(s.unified.status, TrackingStatus::kOutForDelivery);
  ASSERT_EQ(s.traces.size(), 2u);
  EXPECT_EQ(s.traces[1].location, "杭州市");
  EXPECT_EQ(s.traces[1].description, "快件交给张三，正在派送途中");
}

TEST(KdniaoQuery, Signed) {
  const Snapshot s = AsSnapshot(Parse(
      R"({"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":true,"State":"3","StateEx":"301","Traces":[{"AcceptTime":"2026-11-25 08:30:00","AcceptStation":"派送中","Location":"杭州市"},{"AcceptTime":"2026-11-25 11:02:13","AcceptStation":"已签收，签收人：本人","Location":"杭州市","Action":"301"}]})"));
  EXPECT_EQ(s.unified.status, TrackingStatus::kDelivered);
  EXPECT_EQ(s.raw_state, "3");
  EXPECT_EQ(s.raw_substate, "301");
  ASSERT_EQ(s.traces.size(), 2u);
  EXPECT_EQ(s.traces[0].raw_code, "");
}

TEST(KdniaoQuery, ProblemRejected) {
  const Snapshot s = AsSnapshot(Parse(
      R"({"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":true,"Reason":null,"State":"4","StateEx":"404","Traces":[{"AcceptTime":"2026-11-25 14:00:00","AcceptStation":"客户拒收，快件退回","Location":"杭州市","Action":"404"}]})"));
  EXPECT_EQ(s.unified.status, TrackingStatus::kException);
  EXPECT_EQ(s.unified.reason, "REJECTED");
}

TEST(KdniaoQuery, NumericStateAndStateEx) {
  const Snapshot s = AsSnapshot(Parse(
      R"({"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":true,"State":2,"StateEx":202,"Traces":[{"AcceptTime":"2026-11-25 08:30:00","AcceptStation":"派送中","Location":"杭州市","Action":202}]})"));
  EXPECT_EQ(s.raw_state, "2");
  EXPECT_EQ(s.raw_substate, "202");
  EXPECT_EQ(s.traces.at(0).raw_code, "202");
  EXPECT_EQ(s.unified.status, TrackingStatus::kOutForDelivery);
}

TEST(KdniaoQuery, NoTracesIsNoInfo) {
  const Snapshot s = AsSnapshot(Parse(
      R"({"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":true,"Reason":null,"Traces":[]})"));
  EXPECT_EQ(s.unified.status, TrackingStatus::kNoInfo);
  EXPECT_TRUE(s.mapped);
  EXPECT_TRUE(s.traces.empty());
  // Also with State "0" and with Traces null.
  EXPECT_EQ(
      AsSnapshot(
          Parse(R"({"LogisticCode":"SF1234567890123","Success":true,"State":"0","Traces":null})"))
          .unified.status,
      TrackingStatus::kNoInfo);
}

TEST(KdniaoQuery, SuccessFalseIsPermanentWithReason) {
  const ProviderError e = AsError(Parse(
      R"({"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":false,"Reason":"顺丰单号查询需要传入CustomerName"})"));
  EXPECT_EQ(e.kind, Failure::kPermanent);
  EXPECT_NE(e.message.find("CustomerName"), std::string::npos);
  EXPECT_EQ(AsError(Parse(R"({"Success":false,"Reason":null})")).kind, Failure::kPermanent);
}

TEST(KdniaoQuery, SuccessFalseTransientReasonIsRetryable) {
  EXPECT_EQ(AsError(Parse(R"({"Success":false,"Reason":"系统繁忙，请稍后再试"})")).kind,
            Failure::kRetryable);
  EXPECT_EQ(AsError(Parse(R"({"Success":false,"Reason":"Request timeout"})")).kind,
            Failure::kRetryable);
}

TEST(KdniaoQuery, HtmlBadGatewayIsRetryable) {
  const ProviderError& e =
      AsError(Parse("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
                    "Gateway</h1></center><hr><center>nginx</center></body></html>",
                    502));
  EXPECT_EQ(e.kind, Failure::kRetryable);
  // Same HTML with a 200 status is still unparseable, hence retryable.
  EXPECT_EQ(AsError(Parse("<html>oops</html>", 200)).kind, Failure::kRetryable);
}

TEST(KdniaoQuery, TooManyRequestsIsRetryable) {
  EXPECT_EQ(AsError(Parse(R"({"Success":false,"Reason":"too many"})", 429)).kind,
            Failure::kRetryable);
  EXPECT_EQ(AsError(Parse("", 404)).kind, Failure::kPermanent);
}

TEST(KdniaoQuery, TruncatedJsonIsRetryable) {
  EXPECT_EQ(
      AsError(
          Parse(
              R"({"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":true,"State":"2","Traces":[{"AcceptTime":"2026-11-24 18:0)"))
          .kind,
      Failure::kRetryable);
  EXPECT_EQ(AsError(Parse("")).kind, Failure::kRetryable);
}

TEST(KdniaoQuery, UnknownStateExFallsBackToState) {
  const Snapshot s = AsSnapshot(Parse(
      R"({"LogisticCode":"SF1234567890123","ShipperCode":"SF","Success":true,"State":"2","StateEx":"299","Traces":[{"AcceptTime":"2026-11-25 08:30:00","AcceptStation":"运输中"}]})"));
  EXPECT_EQ(s.unified.status, TrackingStatus::kInTransit);
  EXPECT_TRUE(s.mapped);
  EXPECT_EQ(s.raw_substate, "299");
}

TEST(KdniaoQuery, UnknownStateIsNotMapped) {
  const Snapshot s = AsSnapshot(Parse(
      R"({"LogisticCode":"SF1234567890123","ShipperCode":"SF","Success":true,"State":"97","StateEx":"977","Traces":[{"AcceptTime":"2026-11-25 08:30:00","AcceptStation":"?"}]})"));
  EXPECT_FALSE(s.mapped);
  EXPECT_EQ(s.raw_state, "97");
}

TEST(KdniaoQuery, BothAcceptTimeFormatsOldestFirst) {
  // Deliberately newest first and in the two formats: the result is sorted and in UTC.
  const Snapshot s = AsSnapshot(Parse(
      R"({"LogisticCode":"SF1234567890123","ShipperCode":"SF","Success":true,"State":"2","Traces":[{"AcceptTime":"2026/11/25 08:30:00","AcceptStation":"B","Location":"杭州市"},{"AcceptTime":"2026-11-24 18:00:00","AcceptStation":"A","Location":null}]})"));
  ASSERT_EQ(s.traces.size(), 2u);
  EXPECT_EQ(s.traces[0].time, kT1);
  EXPECT_EQ(s.traces[0].description, "A");
  EXPECT_EQ(s.traces[0].location, "");
  EXPECT_EQ(s.traces[1].time, kT2);
  EXPECT_EQ(s.traces[1].description, "B");
}

TEST(KdniaoQuery, ResponseForAnotherWaybillIsRefused) {
  EXPECT_EQ(AsError(Parse(R"({"LogisticCode":"OTHER1","Success":true,"Traces":[]})")).kind,
            Failure::kRetryable);
}

TEST(KdniaoSubscribe, Responses) {
  Protocol p(TestConfig());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(p.parse_subscribe_response(
      200,
      R"({"EBusinessID":"1237100","UpdateTime":"2026-11-25 13:05:01","Success":true,"Reason":""})")));
  auto bad = p.parse_subscribe_response(200, R"({"Success":false,"Reason":"EBusinessID不存在"})");
  ASSERT_TRUE(std::holds_alternative<ProviderError>(bad));
  EXPECT_EQ(std::get<ProviderError>(bad).kind, Failure::kPermanent);
  auto busy = p.parse_subscribe_response(503, "Service Unavailable");
  ASSERT_TRUE(std::holds_alternative<ProviderError>(busy));
  EXPECT_EQ(std::get<ProviderError>(busy).kind, Failure::kRetryable);
}

// ---- Pushes -------------------------------------------------------------------------------------

TEST(KdniaoPush, DerivedVectorVerifiesAndParses) {
  ASSERT_EQ(kPushRequestData.size(), 476u);
  const std::string sign = Protocol::data_sign(kPushRequestData, kApiKey);
  EXPECT_EQ(security::base64_decode(sign).value(), "7ab54078088921a55f884235846b7876");
  EXPECT_EQ(sign, "N2FiNTQwNzgwODg5MjFhNTVmODg0MjM1ODQ2Yjc4NzY=");

  Protocol p(TestConfig());
  const std::string form = p.build_push_form(kPushRequestData);
  EXPECT_EQ(form.rfind("RequestData=", 0), 0u);
  EXPECT_NE(form.find("&RequestType=101&DataSign=N2FiNTQwNzgwODg5MjFhNTVmODg0MjM1ODQ2Yjc4NzY%3D"),
            std::string::npos);

  const PushResult r = p.parse_push(form);
  EXPECT_TRUE(r.verified);
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.snapshots.size(), 1u);
  const Snapshot& s = r.snapshots[0];
  EXPECT_EQ(s.provider, "kdniao");
  EXPECT_EQ(s.provider_carrier, "SF");
  EXPECT_EQ(s.waybill_no, "SF1234567890123");
  EXPECT_EQ(s.unified.status, TrackingStatus::kOutForDelivery);
  EXPECT_EQ(s.raw_state, "2");
  EXPECT_EQ(s.raw_substate, "202");
  ASSERT_EQ(s.traces.size(), 2u);
  EXPECT_EQ(s.traces[0].time, kT1);
  EXPECT_EQ(s.traces[0].location, "上海市");
  EXPECT_EQ(s.traces[1].time, kT2);
  EXPECT_EQ(s.traces[1].location, "杭州市");
  EXPECT_EQ(s.traces[1].raw_code, "202");
  EXPECT_NE(s.raw_payload.find("\"LogisticCode\":\"SF1234567890123\""), std::string::npos);
  EXPECT_EQ(s.raw_payload.find("PushTime"), std::string::npos);  // the item, not the envelope

  // The simulator-side check agrees.
  std::map<std::string, std::string> fields;
  EXPECT_TRUE(Protocol::verify_request_form(form, kApiKey, &fields));
  EXPECT_EQ(fields["RequestData"], kPushRequestData);
}

std::string PushForm(const std::string& request_data, const std::string& encoded_sign,
                     const std::string& type = "101") {
  return "RequestData=" + form_encode(request_data) + "&RequestType=" + type +
         "&DataSign=" + encoded_sign;
}

TEST(KdniaoPush, WrongSignIsNotVerified) {
  Protocol p(TestConfig());
  const std::string wrong = Protocol::data_sign(kPushRequestData, "another-key");
  const PushResult r = p.parse_push(PushForm(kPushRequestData, form_encode(wrong)));
  EXPECT_FALSE(r.verified);
  EXPECT_FALSE(r.error.empty());
  EXPECT_TRUE(r.snapshots.empty());

  // Tampered RequestData with the original sign.
  std::string tampered = kPushRequestData;
  tampered.replace(tampered.find("\"202\""), 5, "\"301\"");
  const PushResult t =
      p.parse_push(PushForm(tampered, form_encode(Protocol::data_sign(kPushRequestData, kApiKey))));
  EXPECT_FALSE(t.verified);
  EXPECT_TRUE(t.snapshots.empty());

  EXPECT_FALSE(p.parse_push("RequestData=%7B%7D&RequestType=101").verified);  // no sign
}

TEST(KdniaoPush, SignEncodedTwiceIsRefused) {
  Protocol p(TestConfig());
  const std::string sign = Protocol::data_sign(kPushRequestData, kApiKey);
  const PushResult r = p.parse_push(PushForm(kPushRequestData, form_encode(form_encode(sign))));
  EXPECT_FALSE(r.verified);
  EXPECT_TRUE(r.snapshots.empty());
}

TEST(KdniaoPush, SeveralDataItems) {
  const std::string rd =
      R"({"EBusinessID":"1237100","PushTime":"2026-11-25 15:00:00","Count":"3","Data":[)"
      R"({"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1","Success":true,"State":"3","StateEx":"301","Traces":[{"AcceptTime":"2026-11-25 11:00:00","AcceptStation":"已签收","Location":"杭州市","Action":"301"}]},)"
      R"({"EBusinessID":"1237100","ShipperCode":"ZTO","LogisticCode":"7890","Success":true,"State":4,"StateEx":404,"Traces":[{"AcceptTime":"2026/11/25 14:00:00","AcceptStation":"客户拒收","Location":"宁波市","Action":"404"}]},)"
      R"({"EBusinessID":"1237100","ShipperCode":"YTO","LogisticCode":"YT9","Success":true,"Traces":[]})"
      R"(]})";
  Protocol p(TestConfig());
  const PushResult r = p.parse_push(p.build_push_form(rd));
  EXPECT_TRUE(r.verified);
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.snapshots.size(), 3u);
  EXPECT_EQ(r.snapshots[0].waybill_no, "SF1");
  EXPECT_EQ(r.snapshots[0].unified.status, TrackingStatus::kDelivered);
  EXPECT_EQ(r.snapshots[1].waybill_no, "7890");
  EXPECT_EQ(r.snapshots[1].provider_carrier, "ZTO");
  EXPECT_EQ(r.snapshots[1].unified.status, TrackingStatus::kException);
  EXPECT_EQ(r.snapshots[1].unified.reason, "REJECTED");
  EXPECT_EQ(r.snapshots[2].unified.status, TrackingStatus::kNoInfo);
}

TEST(KdniaoPush, MalformedNeverThrows) {
  Protocol p(TestConfig());
  // Bad form escapes.
  PushResult r = p.parse_push("RequestData=%ZZ&RequestType=101&DataSign=x");
  EXPECT_FALSE(r.verified);
  EXPECT_FALSE(r.error.empty());
  // Correctly signed but not JSON.
  r = p.parse_push(p.build_push_form("{not json"));
  EXPECT_TRUE(r.verified);
  EXPECT_FALSE(r.error.empty());
  EXPECT_TRUE(r.snapshots.empty());
  // Correctly signed JSON without Data.
  r = p.parse_push(p.build_push_form(R"({"EBusinessID":"1237100"})"));
  EXPECT_FALSE(r.error.empty());
  // Items that are not usable.
  r = p.parse_push(p.build_push_form(R"({"Data":[1,{"Success":true}]})"));
  EXPECT_FALSE(r.error.empty());
  EXPECT_TRUE(r.snapshots.empty());
  // Unsupported push type (107 = payment status).
  const std::string sign = Protocol::data_sign(kPushRequestData, kApiKey);
  r = p.parse_push(PushForm(kPushRequestData, form_encode(sign), "107"));
  EXPECT_TRUE(r.verified);
  EXPECT_FALSE(r.error.empty());
  EXPECT_TRUE(r.snapshots.empty());
  // Type 102 is accepted with the same shape.
  r = p.parse_push(PushForm(kPushRequestData, form_encode(sign), "102"));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.snapshots.size(), 1u);
  // Empty body and no key configured.
  EXPECT_FALSE(p.parse_push("").verified);
  Config nokey = TestConfig();
  nokey.api_key.clear();
  EXPECT_FALSE(Protocol(nokey).parse_push(p.build_push_form(kPushRequestData)).verified);
}

TEST(KdniaoPush, ReplyShape) {
  Protocol p(TestConfig());
  // 2026-11-25 05:05:01.250 UTC = 13:05:01 China time.
  const ReplyBody ok = p.push_reply(true, "", 1795583101250);
  EXPECT_EQ(ok.content_type, "application/json;charset=utf-8");
  EXPECT_EQ(
      ok.body,
      R"({"EBusinessID":"1237100","UpdateTime":"2026-11-25 13:05:01","Success":true,"Reason":""})");
  const ReplyBody bad = p.push_reply(false, "DataSign mismatch", 1795583101000);
  EXPECT_EQ(
      bad.body,
      R"({"EBusinessID":"1237100","UpdateTime":"2026-11-25 13:05:01","Success":false,"Reason":"DataSign mismatch"})");
  // Day rollover in China time: 2026-11-24 16:30:00 UTC = 2026-11-25 00:30:00 +08:00.
  EXPECT_NE(
      p.push_reply(true, "", 1795537800000).body.find("\"UpdateTime\":\"2026-11-25 00:30:00\""),
      std::string::npos);
}

}  // namespace
}  // namespace coldtrack::carriers::kdniao
