#include "carriers/cainiao/cainiao.h"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <variant>

namespace coldtrack::carriers::cainiao {
namespace {

using S = TrackingStatus;

constexpr EpochMs k20261125T0030Z = 1795566600000;  // 2026-11-25 08:30:00 China time
constexpr EpochMs k20261124T1000Z = 1795514400000;  // 2026-11-24 18:00:00 China time

Config TestConfig() {
  Config c;
  c.gateway_url = "http://127.0.0.1:18080/cainiao/gateway/link.do";
  c.app_key = "ct_app";
  c.secret_key = "key123";
  return c;
}

WaybillRef Ref() {
  WaybillRef r;
  r.carrier = "SF";
  r.provider_carrier = "SF";
  r.waybill_no = "SF1234567890123";
  r.phone = "13812345678";
  r.order_no = "ORD-1";
  return r;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Strict form decoding (what a receiver does once).
std::map<std::string, std::string> DecodeForm(const std::string& body) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    auto amp = body.find('&', pos);
    if (amp == std::string::npos) amp = body.size();
    const std::string pair = body.substr(pos, amp - pos);
    const auto eq = pair.find('=');
    auto decode = [](const std::string& s) {
      std::string r;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
          r += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
          i += 2;
        } else if (s[i] == '+') {
          r += ' ';
        } else {
          r += s[i];
        }
      }
      return r;
    };
    out[decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : decode(pair.substr(eq + 1));
    pos = amp + 1;
  }
  return out;
}

Snapshot AsSnapshot(const QueryResult& r) {
  if (const auto* e = std::get_if<ProviderError>(&r)) {
    ADD_FAILURE() << "error: " << e->message;
    return {};
  }
  return std::get<Snapshot>(r);
}

ProviderError AsError(const QueryResult& r) {
  if (std::holds_alternative<Snapshot>(r)) {
    ADD_FAILURE() << "expected an error";
    return {Failure::kRetryable, "<snapshot>"};
  }
  return std::get<ProviderError>(r);
}

// ---- data_digest -------------------------------------------------------------------------------

TEST(CainiaoDigest, PublishedVector) {
  EXPECT_EQ(Protocol::data_digest("hello1234", "key123"), "ufYU7rvXhHY3IDyZgyt6SA==");
}

TEST(CainiaoDigest, IsNotBase64OfHex) {
  const auto d = Protocol::data_digest("hello1234", "key123");
  EXPECT_NE(d, "YjlmNjE0ZWViYmQ3ODQ3NjM3MjAzYzk5ODMyYjdhNDg=");
  EXPECT_EQ(d.size(), 24u);
  EXPECT_EQ(d.substr(22), "==");
}

TEST(CainiaoDigest, DerivedUtf8VectorWithPlusAndSlash) {
  const std::string content = "{\"test\":\"冷链8\"}";
  const auto d = Protocol::data_digest(content, "key123");
  EXPECT_EQ(d, "B63gJTr3/N+Re2wUq2fHvg==");
  EXPECT_EQ(form_encode(d), "B63gJTr3%2FN%2BRe2wUq2fHvg%3D%3D");
}

TEST(CainiaoDigest, FormEncode) {
  EXPECT_EQ(form_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(form_encode("a b+c&d=e/f"), "a%20b%2Bc%26d%3De%2Ff");
  EXPECT_EQ(form_encode("冷"), "%E5%86%B7");
  EXPECT_EQ(form_encode(""), "");
}

// ---- request -----------------------------------------------------------------------------------

TEST(CainiaoRequest, DerivedVectorBodyByteForByte) {
  Config c = TestConfig();
  c.mapping.query_request_template = "{\"test\":\"冷链8\"}";
  const Protocol p(c);
  const auto req = p.build_query(Ref());
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "http://127.0.0.1:18080/cainiao/gateway/link.do");
  EXPECT_EQ(req.headers.at("Content-Type"), "application/x-www-form-urlencoded; charset=UTF-8");
  EXPECT_EQ(req.body,
            "msg_type=COLDTRACK_PLACEHOLDER_TRACE_QUERY"
            "&logistic_provider_id=ct_app"
            "&logistics_interface=%7B%22test%22%3A%22%E5%86%B7%E9%93%BE8%22%7D"
            "&data_digest=B63gJTr3%2FN%2BRe2wUq2fHvg%3D%3D");
}

