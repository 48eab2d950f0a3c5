#include "carriers/kuaidi100/kuaidi100.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <variant>

#include "domain/time.h"

namespace coldtrack::carriers::kuaidi100 {
namespace {

namespace json = boost::json;

// ---- Helpers ------------------------------------------------------------------------------------

Config TestConfig() {
  Config c;
  c.customer = "TESTCUSTOMER";
  c.key = "testkey";
  c.salt = "testsalt";
  c.query_url = "https://poll.kuaidi100.test/poll/query.do";
  c.subscribe_url = "https://poll.kuaidi100.test/poll";
  c.callback_url = "http://coldtrack.test/callbacks/kuaidi100";
  return c;
}

WaybillRef Ref(std::string carrier, std::string com, std::string num, std::string phone = "") {
  WaybillRef r;
  r.carrier = std::move(carrier);
  r.provider_carrier = std::move(com);
  r.waybill_no = std::move(num);
  r.phone = std::move(phone);
  return r;
}

WaybillRef YtoRef(std::string num = "YT1234567890") {
  return Ref("YTO", "yuantong", std::move(num), "13800138000");
}

EpochMs China(const char* local) {
  auto t = domain::parse_rfc3339(std::string(local) + "+08:00");
  if (!t) throw std::invalid_argument("bad time in test");
  return *t;
}

std::map<std::string, std::string> Form(std::string_view body) {
  std::map<std::string, std::string> f;
  if (!form_decode(body, f)) throw std::invalid_argument("bad form in test");
  return f;
}

json::object Obj(std::string_view text) {
  return json::parse(text).as_object();
}

Snapshot ExpectSnapshot(const QueryResult& r) {
  if (const auto* e = std::get_if<ProviderError>(&r)) {
    ADD_FAILURE() << "unexpected error: " << e->message;
    return {};
  }
  return std::get<Snapshot>(r);
}

ProviderError ExpectError(const QueryResult& r) {
  if (const auto* s = std::get_if<Snapshot>(&r)) {
    ADD_FAILURE() << "unexpected snapshot for " << s->waybill_no;
    return {Failure::kRetryable, ""};
  }
  return std::get<ProviderError>(r);
}

ProviderError ExpectError(const SubscribeResult& r) {
  if (std::holds_alternative<std::monostate>(r)) {
    ADD_FAILURE() << "unexpected success";
    return {Failure::kRetryable, ""};
  }
  return std::get<ProviderError>(r);
}

// Parses a query fixture for YT1234567890 and returns the snapshot.
Snapshot ParseOk(std::string_view body, const WaybillRef& ref = YtoRef()) {
  return ExpectSnapshot(Protocol(TestConfig()).parse_query_response(200, body, ref));
}

// ---- Vectors ------------------------------------------------------------------------------------

constexpr std::string_view kGoldenParam = R"({"com":"yuantong","num":"12345678"})";
constexpr std::string_view kGoldenSign = "C5781ABD67953FEAE58CC3921E6D2B18";

// carriers-kuaidi100.md §2 "Derived push vector": 553 bytes UTF-8, one line.
constexpr std::string_view kPushParam =
    R"({"status":"polling","message":"","autoCheck":"0","comOld":"","comNew":"","lastResult":{"message":"ok","nu":"YT0000000000001","ischeck":"0","condition":"F00","com":"yuantong","status":"200","state":"5","data":[{"time":"2026-11-25 08:30:00","ftime":"2026-11-25 08:30:00","context":"【杭州市】快件已到达，快递员正在派送","location":"杭州市","status":"派件","statusCode":"5"},{"time":"2026-11-24 18:00:00","ftime":"2026-11-24 18:00:00","context":"【上海市】已揽收","location":"上海市","status":"揽收","statusCode":"1"}]}})";
constexpr std::string_view kPushSign = "06C276717609E58ACF9D604593C618F6";
// md5sum of kPushParam alone (salt ""), computed with coreutils.
constexpr std::string_view kPushSignEmptySalt = "931FDF398D6956DD5F4AA04F3ED71333";

std::string PushBody(std::string_view param, std::string_view sign) {
  return "param=" + form_encode(param) + "&sign=" + std::string(sign);
}

TEST(Kuaidi100Sign, GoldenQueryVectorByteForByte) {
  EXPECT_EQ(Protocol::query_sign(kGoldenParam, "testkey", "TESTCUSTOMER"), kGoldenSign);
}

TEST(Kuaidi100Sign, DerivedPushVector) {
  ASSERT_EQ(kPushParam.size(), 553u);
  EXPECT_EQ(Protocol::push_sign(kPushParam, "testsalt"), kPushSign);
}

TEST(Kuaidi100Sign, EmptySaltStillSigns) {
  EXPECT_EQ(Protocol::push_sign(kPushParam, ""), kPushSignEmptySalt);
  EXPECT_NE(Protocol::push_sign(kPushParam, ""), Protocol::push_sign(kPushParam, "testsalt"));
}

TEST(Kuaidi100Sign, SignsAreUppercaseHex) {
  const std::string s = Protocol::query_sign("", "", "");
  EXPECT_EQ(s, "D41D8CD98F00B204E9800998ECF8427E");  // MD5("")
}

// ---- Form encoding ------------------------------------------------------------------------------

TEST(Kuaidi100Form, EncodeDecodeRoundTrip) {
  const std::string value = "a b+c&d=e/f%\"中\"~";
  const std::string encoded = form_encode(value);
  EXPECT_EQ(encoded.find_first_of(" &=\""), std::string::npos);
  EXPECT_EQ(encoded.substr(0, 3), "a+b");
  std::map<std::string, std::string> f;
  ASSERT_TRUE(form_decode("x=" + encoded + "&y=", f));
  EXPECT_EQ(f["x"], value);
  EXPECT_EQ(f["y"], "");
  EXPECT_EQ(form_encode("a b"), "a+b");
  EXPECT_EQ(form_encode("-._*~"), "-._*%7E");
}

TEST(Kuaidi100Form, RejectsMalformedEscapesAndRepeatedNames) {
  std::map<std::string, std::string> f;
  EXPECT_FALSE(form_decode("param=%G1", f));
  EXPECT_FALSE(form_decode("param=%4", f));
  EXPECT_FALSE(form_decode("param=abc%", f));
  EXPECT_FALSE(form_decode("param=1&param=2", f));
  EXPECT_TRUE(form_decode("", f));
  EXPECT_TRUE(f.empty());
}

// ---- Query request ------------------------------------------------------------------------------

TEST(Kuaidi100Query, BuildsSignedForm) {
  const Protocol p(TestConfig());
  const OutboundRequest req = p.build_query(YtoRef());
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://poll.kuaidi100.test/poll/query.do");
  EXPECT_EQ(req.headers.at("Content-Type"), "application/x-www-form-urlencoded");
  auto f = Form(req.body);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f["customer"], "TESTCUSTOMER");
  // The sign covers the exact param bytes that are sent.
  EXPECT_EQ(f["sign"], Protocol::query_sign(f["param"], "testkey", "TESTCUSTOMER"));
  EXPECT_EQ(f["param"],
            R"({"com":"yuantong","num":"YT1234567890","resultv2":"4","show":"0","order":"desc"})");
  EXPECT_EQ(req.body.find("testkey"), std::string::npos);  // the key is never sent
}

TEST(Kuaidi100Query, PhoneOnlyForCarriersThatNeedIt) {
  const Protocol p(TestConfig());
  struct Case {
    const char* com;
    bool phone;
  };
  for (const Case c :
       {Case{"shunfeng", true}, Case{"zhongtong", true}, Case{"shunfengkuaiyun", true},
        Case{"SHUNFENG", true}, Case{"yuantong", false}, Case{"jd", false}}) {
    const auto f = Form(p.build_query(Ref("X", c.com, "SF1234567890", "13800138000")).body);
    const json::object param = Obj(f.at("param"));
    EXPECT_EQ(param.contains("phone"), c.phone) << c.com;
    if (c.phone) {
      EXPECT_EQ(param.at("phone"), "13800138000") << c.com;
    }
    EXPECT_EQ(p.needs_phone(c.com), c.phone) << c.com;
  }
  // com is sent lowercase.
  const auto f = Form(p.build_query(Ref("SF", "SHUNFENG", "SF1", "13800138000")).body);
  EXPECT_EQ(Obj(f.at("param")).at("com"), "shunfeng");
}

TEST(Kuaidi100Query, VirtualNumberSendsFourDigitsAfterDash) {
  const Protocol p(TestConfig());
  const auto f = Form(p.build_query(Ref("SF", "shunfeng", "SF1", "13800138000-1234")).body);
  EXPECT_EQ(Obj(f.at("param")).at("phone"), "1234");
  const auto g = Form(p.build_query(Ref("SF", "shunfeng", "SF1", "0571-88886666")).body);
  EXPECT_EQ(Obj(g.at("param")).at("phone"), "0571-88886666");
}

TEST(Kuaidi100Query, MissingPhoneIsOmittedNotInvented) {
  const Protocol p(TestConfig());
  const auto f = Form(p.build_query(Ref("SF", "shunfeng", "SF1", "")).body);
  EXPECT_FALSE(Obj(f.at("param")).contains("phone"));
}

TEST(Kuaidi100Query, UnsupportedCarrierThrows) {
  const Protocol p(TestConfig());
  EXPECT_THROW(p.build_query(Ref("JD_FREIGHT", "", "JDK1")), std::invalid_argument);
  EXPECT_THROW(p.build_query(Ref("YTO", "yuantong", " ")), std::invalid_argument);
  EXPECT_THROW(p.build_subscribe(Ref("JD_FREIGHT", "", "JDK1")), std::invalid_argument);
}

TEST(Kuaidi100Query, SimulatorVerifiesGoldenForm) {
  const std::string body = "customer=TESTCUSTOMER&sign=" + std::string(kGoldenSign) +
                           "&param=" + form_encode(kGoldenParam);
  std::map<std::string, std::string> fields;
  ASSERT_TRUE(Protocol::verify_query_form(body, "testkey", &fields));
  EXPECT_EQ(fields["param"], kGoldenParam);
  EXPECT_EQ(fields["customer"], "TESTCUSTOMER");
  // Lowercase sign accepted; wrong key, tampered param, other signType refused.
  const std::string lower = "customer=TESTCUSTOMER&sign=c5781abd67953feae58cc3921e6d2b18&param=" +
                            form_encode(kGoldenParam);
  EXPECT_TRUE(Protocol::verify_query_form(lower, "testkey", nullptr));
  std::map<std::string, std::string> untouched{{"k", "v"}};
  EXPECT_FALSE(Protocol::verify_query_form(body, "otherkey", &untouched));
  EXPECT_EQ(untouched.size(), 1u);
  EXPECT_FALSE(Protocol::verify_query_form(
      "customer=TESTCUSTOMER&sign=" + std::string(kGoldenSign) +
          "&param=" + form_encode(R"({"com":"yuantong","num":"12345679"})"),
      "testkey", nullptr));
  EXPECT_FALSE(Protocol::verify_query_form(body + "&signType=SHA256", "testkey", nullptr));
  EXPECT_TRUE(Protocol::verify_query_form(body + "&signType=MD5", "testkey", nullptr));
  EXPECT_FALSE(Protocol::verify_query_form("customer=TESTCUSTOMER&param=x", "testkey", nullptr));
}

TEST(Kuaidi100Query, SimulatorVerifiesOurRequests) {
  const Protocol p(TestConfig());
  const OutboundRequest req = p.build_query(Ref("SF", "shunfeng", "SF1234567890", "13800138000"));
  std::map<std::string, std::string> fields;
  ASSERT_TRUE(Protocol::verify_query_form(req.body, "testkey", &fields));
  EXPECT_EQ(Obj(fields["param"]).at("num"), "SF1234567890");
  EXPECT_FALSE(Protocol::verify_query_form(req.body, "wrong", nullptr));
}

// ---- Query responses: recorded fixtures --------------------------------------------------------

constexpr std::string_view kInTransit =
    R"({"message":"ok","nu":"YT1234567890","ischeck":"0","condition":"F00","com":"yuantong","status":"200","state":"0","data":[
{"time":"2026-11-24 22:10:00","ftime":"2026-11-24 22:10:00","context":"【杭州转运中心】已发出，下一站【杭州西湖区】","location":"杭州转运中心"},
{"time":"2026-11-24 20:00:00","ftime":"2026-11-24 20:00:00","context":"【上海转运中心】已发出","location":"","areaName":"上海,上海市"},
{"time":"2026-11-24 20:00:00","ftime":"2026-11-24 20:00:00","context":"【上海转运中心】已发出","location":"","areaName":"上海,上海市"},
{"time":"2026-11-24 18:00:00","ftime":"2026-11-24 18:00:00","context":"【上海市】已揽收","location":"上海市"}]})";