TEST(CainiaoRequest, DefaultPlaceholderTemplate) {
  const Protocol p(TestConfig());
  const auto req = p.build_query(Ref());
  // Derived: the default template sends the carrier, waybill and the phone's last 4 only.
  EXPECT_EQ(req.body,
            "msg_type=COLDTRACK_PLACEHOLDER_TRACE_QUERY"
            "&logistic_provider_id=ct_app"
            "&logistics_interface=%7B%22cpCode%22%3A%22SF%22%2C%22mailNo%22%3A%22SF1234567890123"
            "%22%2C%22phoneLast4%22%3A%225678%22%7D"
            "&data_digest=ENFFrL97rPai7mRCedtIgA%3D%3D");
  const auto form = DecodeForm(req.body);
  EXPECT_EQ(form.size(), 4u);
  EXPECT_EQ(form.at("logistics_interface"),
            R"({"cpCode":"SF","mailNo":"SF1234567890123","phoneLast4":"5678"})");
  EXPECT_EQ(form.count("to_code"), 0u);
  EXPECT_EQ(req.body.find("13812345678"), std::string::npos);
}

TEST(CainiaoRequest, DigestSignsExactlyTheSentContent) {
  Config c = TestConfig();
  c.mapping.query_request_template =
      R"({"cp":"{{carrier}}","pc":"{{provider_carrier}}","no":"{{waybill_no}}",)"
      R"("ph":"{{phone}}","p4":"{{ phone_last4 }}","o":"{{order_no}}"})";
  const Protocol p(c);
  WaybillRef r = Ref();
  r.waybill_no = "A\"B\\C 冷+/&=";
  r.phone = "+86 138-1234-5678";
  const auto form = DecodeForm(p.build_query(r).body);
  const std::string li = form.at("logistics_interface");
  EXPECT_EQ(li, R"({"cp":"SF","pc":"SF","no":"A\"B\\C 冷+/&=","ph":"+86 138-1234-5678",)"
                R"("p4":"5678","o":"ORD-1"})");
  EXPECT_EQ(form.at("data_digest"), Protocol::data_digest(li, "key123"));
  EXPECT_EQ(form.at("msg_type"), "COLDTRACK_PLACEHOLDER_TRACE_QUERY");
  EXPECT_EQ(form.at("logistic_provider_id"), "ct_app");
}

TEST(CainiaoRequest, SecretIsNeverSent) {
  Config c = TestConfig();
  c.secret_key = "s3cr3t-value";
  const auto req = Protocol(c).build_query(Ref());
  EXPECT_EQ(req.body.find("s3cr3t"), std::string::npos);
  for (const auto& [k, v] : req.headers) EXPECT_EQ(v.find("s3cr3t"), std::string::npos);
}

TEST(CainiaoRequest, ToCodeAndMsgTypeFromMapping) {
  Config c = TestConfig();
  c.mapping.query_msg_type = "REAL_TRACE_API";
  c.mapping.to_code = "CP_X";
  const auto form = DecodeForm(Protocol(c).build_query(Ref()).body);
  EXPECT_EQ(form.at("msg_type"), "REAL_TRACE_API");
  EXPECT_EQ(form.at("to_code"), "CP_X");
}