TEST(Kuaidi100Query, InTransitOldestFirstDeduplicated) {
  const Snapshot s = ParseOk(kInTransit);
  EXPECT_EQ(s.provider, "kuaidi100");
  EXPECT_EQ(s.provider_carrier, "yuantong");
  EXPECT_EQ(s.waybill_no, "YT1234567890");
  EXPECT_EQ(s.unified.status, TrackingStatus::kInTransit);
  EXPECT_EQ(s.unified.reason, "");
  EXPECT_TRUE(s.mapped);
  EXPECT_EQ(s.raw_state, "0");
  EXPECT_EQ(s.raw_substate, "");
  EXPECT_EQ(s.raw_payload, kInTransit);
  ASSERT_EQ(s.traces.size(), 3u);
  EXPECT_EQ(s.traces[0].time, China("2026-11-24T18:00:00"));
  EXPECT_EQ(s.traces[0].description, "【上海市】已揽收");
  EXPECT_EQ(s.traces[0].location, "上海市");
  EXPECT_EQ(s.traces[1].time, China("2026-11-24T20:00:00"));
  EXPECT_EQ(s.traces[1].location, "上海,上海市");  // areaName when location is empty
  EXPECT_EQ(s.traces[2].time, China("2026-11-24T22:10:00"));
  EXPECT_EQ(s.traces[2].raw_code, "");
}