TEST(CainiaoRequest, XmlTemplateEscaping) {
  Config c = TestConfig();
  c.mapping.template_escape = TemplateEscape::kXml;
  c.mapping.query_request_template = "<req><no>{{waybill_no}}</no></req>";
  WaybillRef r = Ref();
  r.waybill_no = "a<b>&\"'";
  EXPECT_EQ(Protocol(c).render_query_content(r), "<req><no>a&lt;b&gt;&amp;&quot;&apos;</no></req>");
}

TEST(CainiaoConfig, InvalidConfigurationIsRejected) {
  EXPECT_EQ(validate(TestConfig()), "");
  {
    Config c = TestConfig();
    c.mapping.query_request_template = R"({"no":"{{waybill}}"})";
    EXPECT_NE(validate(c).find("request_template"), std::string::npos);
    EXPECT_THROW(Protocol{c}, std::invalid_argument);
  }
  {
    Config c = TestConfig();
    c.mapping.query_request_template = R"({"no":"{{waybill_no"})";
    EXPECT_THROW(Protocol{c}, std::invalid_argument);
  }
  {
    Config c = TestConfig();
    c.app_key = "";
    EXPECT_NE(validate(c).find("app_key"), std::string::npos);
  }
  {
    Config c = TestConfig();
    c.secret_key = "";
    EXPECT_NE(validate(c).find("secret_key"), std::string::npos);
  }
  {
    Config c = TestConfig();
    c.mapping.query_msg_type = " ";
    EXPECT_NE(validate(c).find("msg_type"), std::string::npos);
  }
  {
    Config c = TestConfig();
    c.mapping.status_map.push_back({"BAD", S::kException, ""});
    EXPECT_NE(validate(c).find("BAD"), std::string::npos);
  }
  {
    Config c = TestConfig();
    c.mapping.status_map.push_back({"BAD2", S::kInTransit, "NOT_A_REASON"});
    EXPECT_NE(validate(c).find("BAD2"), std::string::npos);
  }
  {
    Config c = TestConfig();
    c.mapping.status_map.push_back({"DELIVERED", S::kDelivered, ""});
    EXPECT_NE(validate(c).find("duplicate"), std::string::npos);
  }
}

// ---- responses ---------------------------------------------------------------------------------

const char* kSuccessBody = R"({"success":true,"data":{"mailNo":"SF1234567890123",
  "status":"OUT_FOR_DELIVERY","traces":[
  {"time":"2026-11-25 08:30:00","desc":"快件交给张三，正在派送途中","city":"杭州市","status":"OUT_FOR_DELIVERY"},
  {"time":"2026-11-24 18:00:00","desc":"顺丰速运 已收取快件","city":"上海市","status":"PICKED_UP"},
  {"time":"2026-11-25 08:30:00","desc":"快件交给张三，正在派送途中","city":"杭州市","status":"OUT_FOR_DELIVERY"}]}})";

TEST(CainiaoResponse, SuccessPlaceholderSchema) {
  const Protocol p(TestConfig());
  const auto r = p.parse_query_response(200, kSuccessBody, Ref());
  const Snapshot& s = AsSnapshot(r);
  EXPECT_EQ(s.provider, "cainiao");
  EXPECT_EQ(s.provider_carrier, "SF");
  EXPECT_EQ(s.waybill_no, "SF1234567890123");
  EXPECT_TRUE(s.mapped);
  EXPECT_EQ(s.unified.status, S::kOutForDelivery);
  EXPECT_EQ(s.unified.reason, "");
  EXPECT_EQ(s.raw_state, "OUT_FOR_DELIVERY");
  EXPECT_EQ(s.raw_substate, "");
  EXPECT_EQ(s.raw_payload, kSuccessBody);
  ASSERT_EQ(s.traces.size(), 2u);  // deduplicated, oldest first
  EXPECT_EQ(s.traces[0].time, k20261124T1000Z);
  EXPECT_EQ(s.traces[0].description, "顺丰速运 已收取快件");
  EXPECT_EQ(s.traces[0].location, "上海市");
  EXPECT_EQ(s.traces[0].raw_code, "PICKED_UP");
  EXPECT_EQ(s.traces[1].time, k20261125T0030Z);
  EXPECT_EQ(s.traces[1].raw_code, "OUT_FOR_DELIVERY");
}