constexpr std::string_view kOutForDelivery =
    R"({"message":"ok","nu":"YT1234567890","ischeck":"0","condition":"F00","com":"yuantong","status":"200","state":"5","data":[
{"time":"2026-11-25 08:30:00","ftime":"2026-11-25 08:30:00","context":"【杭州市】快件已到达，快递员正在派送","location":"杭州市","status":"派件","statusCode":"5"},
{"time":"2026-11-24 18:00:00","ftime":"2026-11-24 18:00:00","context":"【上海市】已揽收","location":"上海市","status":"揽收","statusCode":"1"}]})";

TEST(Kuaidi100Query, OutForDelivery) {
  const Snapshot s = ParseOk(kOutForDelivery);
  EXPECT_EQ(s.unified.status, TrackingStatus::kOutForDelivery);
  EXPECT_EQ(s.raw_state, "5");
  EXPECT_EQ(s.raw_substate, "5");
  ASSERT_EQ(s.traces.size(), 2u);
  EXPECT_EQ(s.traces[0].raw_code, "1");
  EXPECT_EQ(s.traces[1].raw_code, "5");
}

constexpr std::string_view kSignedBase =
    R"({"message":"ok","nu":"YT1234567890","ischeck":"1","condition":"F00","com":"yuantong","status":"200","state":"3","data":[
{"time":"2026-11-25 12:01:00","ftime":"2026-11-25 12:01:00","context":"您的快件已签收，签收人：本人","location":"杭州市"},
{"time":"2026-11-25 08:30:00","ftime":"2026-11-25 08:30:00","context":"快递员正在派送","location":"杭州市"}]})";