TEST(CainiaoResponse, SuccessFlagAsString) {
  const Protocol p(TestConfig());
  const auto r = p.parse_query_response(
      200,
      R"({"success":"true","errorCode":"","errorMsg":"","data":{"status":"DELIVERED",)"
      R"("traces":[{"time":"2026-11-25T08:30:00+08:00","desc":"已签收"}]}})",
      Ref());
  const Snapshot& s = AsSnapshot(r);
  EXPECT_EQ(s.unified.status, S::kDelivered);
  ASSERT_EQ(s.traces.size(), 1u);
  EXPECT_EQ(s.traces[0].time, k20261125T0030Z);
}

TEST(CainiaoResponse, NoTracesYetIsNoInfo) {
  const Protocol p(TestConfig());
  for (const char* body : {R"({"success":true,"data":{"traces":[]}})", R"({"success":true})",
                           R"({"success":true,"data":{"traces":null}})"}) {
    const Snapshot& s = AsSnapshot(p.parse_query_response(200, body, Ref()));
    EXPECT_TRUE(s.mapped) << body;
    EXPECT_EQ(s.unified.status, S::kNoInfo) << body;
    EXPECT_TRUE(s.traces.empty()) << body;
  }
}

TEST(CainiaoResponse, UnknownStatusKeepsPrevious) {
  const Protocol p(TestConfig());
  const Snapshot& s = AsSnapshot(p.parse_query_response(
      200,
      R"({"success":true,"data":{"status":" WEIRD_9 ","traces":[{"time":"2026-11-25 08:30:00","desc":"x"}]}})",
      Ref()));
  EXPECT_FALSE(s.mapped);
  EXPECT_EQ(s.unified.status, S::kNoInfo);
  EXPECT_EQ(s.raw_state, "WEIRD_9");
  EXPECT_EQ(s.traces.size(), 1u);
}

TEST(CainiaoResponse, StatusFromNewestTraceWhenNoSummary) {
  const Protocol p(TestConfig());
  const Snapshot& s = AsSnapshot(p.parse_query_response(
      200,
      R"({"success":true,"data":{"traces":[{"time":"2026-11-25 08:30:00","desc":"b","status":"AT_PICKUP_POINT"},)"
      R"({"time":"2026-11-24 18:00:00","desc":"a","status":"PICKED_UP"}]}})",
      Ref()));
  EXPECT_TRUE(s.mapped);
  EXPECT_EQ(s.unified.status, S::kAtPickupPoint);
  EXPECT_EQ(s.raw_state, "");
  EXPECT_EQ(s.raw_substate, "AT_PICKUP_POINT");
}

TEST(CainiaoResponse, TracesWithoutAnyStatusAreNotMapped) {
  const Protocol p(TestConfig());
  const Snapshot& s = AsSnapshot(p.parse_query_response(
      200, R"({"success":true,"data":{"traces":[{"time":"2026-11-25 08:30:00","desc":"b"}]}})",
      Ref()));
  EXPECT_FALSE(s.mapped);
  EXPECT_EQ(s.unified.status, S::kNoInfo);
  EXPECT_EQ(s.traces.size(), 1u);
}

TEST(CainiaoResponse, ExceptionReason) {
  const Protocol p(TestConfig());
  auto parse = [&](const std::string& data) {
    return AsSnapshot(
        p.parse_query_response(200, R"({"success":true,"data":)" + data + "}", Ref()));
  };
  auto s = parse(R"({"status":"EXCEPTION","reason":"PICKUP_OVERDUE"})");
  EXPECT_EQ(s.unified.status, S::kException);
  EXPECT_EQ(s.unified.reason, "PICKUP_OVERDUE");
  s = parse(R"({"status":"EXCEPTION","reason":"MELTED"})");
  EXPECT_EQ(s.unified.reason, "OTHER");
  s = parse(R"({"status":"EXCEPTION"})");
  EXPECT_EQ(s.unified.reason, "OTHER");
  s = parse(R"({"status":"IN_TRANSIT","reason":"FORWARDED"})");
  EXPECT_EQ(s.unified.status, S::kInTransit);
  EXPECT_EQ(s.unified.reason, "FORWARDED");
}

TEST(CainiaoResponse, TraceTimeFormatsAndBadTraces) {
  const Protocol p(TestConfig());
  const Snapshot& s = AsSnapshot(
      p.parse_query_response(200,
                             R"({"success":true,"data":{"status":"IN_TRANSIT","traces":[)"
                             R"({"time":1795566600000,"desc":"epoch ms"},)"
                             R"({"time":"2026/11/24 18:00:00","desc":"slashes"},)"
                             R"({"time":"yesterday","desc":"bad time"},)"
                             R"({"desc":"no time"},)"
                             R"("not an object"]}})",
                             Ref()));
  ASSERT_EQ(s.traces.size(), 2u);
  EXPECT_EQ(s.traces[0].time, k20261124T1000Z);
  EXPECT_EQ(s.traces[0].description, "slashes");
  EXPECT_EQ(s.traces[1].time, k20261125T0030Z);
}

TEST(CainiaoResponse, GatewayDigestErrorIsPermanent) {
  const Protocol p(TestConfig());
  const auto e = AsError(p.parse_query_response(
      200, R"({"success":false,"errorCode":"S02","errorMsg":"digest check failed"})", Ref()));
  EXPECT_EQ(e.kind, Failure::kPermanent);
  EXPECT_NE(e.message.find("S02"), std::string::npos);
  EXPECT_EQ(e.message.find("key123"), std::string::npos);
}

TEST(CainiaoResponse, ErrorClasses) {
  const Protocol p(TestConfig());
  // "system busy" style -> retryable.
  EXPECT_EQ(
      AsError(p.parse_query_response(
                  200, R"({"success":"false","errorCode":"S99","errorMsg":"系统繁忙"})", Ref()))
          .kind,
      Failure::kRetryable);
  EXPECT_EQ(
      AsError(p.parse_query_response(
                  200, R"({"success":false,"errorCode":"X1","errorMsg":"System BUSY"})", Ref()))
          .kind,
      Failure::kRetryable);
  // Anything else (unknown API, invalid waybill, credentials) -> permanent.
  EXPECT_EQ(
      AsError(p.parse_query_response(
                  200, R"({"success":false,"errorCode":"B01","errorMsg":"invalid mailNo"})", Ref()))
          .kind,
      Failure::kPermanent);
  // No success flag but an error code is still a failure.
  EXPECT_EQ(
      AsError(p.parse_query_response(200, R"({"errorCode":"S02","errorMsg":"x"})", Ref())).kind,
      Failure::kPermanent);
  // success=false without a code.
  EXPECT_EQ(AsError(p.parse_query_response(200, R"({"success":false})", Ref())).kind,
            Failure::kPermanent);
}

TEST(CainiaoResponse, ErrorClassesComeFromMapping) {
  Config c = TestConfig();
  c.mapping.error_classes.push_back({"S07", Failure::kRetryable});
  const Protocol p(c);
  EXPECT_EQ(AsError(p.parse_query_response(
                        200, R"({"success":false,"errorCode":"S07","errorMsg":"limit"})", Ref()))
                .kind,
            Failure::kRetryable);
}