constexpr std::string_view kSigned301 =
    R"({"message":"ok","nu":"YT1234567890","ischeck":"1","condition":"F00","com":"yuantong","status":"200","state":"301","data":[
{"time":"2026-11-25 12:01:00","ftime":"2026-11-25 12:01:00","context":"您的快件已签收，签收人：本人","location":"杭州市","areaCode":"CN330100000000","areaName":"浙江,杭州市","status":"签收","statusCode":"301"},
{"time":"2026-11-25 08:30:00","ftime":"2026-11-25 08:30:00","context":"快递员正在派送","location":"杭州市","status":"派件","statusCode":"5"}]})";

TEST(Kuaidi100Query, SignedBaseState3) {
  const Snapshot s = ParseOk(kSignedBase);
  EXPECT_EQ(s.unified.status, TrackingStatus::kDelivered);
  EXPECT_EQ(s.raw_state, "3");
  EXPECT_EQ(s.raw_substate, "");
  EXPECT_EQ(s.traces.size(), 2u);
}

TEST(Kuaidi100Query, SignedSubState301) {
  const Snapshot s = ParseOk(kSigned301);
  EXPECT_EQ(s.unified.status, TrackingStatus::kDelivered);
  EXPECT_TRUE(s.mapped);
  EXPECT_EQ(s.raw_state, "301");
  EXPECT_EQ(s.raw_substate, "301");
  EXPECT_EQ(s.traces.back().raw_code, "301");
}

std::string Fixture(std::string_view state, std::string_view newest_code,
                    std::string_view ischeck = "0") {
  std::string code_field =
      newest_code.empty() ? "" : R"(,"statusCode":")" + std::string(newest_code) + "\"";
  return R"({"message":"ok","nu":"YT1234567890","ischeck":")" + std::string(ischeck) +
         R"(","condition":"F00","com":"yuantong","status":"200","state":")" + std::string(state) +
         R"(","data":[{"time":"2026-11-26 09:00:00","ftime":"2026-11-26 09:00:00","context":"最新轨迹","location":"杭州市")" +
         code_field +
         R"(},{"time":"2026-11-24 18:00:00","ftime":"2026-11-24 18:00:00","context":"【上海市】已揽收","location":"上海市","statusCode":"1"}]})";
}

TEST(Kuaidi100Query, ProblemStates) {
  Snapshot s = ParseOk(Fixture("2", ""));
  EXPECT_EQ(s.unified.status, TrackingStatus::kException);
  EXPECT_EQ(s.unified.reason, "OTHER");

  s = ParseOk(Fixture("203", "203"));  // rejected (unverified 2xx table)
  EXPECT_EQ(s.unified.status, TrackingStatus::kException);
  EXPECT_EQ(s.unified.reason, "REJECTED");
  EXPECT_EQ(s.raw_substate, "203");

  s = ParseOk(Fixture("205", "205"));
  EXPECT_EQ(s.unified.reason, "PICKUP_OVERDUE");

  s = ParseOk(Fixture("14", "14"));  // refused
  EXPECT_EQ(s.unified.status, TrackingStatus::kException);
  EXPECT_EQ(s.unified.reason, "REJECTED");

  s = ParseOk(Fixture("13", ""));  // clearance exception
  EXPECT_EQ(s.unified.reason, "CUSTOMS_PROBLEM");
}

TEST(Kuaidi100Query, ReturnedAndReturning) {
  Snapshot s = ParseOk(Fixture("4", "", "1"));
  EXPECT_EQ(s.unified.status, TrackingStatus::kReturned);
  s = ParseOk(Fixture("6", "6"));
  EXPECT_EQ(s.unified.status, TrackingStatus::kReturning);
  s = ParseOk(Fixture("401", "401"));  // waybill cancelled
  EXPECT_EQ(s.unified.status, TrackingStatus::kException);
  EXPECT_EQ(s.unified.reason, "CANCELLED");
}

TEST(Kuaidi100Query, SubStatesWithResultV2) {
  struct Case {
    const char* state;
    const char* code;
    TrackingStatus status;
    const char* reason;
  };
  for (const Case c : {
           Case{"101", "101", TrackingStatus::kAwaitingPickup, ""},
           Case{"102", "102", TrackingStatus::kAwaitingPickup, ""},
           Case{"103", "103", TrackingStatus::kPickedUp, ""},
           Case{"1001", "1001", TrackingStatus::kInTransit, ""},
           Case{"1002", "1002", TrackingStatus::kInTransit, ""},
           Case{"1003", "1003", TrackingStatus::kInTransit, "FORWARDED"},
           Case{"501", "501", TrackingStatus::kAtPickupPoint, ""},  // locker/station, not OFD
           Case{"304", "304", TrackingStatus::kDelivered, ""},
           Case{"7", "7", TrackingStatus::kInTransit, "FORWARDED"},
           Case{"10", "", TrackingStatus::kCustoms, ""},
           // The newest trace's statusCode is more specific than state and wins.
           Case{"5", "501", TrackingStatus::kAtPickupPoint, ""},
           // Sub-state only in `state` (trace without statusCode).
           Case{"1002", "", TrackingStatus::kInTransit, ""},
           // Unknown sub-state falls back to its parent base state.
           Case{"309", "309", TrackingStatus::kDelivered, ""},
           Case{"1009", "1009", TrackingStatus::kInTransit, ""},
           Case{"599", "599", TrackingStatus::kOutForDelivery, ""},
       }) {
    const Snapshot s = ParseOk(Fixture(c.state, c.code));
    EXPECT_EQ(s.unified.status, c.status) << c.state << "/" << c.code;
    EXPECT_EQ(s.unified.reason, c.reason) << c.state << "/" << c.code;
    EXPECT_TRUE(s.mapped) << c.state << "/" << c.code;
    EXPECT_EQ(s.raw_state, c.state);
  }
}

TEST(Kuaidi100Query, UnknownStateCodes) {
  // Unknown everywhere: not mapped, NO_INFO, raw codes kept.
  Snapshot s = ParseOk(Fixture("99", ""));
  EXPECT_FALSE(s.mapped);
  EXPECT_EQ(s.unified.status, TrackingStatus::kNoInfo);
  EXPECT_EQ(s.raw_state, "99");
  EXPECT_EQ(s.traces.size(), 2u);

  s = ParseOk(Fixture("99", "9999"));
  EXPECT_FALSE(s.mapped);
  EXPECT_EQ(s.raw_substate, "9999");

  // Unknown trace code, known state: the state is used.
  s = ParseOk(Fixture("3", "abc"));
  EXPECT_TRUE(s.mapped);
  EXPECT_EQ(s.unified.status, TrackingStatus::kDelivered);
  EXPECT_EQ(s.raw_substate, "abc");
}

TEST(Kuaidi100Query, NumbersAcceptedForCodes) {
  const std::string body =
      R"({"message":"ok","nu":"YT1234567890","ischeck":1,"com":"yuantong","status":200,"state":3,"data":[{"time":"2026-11-25 12:01:00","context":"已签收","statusCode":301}]})";
  const Snapshot s = ParseOk(body);
  EXPECT_EQ(s.raw_state, "3");
  EXPECT_EQ(s.raw_substate, "301");
  EXPECT_EQ(s.unified.status, TrackingStatus::kDelivered);
  ASSERT_EQ(s.traces.size(), 1u);
  EXPECT_EQ(s.traces[0].time, China("2026-11-25T12:01:00"));  // `time` used when no ftime
}

TEST(Kuaidi100Query, FtimeUsedWhenTimeUnreadable) {
  const std::string body =
      R"({"message":"ok","nu":"YT1234567890","state":"0","data":[{"time":"bogus","ftime":"2026-11-25 12:01:00","context":"a"},{"time":"also bogus","context":"b"}]})";
  const Snapshot s = ParseOk(body);
  ASSERT_EQ(s.traces.size(), 1u);  // a trace without any readable time cannot be ordered
  EXPECT_EQ(s.traces[0].time, China("2026-11-25T12:01:00"));
  EXPECT_EQ(s.raw_payload, body);  // ...but stays in the raw payload
}

TEST(Kuaidi100Query, EmptyDataIsASnapshotWithoutTraces) {
  const Snapshot s = ParseOk(R"({"message":"ok","nu":"YT1234567890","state":"1","data":[]})");
  EXPECT_TRUE(s.traces.empty());
  EXPECT_EQ(s.unified.status, TrackingStatus::kPickedUp);
}

// ---- Query responses: failures ------------------------------------------------------------------

TEST(Kuaidi100Query, DocumentedFailureResponses) {
  const Protocol p(TestConfig());
  struct Case {
    const char* code;
    Failure kind;
  };
  for (const Case c : {Case{"500", Failure::kRetryable}, Case{"600", Failure::kPermanent},
                       Case{"601", Failure::kPermanent}, Case{"700", Failure::kPermanent},
                       Case{"701", Failure::kPermanent}, Case{"702", Failure::kPermanent},
                       // Not in the doc: retried with backoff rather than stopping tracking.
                       Case{"503", Failure::kRetryable}}) {
    const std::string body = std::string(R"({"result":false,"returnCode":")") + c.code +
                             R"(","message":"查询无结果，请隔段时间再查"})";
    const ProviderError e = ExpectError(p.parse_query_response(200, body, YtoRef()));
    EXPECT_EQ(e.kind, c.kind) << c.code;
    EXPECT_NE(e.message.find(c.code), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("查询无结果"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("testkey"), std::string::npos);
  }
}

TEST(Kuaidi100Query, FailureRecognisedWhateverTheShape) {
  const Protocol p(TestConfig());
  // Numeric returnCode, "result" as a string, a non-200 HTTP status with a documented body.
  EXPECT_EQ(
      ExpectError(p.parse_query_response(
                      200, R"({"result":false,"returnCode":600,"message":"bad key"})", YtoRef()))
          .kind,
      Failure::kPermanent);
  EXPECT_EQ(
      ExpectError(p.parse_query_response(
                      200, R"({"result":"false","returnCode":"700","message":"x"})", YtoRef()))
          .kind,
      Failure::kPermanent);
  EXPECT_EQ(ExpectError(p.parse_query_response(400, R"({"returnCode":"601","message":"expired"})",
                                               YtoRef()))
                .kind,
            Failure::kPermanent);
  // result:false without a code: retryable.
  EXPECT_EQ(ExpectError(p.parse_query_response(200, R"({"result":false})", YtoRef())).kind,
            Failure::kRetryable);
}