TEST(CainiaoResponse, HttpAndBodyFailures) {
  const Protocol p(TestConfig());
  for (int status : {500, 502, 503, 504, 429, 408}) {
    EXPECT_EQ(AsError(p.parse_query_response(status, kSuccessBody, Ref())).kind,
              Failure::kRetryable)
        << status;
  }
  for (int status : {400, 401, 403, 404, 302}) {
    EXPECT_EQ(AsError(p.parse_query_response(status, "{}", Ref())).kind, Failure::kPermanent)
        << status;
  }
  for (const char* body :
       {"", "<html>busy</html>", "[1,2]", "{\"success\":true", "null", R"({"success":"maybe"})",
        R"({"success":true,"data":{"traces":{"time":"x"}}})"}) {
    EXPECT_EQ(AsError(p.parse_query_response(200, body, Ref())).kind, Failure::kRetryable) << body;
  }
}

TEST(CainiaoMapping, PlaceholderStatusMapCoversTheTaxonomy) {
  const Protocol p(TestConfig());
  const std::vector<std::pair<const char*, S>> rows = {
      {"NO_INFO", S::kNoInfo},
      {"AWAITING_PICKUP", S::kAwaitingPickup},
      {"PICKED_UP", S::kPickedUp},
      {"IN_TRANSIT", S::kInTransit},
      {"OUT_FOR_DELIVERY", S::kOutForDelivery},
      {"AT_PICKUP_POINT", S::kAtPickupPoint},
      {"DELIVERED", S::kDelivered},
      {"EXCEPTION", S::kException},
      {"RETURNING", S::kReturning},
      {"RETURNED", S::kReturned},
      {"CUSTOMS", S::kCustoms},
  };
  EXPECT_EQ(p.config().mapping.status_map.size(), rows.size());
  for (const auto& [code, status] : rows) {
    const auto m = p.map_status(code);
    EXPECT_TRUE(m.known) << code;
    EXPECT_EQ(m.unified.status, status) << code;
    EXPECT_EQ(m.unified.reason, status == S::kException ? "OTHER" : "") << code;
  }
  EXPECT_TRUE(p.map_status("  DELIVERED ").known);
  EXPECT_FALSE(p.map_status("").known);
  EXPECT_FALSE(p.map_status("delivered").known);
  EXPECT_FALSE(p.map_status("SIGN").known);
}

TEST(CainiaoMapping, RealSchemaIsAConfigurationChange) {
  Config c = TestConfig();
  auto& m = c.mapping;
  m.query_msg_type = "SOME_TRACE_QUERY";
  m.status_path = "logisticsStatus";
  m.reason_path = "";
  m.trace_list_path = "result.fullTraceDetail";
  m.trace_fields = {"eventTime", "standerdDesc", "cityName", "action"};
  m.status_map = {{"SIGN", S::kDelivered, ""},
                  {"REJECT", S::kException, "REJECTED"},
                  {"TRANSPORT", S::kInTransit, ""}};
  const Protocol p(c);
  const Snapshot& s = AsSnapshot(p.parse_query_response(
      200,
      R"({"success":"true","logisticsStatus":"REJECT","result":{"fullTraceDetail":[)"
      R"({"eventTime":"2026-11-24 18:00:00","standerdDesc":"运输中","cityName":"上海市","action":"TRANSPORT"},)"
      R"({"eventTime":"2026-11-25 08:30:00","standerdDesc":"拒收","cityName":"杭州市","action":"REJECT"}]}})",
      Ref()));
  EXPECT_TRUE(s.mapped);
  EXPECT_EQ(s.unified.status, S::kException);
  EXPECT_EQ(s.unified.reason, "REJECTED");
  ASSERT_EQ(s.traces.size(), 2u);
  EXPECT_EQ(s.traces[1].location, "杭州市");
  EXPECT_EQ(s.traces[1].raw_code, "REJECT");
  // The placeholder codes are no longer known once the table is replaced.
  EXPECT_FALSE(p.map_status("DELIVERED").known);
}

}  // namespace
}  // namespace coldtrack::carriers::cainiao