TEST(Kuaidi100Query, TransportLevelFailures) {
  const Protocol p(TestConfig());
  const std::string html502 =
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
      "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
  EXPECT_EQ(ExpectError(p.parse_query_response(502, html502, YtoRef())).kind, Failure::kRetryable);
  EXPECT_EQ(ExpectError(p.parse_query_response(429, "", YtoRef())).kind, Failure::kRetryable);
  EXPECT_EQ(
      ExpectError(p.parse_query_response(429, R"({"result":false,"returnCode":"600"})", YtoRef()))
          .kind,
      Failure::kRetryable);
  EXPECT_EQ(ExpectError(p.parse_query_response(503, kInTransit, YtoRef())).kind,
            Failure::kRetryable);
  EXPECT_EQ(ExpectError(p.parse_query_response(0, "", YtoRef())).kind, Failure::kRetryable);
  // Truncated JSON, HTML with 200, empty body, a JSON array: unparseable -> retryable.
  const std::string truncated(kInTransit.substr(0, kInTransit.size() / 2));
  EXPECT_EQ(ExpectError(p.parse_query_response(200, truncated, YtoRef())).kind,
            Failure::kRetryable);
  EXPECT_EQ(ExpectError(p.parse_query_response(200, html502, YtoRef())).kind, Failure::kRetryable);
  EXPECT_EQ(ExpectError(p.parse_query_response(200, "", YtoRef())).kind, Failure::kRetryable);
  EXPECT_EQ(ExpectError(p.parse_query_response(200, "[]", YtoRef())).kind, Failure::kRetryable);
  // A JSON object that is neither a result nor a documented failure.
  EXPECT_EQ(ExpectError(p.parse_query_response(200, R"({"message":"ok"})", YtoRef())).kind,
            Failure::kRetryable);
  // A non-JSON 404: our URL/configuration is wrong.
  EXPECT_EQ(ExpectError(p.parse_query_response(404, "<html>not found</html>", YtoRef())).kind,
            Failure::kPermanent);
}

TEST(Kuaidi100Query, ResponseForAnotherWaybillRefused) {
  const Protocol p(TestConfig());
  EXPECT_EQ(ExpectError(p.parse_query_response(200, kInTransit, YtoRef("YT999"))).kind,
            Failure::kRetryable);
  // Case differences in the number are tolerated.
  ExpectSnapshot(p.parse_query_response(200, kInTransit, YtoRef("yt1234567890")));
}

// ---- Subscription -------------------------------------------------------------------------------

TEST(Kuaidi100Subscribe, BuildsPollForm) {
  const Protocol p(TestConfig());
  const OutboundRequest req =
      p.build_subscribe(Ref("SF", "shunfeng", "SF1234567890", "13800138000"));
  EXPECT_EQ(req.url, "https://poll.kuaidi100.test/poll");
  EXPECT_EQ(req.headers.at("Content-Type"), "application/x-www-form-urlencoded");
  auto f = Form(req.body);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f["schema"], "json");
  EXPECT_EQ(
      f["param"],
      R"({"company":"shunfeng","number":"SF1234567890","key":"testkey","parameters":{"callbackurl":"http://coldtrack.test/callbacks/kuaidi100","salt":"testsalt","resultv2":"4","phone":"13800138000"}})");

  const auto g = Form(p.build_subscribe(YtoRef()).body);
  const json::object params = Obj(g.at("param")).at("parameters").as_object();
  EXPECT_FALSE(params.contains("phone"));  // not required for yuantong: not shared
  EXPECT_EQ(params.at("resultv2"), "4");
}

TEST(Kuaidi100Subscribe, EmptySaltOmittedAndCallbackRequired) {
  Config c = TestConfig();
  c.salt = "";
  const auto f = Form(Protocol(c).build_subscribe(YtoRef()).body);
  EXPECT_FALSE(Obj(f.at("param")).at("parameters").as_object().contains("salt"));
  c.callback_url = "";
  EXPECT_THROW(Protocol(c).build_subscribe(YtoRef()), std::invalid_argument);
}

TEST(Kuaidi100Subscribe, ResponseCodes) {
  const Protocol p(TestConfig());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(p.parse_subscribe_response(
      200, R"({"result":true,"returnCode":"200","message":"提交成功"})")));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(p.parse_subscribe_response(
      200, R"({"result":false,"returnCode":"501","message":"重复订阅"})")));
  struct Case {
    const char* code;
    Failure kind;
  };
  for (const Case c : {Case{"500", Failure::kRetryable}, Case{"600", Failure::kPermanent},
                       Case{"601", Failure::kPermanent}, Case{"700", Failure::kPermanent},
                       Case{"701", Failure::kPermanent}, Case{"702", Failure::kPermanent}}) {
    const std::string body =
        std::string(R"({"result":false,"returnCode":")") + c.code + R"(","message":"m"})";
    EXPECT_EQ(ExpectError(p.parse_subscribe_response(200, body)).kind, c.kind) << c.code;
  }
  EXPECT_EQ(ExpectError(p.parse_subscribe_response(502, "<html>502</html>")).kind,
            Failure::kRetryable);
  EXPECT_EQ(ExpectError(p.parse_subscribe_response(429, "")).kind, Failure::kRetryable);
  EXPECT_EQ(ExpectError(p.parse_subscribe_response(200, R"({"result":true,"retu)")).kind,
            Failure::kRetryable);
  EXPECT_EQ(ExpectError(p.parse_subscribe_response(200, R"({"message":"?"})")).kind,
            Failure::kRetryable);
}

// ---- Push ---------------------------------------------------------------------------------------

TEST(Kuaidi100Push, DerivedVectorVerifiedAndParsed) {
  const Protocol p(TestConfig());
  PushMeta meta;
  const PushResult r = p.parse_push(PushBody(kPushParam, kPushSign), &meta);
  ASSERT_TRUE(r.verified) << r.error;
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(meta.status, PushMeta::Status::kPolling);
  EXPECT_FALSE(meta.tracking_stopped());
  EXPECT_EQ(meta.corrected_com, "");
  ASSERT_EQ(r.snapshots.size(), 1u);
  const Snapshot& s = r.snapshots[0];
  EXPECT_EQ(s.provider, "kuaidi100");
  EXPECT_EQ(s.provider_carrier, "yuantong");
  EXPECT_EQ(s.waybill_no, "YT0000000000001");
  EXPECT_EQ(s.raw_state, "5");
  EXPECT_EQ(s.unified.status, TrackingStatus::kOutForDelivery);
  EXPECT_EQ(s.raw_payload, kPushParam);
  ASSERT_EQ(s.traces.size(), 2u);
  EXPECT_EQ(s.traces[0].time, China("2026-11-24T18:00:00"));
  EXPECT_EQ(s.traces[0].description, "【上海市】已揽收");
  EXPECT_EQ(s.traces[0].location, "上海市");
  EXPECT_EQ(s.traces[0].raw_code, "1");
  EXPECT_EQ(s.traces[1].time, China("2026-11-25T08:30:00"));
  EXPECT_EQ(s.traces[1].raw_code, "5");
}

TEST(Kuaidi100Push, BuildPushFormMatchesVector) {
  const Protocol p(TestConfig());
  const std::string body = p.build_push_form(std::string(kPushParam));
  EXPECT_EQ(body, PushBody(kPushParam, kPushSign));
  EXPECT_TRUE(p.parse_push(body).verified);
}

TEST(Kuaidi100Push, LowercaseSignAccepted) {
  const Protocol p(TestConfig());
  const PushResult r = p.parse_push(PushBody(kPushParam, "06c276717609e58acf9d604593c618f6"));
  EXPECT_TRUE(r.verified) << r.error;
  EXPECT_EQ(r.snapshots.size(), 1u);
}

TEST(Kuaidi100Push, WrongSignRefused) {
  const Protocol p(TestConfig());
  std::string wrong(kPushSign);
  wrong[5] = wrong[5] == '7' ? '8' : '7';
  for (const std::string& body : {
           PushBody(kPushParam, wrong), PushBody(kPushParam, ""),
           PushBody(kPushParam, kPushSign.substr(0, 31)), PushBody(kPushParam, kGoldenSign),
           "param=" + form_encode(kPushParam),                                   // no sign
           "sign=" + std::string(kPushSign),                                     // no param
           PushBody(kPushParam, kPushSign) + "&sign=" + std::string(kPushSign),  // repeated
           "param=%ZZ&sign=" + std::string(kPushSign),                           // malformed form
       }) {
    const PushResult r = p.parse_push(body);
    EXPECT_FALSE(r.verified) << body.substr(0, 40);
    EXPECT_TRUE(r.snapshots.empty());
    EXPECT_NE(r.error, "");
  }
  // Another salt refuses the vector.
  Config c = TestConfig();
  c.salt = "othersalt";
  EXPECT_FALSE(Protocol(c).parse_push(PushBody(kPushParam, kPushSign)).verified);
}

TEST(Kuaidi100Push, SignCoversExactParamBytes) {
  const Protocol p(TestConfig());
  // Same JSON content re-serialised differently (a space after the first colon): refused.
  std::string reformatted(kPushParam);
  reformatted.insert(reformatted.find(':') + 1, " ");
  EXPECT_FALSE(p.parse_push(PushBody(reformatted, kPushSign)).verified);
  // One byte of content changed: refused.
  std::string tampered(kPushParam);
  tampered.replace(tampered.find(R"("state":"5")"), 11, R"("state":"3")");
  EXPECT_FALSE(p.parse_push(PushBody(tampered, kPushSign)).verified);
}

TEST(Kuaidi100Push, EmptySaltVerifies) {
  Config c = TestConfig();
  c.salt = "";
  const Protocol p(c);
  EXPECT_TRUE(p.parse_push(PushBody(kPushParam, kPushSignEmptySalt)).verified);
  EXPECT_EQ(p.build_push_form(std::string(kPushParam)), PushBody(kPushParam, kPushSignEmptySalt));
  EXPECT_FALSE(p.parse_push(PushBody(kPushParam, kPushSign)).verified);
}

TEST(Kuaidi100Push, PlusDecodesToSpaceBeforeVerifying) {
  const Protocol p(TestConfig());
  const std::string param =
      R"({"status":"polling","message":"a b","lastResult":{"message":"ok","nu":"YT1","com":"yuantong","state":"0","data":[{"time":"2026-11-25 08:30:00","context":"left hub A","location":"杭州市"}]}})";
  const std::string body = p.build_push_form(param);
  EXPECT_NE(body.find("a+b"), std::string::npos);
  const PushResult r = p.parse_push(body);
  ASSERT_TRUE(r.verified) << r.error;
  ASSERT_EQ(r.snapshots.size(), 1u);
  EXPECT_EQ(r.snapshots[0].traces.at(0).description, "left hub A");
}

TEST(Kuaidi100Push, ShutdownWhenSigned) {
  const Protocol p(TestConfig());
  const std::string param =
      R"({"status":"shutdown","billstatus":"check","message":"","autoCheck":"0","comOld":"","comNew":"","lastResult":{"message":"ok","nu":"YT1234567890","ischeck":"1","com":"yuantong","status":"200","state":"301","data":[{"time":"2026-11-25 12:01:00","ftime":"2026-11-25 12:01:00","context":"已签收","statusCode":"301"}]}})";
  PushMeta meta;
  const PushResult r = p.parse_push(p.build_push_form(param), &meta);
  ASSERT_TRUE(r.verified);
  EXPECT_EQ(meta.status, PushMeta::Status::kShutdown);
  EXPECT_TRUE(meta.tracking_stopped());
  ASSERT_EQ(r.snapshots.size(), 1u);
  EXPECT_EQ(r.snapshots[0].unified.status, TrackingStatus::kDelivered);
  EXPECT_EQ(r.snapshots[0].raw_substate, "301");
}

TEST(Kuaidi100Push, AbortWithCarrierCorrection) {
  const Protocol p(TestConfig());
  const std::string param =
      R"({"status":"abort","message":"3天查询无记录","autoCheck":"0","comOld":"yuantong","comNew":"zhongtong","lastResult":{"message":"ok","nu":"YT1234567890","com":"yuantong","state":"","data":[]}})";
  PushMeta meta;
  const PushResult r = p.parse_push(p.build_push_form(param), &meta);
  ASSERT_TRUE(r.verified);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(meta.status, PushMeta::Status::kAbort);
  EXPECT_TRUE(meta.tracking_stopped());
  EXPECT_EQ(meta.message, "3天查询无记录");
  EXPECT_EQ(meta.corrected_com, "zhongtong");
  ASSERT_EQ(r.snapshots.size(), 1u);
  EXPECT_TRUE(r.snapshots[0].traces.empty());
  EXPECT_FALSE(r.snapshots[0].mapped);  // nothing known: never invents progress
}

TEST(Kuaidi100Push, AutoCheckCarrierCorrection) {
  const Protocol p(TestConfig());
  const std::string param =
      R"({"status":"polling","message":"","autoCheck":"1","comOld":"yuantong","comNew":"zhongtong","lastResult":{"message":"ok","nu":"ZT1","com":"zhongtong","state":"0","data":[{"time":"2026-11-25 08:30:00","context":"运输中","statusCode":"1002"}]}})";
  PushMeta meta;
  const PushResult r = p.parse_push(p.build_push_form(param), &meta);
  ASSERT_TRUE(r.verified);
  EXPECT_TRUE(meta.auto_check);
  EXPECT_EQ(meta.corrected_com, "zhongtong");
  ASSERT_EQ(r.snapshots.size(), 1u);
  EXPECT_EQ(r.snapshots[0].provider_carrier, "zhongtong");
  EXPECT_EQ(r.snapshots[0].unified.status, TrackingStatus::kInTransit);
}

TEST(Kuaidi100Push, UpdateAllDeduplicatesHistory) {
  const Protocol p(TestConfig());
  const std::string param =
      R"({"status":"updateall","message":"","lastResult":{"message":"ok","nu":"YT1","com":"yuantong","state":"0","data":[{"time":"2026-11-25 08:30:00","context":"B"},{"time":"2026-11-25 08:30:00","context":"B"},{"time":"2026-11-24 18:00:00","context":"A"}]}})";
  PushMeta meta;
  const PushResult r = p.parse_push(p.build_push_form(param), &meta);
  ASSERT_TRUE(r.verified);
  EXPECT_EQ(meta.status, PushMeta::Status::kUpdateAll);
  ASSERT_EQ(r.snapshots.size(), 1u);
  ASSERT_EQ(r.snapshots[0].traces.size(), 2u);
  EXPECT_EQ(r.snapshots[0].traces[0].description, "A");
}

TEST(Kuaidi100Push, VerifiedButUnusableContent) {
  const Protocol p(TestConfig());
  for (const std::string& param :
       {std::string("not json"), std::string(R"({"status":"polling"})"),
        std::string(R"({"status":"polling","lastResult":{"state":"0"}})")}) {
    const PushResult r = p.parse_push(p.build_push_form(param));
    EXPECT_TRUE(r.verified) << param;
    EXPECT_NE(r.error, "") << param;
    EXPECT_TRUE(r.snapshots.empty()) << param;
  }
}

TEST(Kuaidi100Push, NeverThrowsOnGarbage) {
  const Protocol p(TestConfig());
  static constexpr char kGarbage[] = "\x00\xff%%&&==\x80param=\xfe";
  const std::string garbage(kGarbage, sizeof(kGarbage) - 1);
  EXPECT_NO_THROW({
    const PushResult r = p.parse_push(garbage);
    EXPECT_FALSE(r.verified);
  });
  EXPECT_NO_THROW(p.parse_push(""));
  // Signed param with invalid UTF-8 inside a JSON string.
  EXPECT_NO_THROW(p.parse_push(p.build_push_form(std::string("{\"status\":\"\xff\"}"))));
}

TEST(Kuaidi100Push, ReplyBodies) {
  const Protocol p(TestConfig());
  const ReplyBody ok = p.push_reply(true, "ignored");
  EXPECT_EQ(ok.body, R"({"result":true,"returnCode":"200","message":"成功"})");
  EXPECT_NE(ok.content_type.find("application/json"), std::string::npos);
  const ReplyBody fail = p.push_reply(false, "store \"down\"");
  const json::object o = Obj(fail.body);
  EXPECT_EQ(o.at("result"), false);
  EXPECT_EQ(o.at("returnCode"), "500");
  EXPECT_EQ(o.at("message"), "store \"down\"");
}

}  // namespace
}  // namespace coldtrack::carriers::kuaidi100
