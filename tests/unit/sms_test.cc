// SMS gateway adapters against protocols/sms.md: every golden and derived vector byte for byte,
// then encoding, building and response classification behaviour.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/validation.h"
#include "notify/sms/aliyun.h"
#include "notify/sms/tencent.h"
#include "security/crypto.h"

namespace coldtrack::notify::sms {
namespace {

namespace json = boost::json;

HttpRequest Request(const BuildResult& r) {
  if (const auto* e = std::get_if<BuildError>(&r)) {
    ADD_FAILURE() << "build error: " << e->field << " " << e->message;
    return {};
  }
  return std::get<HttpRequest>(r);
}

std::string ErrorField(const BuildResult& r) {
  const auto* e = std::get_if<BuildError>(&r);
  return e == nullptr ? "<built>" : e->field;
}

std::string Header(const HttpRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "<missing>";
}

// ---- Aliyun ------------------------------------------------------------------------------------

// sms.md A.4 inputs.
constexpr std::int64_t kAliyunTs = 1499827339;  // 2017-07-12T02:42:19Z
constexpr char kAliyunNonce[] = "45e25e9b-0a6f-4070-8c85-2956eda1b466";
constexpr char kAliyunSignName[] = "阿里云短信测试专用";

constexpr char kAliyunCanonical[] =
    "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId="
    "cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93"
    "%E7%94%A8&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&"
    "SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%"
    "7D&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25";

constexpr char kAliyunStringToSign[] =
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%"
    "3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%"
    "2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8"
    "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%"
    "26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%"
    "2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-"
    "25";

constexpr char kAliyunSignature[] = "zJDF+Lrzhj/ThnlvIToysFRq6t4=";

constexpr char kAliyunUrl[] =
    "https://dysmsapi.aliyuncs.com/?Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&AccessKeyId=testId"
    "&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou&SignName=%"
    "E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8&"
    "SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&"
    "SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%"
    "7D&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25";

aliyun::Config GoldenAliyunConfig() {
  aliyun::Config c;
  c.access_key_id = "testId";
  c.access_key_secret = "testSecret";
  c.sign_name = kAliyunSignName;
  c.format = "XML";
  return c;
}

aliyun::Message GoldenAliyunMessage() {
  aliyun::Message m;
  m.phone_numbers = {"15300000001"};
  m.template_code = "SMS_71390007";
  m.template_param = R"({"customer":"test"})";
  m.out_id = "123";
  return m;
}

aliyun::Params GoldenAliyunParams() {
  auto built =
      aliyun::build_params(GoldenAliyunConfig(), GoldenAliyunMessage(), kAliyunNonce, kAliyunTs);
  if (const auto* e = std::get_if<BuildError>(&built)) ADD_FAILURE() << e->message;
  return std::get<aliyun::Params>(built);
}

TEST(SmsAliyun, GoldenVectorFromDocParameterList) {
  // The thirteen parameters exactly as listed in A.4, independent of the builder.
  const aliyun::Params p{
      {"AccessKeyId", "testId"},
      {"Action", "SendSms"},
      {"Format", "XML"},
      {"OutId", "123"},
      {"PhoneNumbers", "15300000001"},
      {"RegionId", "cn-hangzhou"},
      {"SignName", kAliyunSignName},
      {"SignatureMethod", "HMAC-SHA1"},
      {"SignatureNonce", kAliyunNonce},
      {"SignatureVersion", "1.0"},
      {"TemplateCode", "SMS_71390007"},
      {"TemplateParam", R"({"customer":"test"})"},
      {"Timestamp", "2017-07-12T02:42:19Z"},
      {"Version", "2017-05-25"},
  };
  EXPECT_EQ(aliyun::canonicalized_query(p), kAliyunCanonical);
  EXPECT_EQ(aliyun::string_to_sign("GET", kAliyunCanonical), kAliyunStringToSign);
  EXPECT_EQ(aliyun::sign(kAliyunStringToSign, "testSecret"), kAliyunSignature);
  EXPECT_EQ(aliyun::signature("GET", p, "testSecret"), kAliyunSignature);
  // The builder produces exactly these parameters from config + message + nonce + time.
  EXPECT_EQ(GoldenAliyunParams(), p);
}

TEST(SmsAliyun, GoldenRequestUrl) {
  const auto req = Request(aliyun::build_send_sms(GoldenAliyunConfig(), GoldenAliyunMessage(),
                                                  kAliyunNonce, kAliyunTs, aliyun::Method::kGet));
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.url, kAliyunUrl);
  EXPECT_TRUE(req.headers.empty());
  EXPECT_TRUE(req.body.empty());
}

TEST(SmsAliyun, PostSendsTheSameQueryAsFormBodySignedWithPost) {
  const auto req = Request(aliyun::build_send_sms(GoldenAliyunConfig(), GoldenAliyunMessage(),
                                                  kAliyunNonce, kAliyunTs, aliyun::Method::kPost));
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://dysmsapi.aliyuncs.com/");
  ASSERT_EQ(req.headers.size(), 1u);
  EXPECT_EQ(Header(req, "Content-Type"), "application/x-www-form-urlencoded");
  // The method is signed, so the signature differs from the GET vector.
  const std::string sig = aliyun::signature("POST", GoldenAliyunParams(), "testSecret");
  EXPECT_NE(sig, kAliyunSignature);
  EXPECT_EQ(req.body,
            "Signature=" + aliyun::percent_encode(sig) + "&" + std::string(kAliyunCanonical));
  EXPECT_EQ(aliyun::string_to_sign("POST", kAliyunCanonical).substr(0, 8), "POST&%2F");
}

TEST(SmsAliyun, PercentEncodingEdgeCases) {
  using aliyun::percent_encode;
  EXPECT_EQ(percent_encode("a b"), "a%20b");  // never '+'
  EXPECT_EQ(percent_encode("*"), "%2A");
  EXPECT_EQ(percent_encode("~"), "~");  // never %7E
  EXPECT_EQ(percent_encode("+/=&:?#%"), "%2B%2F%3D%26%3A%3F%23%25");
  EXPECT_EQ(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(percent_encode("冷链"), "%E5%86%B7%E9%93%BE");  // UTF-8 bytes, uppercase hex
  EXPECT_EQ(percent_encode(std::string("\x00\xff\n", 3)), "%00%FF%0A");
  EXPECT_EQ(percent_encode(""), "");
}

TEST(SmsAliyun, ChineseSignNameAndTemplateParamEncodedOnceInQueryTwiceInStringToSign) {
  auto cfg = GoldenAliyunConfig();
  cfg.sign_name = "冷链小店";
  auto msg = GoldenAliyunMessage();
  msg.template_param = R"({"name":"张三","note":"a b*~"})";
  const auto req =
      Request(aliyun::build_send_sms(cfg, msg, kAliyunNonce, kAliyunTs, aliyun::Method::kGet));
  EXPECT_NE(req.url.find("&SignName=%E5%86%B7%E9%93%BE%E5%B0%8F%E5%BA%97&"), std::string::npos);
  EXPECT_NE(req.url.find("&TemplateParam=%7B%22name%22%3A%22%E5%BC%A0%E4%B8%89%22%2C%22note%22%3A%"
                         "22a%20b%2A~%22%7D&"),
            std::string::npos);
  const auto built = aliyun::build_params(cfg, msg, kAliyunNonce, kAliyunTs);
  const std::string sts =
      aliyun::string_to_sign("GET", aliyun::canonicalized_query(std::get<aliyun::Params>(built)));
  EXPECT_NE(sts.find("SignName%3D%25E5%2586%25B7%25E9%2593%25BE%25E5%25B0%258F%25E5%25BA%2597%26"),
            std::string::npos);
  EXPECT_NE(sts.find("%2522a%2520b%252A~%2522"), std::string::npos);
}

TEST(SmsAliyun, CanonicalQuerySortsByEncodedNameBytewise) {
  // Raw order would put "aA" first ('A' < '['); encoded, "a%5B" sorts first ('%' < 'A').
  EXPECT_EQ(aliyun::canonicalized_query({{"aA", "1"}, {"a[", "2"}}), "a%5B=2&aA=1");
  // Byte order, not case-insensitive: "SignName" < "SignatureMethod" ('N' < 'a'), "Z" < "a".
  EXPECT_EQ(aliyun::canonicalized_query(
                {{"a", "1"}, {"Z", "2"}, {"SignatureMethod", "x"}, {"SignName", "y"}}),
            "SignName=y&SignatureMethod=x&Z=2&a=1");
  // A Signature parameter is never part of what is signed.
  EXPECT_EQ(aliyun::canonicalized_query({{"Signature", "s"}, {"A", "1"}}), "A=1");
}

TEST(SmsAliyun, BuilderSendsExactlyTheDocumentedParameters) {
  const std::set<std::string> documented{
      "AccessKeyId",    "Action",           "Format",        "RegionId", "SignatureMethod",
      "SignatureNonce", "SignatureVersion", "Timestamp",     "Version",  "PhoneNumbers",
      "SignName",       "TemplateCode",     "TemplateParam", "OutId"};
  std::set<std::string> names;
  for (const auto& [n, v] : GoldenAliyunParams()) names.insert(n);
  EXPECT_EQ(names, documented);

  // OutId and TemplateParam are optional and left out when empty; defaults are JSON/cn-hangzhou.
  aliyun::Config cfg = GoldenAliyunConfig();
  cfg.format = aliyun::Config{}.format;
  auto msg = GoldenAliyunMessage();
  msg.out_id.clear();
  msg.template_param.clear();
  const auto p = std::get<aliyun::Params>(aliyun::build_params(cfg, msg, "n", 0));
  EXPECT_EQ(p.size(), documented.size() - 2);
  EXPECT_FALSE(p.contains("OutId"));
  EXPECT_FALSE(p.contains("TemplateParam"));
  EXPECT_EQ(p.at("Format"), "JSON");
  EXPECT_EQ(p.at("RegionId"), "cn-hangzhou");
  EXPECT_EQ(p.at("Timestamp"), "1970-01-01T00:00:00Z");
  EXPECT_FALSE(p.contains("Signature"));

  // The built request carries exactly one Signature that verifies.
  const auto req = Request(aliyun::build_send_sms(cfg, msg, "n", 0, aliyun::Method::kPost));
  aliyun::Params sent = p;
  sent["Signature"] = aliyun::signature("POST", p, "testSecret");
  EXPECT_TRUE(aliyun::verify_signature("POST", sent, "testSecret"));
  EXPECT_EQ(req.body.find("Signature="), 0u);
  EXPECT_EQ(req.body.find("Signature=", 1), std::string::npos);
}

TEST(SmsAliyun, TimestampIsIso8601Utc) {
  EXPECT_EQ(aliyun::format_timestamp(kAliyunTs), "2017-07-12T02:42:19Z");
  EXPECT_EQ(aliyun::format_timestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(aliyun::format_timestamp(1764043200), "2025-11-25T04:00:00Z");
  EXPECT_EQ(aliyun::format_timestamp(951782400), "2000-02-29T00:00:00Z");
}

TEST(SmsAliyun, PhoneNumbersNormalizedAndJoined) {
  auto msg = GoldenAliyunMessage();
  msg.phone_numbers = {"+8613800138000", "8615300000001", "19912345678"};
  const auto p = std::get<aliyun::Params>(
      aliyun::build_params(GoldenAliyunConfig(), msg, kAliyunNonce, kAliyunTs));
  const std::string sep(aliyun::kPhoneNumberSeparator);
  EXPECT_EQ(p.at("PhoneNumbers"), "13800138000" + sep + "15300000001" + sep + "19912345678");

  EXPECT_EQ(domain::normalize_mobile("13800138000"), "13800138000");
  EXPECT_EQ(domain::normalize_mobile("+8613800138000"), "13800138000");
  EXPECT_EQ(domain::normalize_mobile("8613800138000"), "13800138000");
  for (const char* bad : {"", "1380013800", "138001380001", "12800138000", "23800138000",
                          "1380013800a", "+85213800138000", "+86 13800138000", "861380013800"}) {
    EXPECT_EQ(domain::normalize_mobile(bad), std::nullopt) << bad;
  }
}

TEST(SmsAliyun, BuilderRejectsBadInput) {
  const auto build = [](aliyun::Config c, aliyun::Message m, std::string nonce = kAliyunNonce) {
    return ErrorField(aliyun::build_send_sms(c, m, nonce, kAliyunTs));
  };
  const auto cfg = GoldenAliyunConfig();
  const auto msg = GoldenAliyunMessage();
  auto m = msg;
  m.phone_numbers = {"12345"};
  EXPECT_EQ(build(cfg, m), "phone_numbers");
  m.phone_numbers = {};
  EXPECT_EQ(build(cfg, m), "phone_numbers");
  m.phone_numbers = {"13800138000", "+8613800138000"};  // the same number twice
  EXPECT_EQ(build(cfg, m), "phone_numbers");
  m = msg;
  m.template_param = R"(["not","an","object"])";
  EXPECT_EQ(build(cfg, m), "template_param");
  m.template_param = "{broken";
  EXPECT_EQ(build(cfg, m), "template_param");
  m = msg;
  m.template_code.clear();
  EXPECT_EQ(build(cfg, m), "template_code");
  EXPECT_EQ(build(cfg, msg, ""), "signature_nonce");
  auto c = cfg;
  c.access_key_secret.clear();
  EXPECT_EQ(build(c, msg), "access_key_secret");
  c = cfg;
  c.sign_name.clear();
  EXPECT_EQ(build(c, msg), "sign_name");
  c = cfg;
  c.format = "YAML";
  EXPECT_EQ(build(c, msg), "format");
}

TEST(SmsAliyun, VerifySignatureServerSide) {
  auto p = GoldenAliyunParams();
  EXPECT_FALSE(aliyun::verify_signature("GET", p, "testSecret"));  // none present
  p["Signature"] = kAliyunSignature;
  EXPECT_TRUE(aliyun::verify_signature("GET", p, "testSecret"));
  EXPECT_FALSE(aliyun::verify_signature("POST", p, "testSecret"));
  EXPECT_FALSE(aliyun::verify_signature("GET", p, "otherSecret"));
  p["OutId"] = "124";
  EXPECT_FALSE(aliyun::verify_signature("GET", p, "testSecret"));
}

TEST(SmsAliyun, ParsesSuccess) {
  const auto r = aliyun::parse_send_sms_response(
      200, R"({"RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","Message":"OK",)"
           R"("BizId":"900619746936498440^0"})");
  EXPECT_EQ(r.disposition.outcome, Outcome::kSent);
  EXPECT_FALSE(r.disposition.alert);
  EXPECT_EQ(r.code, "OK");
  EXPECT_EQ(r.request_id, "F655A8D5-B967-440B-8683-DAD6FF8DE990");
  EXPECT_EQ(r.biz_id, "900619746936498440^0");
}

TEST(SmsAliyun, ClassifiesEachDocumentedErrorCode) {
  struct Case {
    const char* code;
    Outcome outcome;
    bool alert;
  };
  for (const Case& c : {
           Case{"isv.BUSINESS_LIMIT_CONTROL", Outcome::kRateLimited, false},
           Case{"isv.MOBILE_NUMBER_ILLEGAL", Outcome::kPermanent, false},
           Case{"isv.TEMPLATE_MISSING_PARAMETERS", Outcome::kPermanent, true},
           Case{"isv.PARAM_NOT_SUPPORT_URL", Outcome::kPermanent, true},
           Case{"isv.AMOUNT_NOT_ENOUGH", Outcome::kPermanent, true},
           Case{"SignatureDoesNotMatch", Outcome::kPermanent, true},
           // Unlisted codes: a response with a Code is never retried (A.6).
           Case{"isp.SYSTEM_ERROR", Outcome::kPermanent, false},
           Case{"ok", Outcome::kPermanent, false},
           // Server-side failures may or may not have sent it: uncertain, not retried either.
           Case{"InternalError", Outcome::kUncertain, false},
           Case{"ServiceUnavailable", Outcome::kUncertain, false},
       }) {
    json::object body{{"RequestId", "R1"}, {"Code", c.code}, {"Message", "m"}};
    const auto r = aliyun::parse_send_sms_response(400, json::serialize(body));
    EXPECT_EQ(r.disposition.outcome, c.outcome) << c.code;
    EXPECT_EQ(r.disposition.alert, c.alert) << c.code;
    EXPECT_EQ(r.code, c.code);
    EXPECT_EQ(r.request_id, "R1");
    EXPECT_EQ(r.message, "m");
    EXPECT_TRUE(r.biz_id.empty());
  }
}

TEST(SmsAliyun, AnswerWithoutCodeIsUncertainNeverRetryable) {
  for (const auto& [status, body] :
       std::vector<std::pair<int, std::string>>{{502, "<html>Bad Gateway</html>"},
                                                {200, ""},
                                                {200, R"({"RequestId":"R"})"},
                                                {500, R"({"Code":7})"},
                                                {200, "[1,2]"}}) {
    const auto r = aliyun::parse_send_sms_response(status, body);
    EXPECT_EQ(r.disposition.outcome, Outcome::kUncertain) << body;
    EXPECT_NE(r.message.find("HTTP " + std::to_string(status)), std::string::npos) << r.message;
  }
}

// ---- Tencent -----------------------------------------------------------------------------------

constexpr char kTcSecretId[] = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
constexpr char kTcSecretKey[] = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";

// sms.md B.3: the six-character \u escapes are literal, as are the spaces.
constexpr char kCvmBody[] =
    R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]})";

tencent::Tc3Input CvmInput() {
  tencent::Tc3Input in;
  in.secret_id = kTcSecretId;
  in.secret_key = kTcSecretKey;
  in.service = "cvm";
  in.host = "cvm.tencentcloudapi.com";
  in.payload = kCvmBody;
  in.timestamp = 1551113065;
  return in;
}

TEST(SmsTencent, OfficialCvmExample) {
  const auto in = CvmInput();
  EXPECT_EQ(security::sha256_hex(in.payload),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
  const auto s = tencent::tc3_sign(in);
  EXPECT_EQ(s.canonical_request,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\n"
            "host:cvm.tencentcloudapi.com\n\ncontent-type;host\n"
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
  EXPECT_EQ(security::sha256_hex(s.canonical_request),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
  EXPECT_EQ(s.credential_scope, "2019-02-25/cvm/tc3_request");
  EXPECT_EQ(s.string_to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
  EXPECT_EQ(s.signature, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
  EXPECT_EQ(s.authorization,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
            "tc3_request, SignedHeaders=content-type;host, "
            "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
}

TEST(SmsTencent, OfficialCvmExampleWithMaskedKeys) {
  auto in = CvmInput();
  in.secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
  in.secret_key = "Gu5t9xGARNpq86cd98joQYCN3*******";
  EXPECT_EQ(tencent::tc3_sign(in).signature,
            "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c");
}

// sms.md B.4 inputs.
constexpr std::int64_t kTcTs = 1764043200;
constexpr char kTcBody[] =
    R"({"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400006666","SignName":"ColdTrack",)"
    R"("TemplateId":"1110","TemplateParamSet":["CT20261125001","2"]})";
constexpr char kTcSignature[] = "50764890b1c8003aa7c4508429d9ee5f9ee83bd05b150e0c9f8c98daba30f767";
constexpr char kTcAuthorization[] =
    "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2025-11-25/sms/tc3_request, "
    "SignedHeaders=content-type;host, "
    "Signature=50764890b1c8003aa7c4508429d9ee5f9ee83bd05b150e0c9f8c98daba30f767";

tencent::Config TcConfig() {
  tencent::Config c;
  c.secret_id = kTcSecretId;
  c.secret_key = kTcSecretKey;
  c.sms_sdk_app_id = "1400006666";
  c.sign_name = "ColdTrack";
  return c;
}

tencent::Message TcMessage() {
  tencent::Message m;
  m.phone_numbers = {"13800000000"};  // normalized to +8613800000000
  m.template_id = "1110";
  m.template_params = {"CT20261125001", "2"};
  return m;
}

TEST(SmsTencent, DerivedSmsVector) {
  const auto body = tencent::build_body(TcConfig(), TcMessage());
  ASSERT_TRUE(std::holds_alternative<std::string>(body));
  EXPECT_EQ(std::get<std::string>(body), kTcBody);
  EXPECT_EQ(security::sha256_hex(kTcBody),
            "86aec769eb66ee3b4a8c22b922e192460d04016230181a239e148dfcedae8b45");

  tencent::Tc3Input in;
  in.secret_id = kTcSecretId;
  in.secret_key = kTcSecretKey;
  in.service = "sms";
  in.host = "sms.tencentcloudapi.com";
  in.payload = kTcBody;
  in.timestamp = kTcTs;
  const auto s = tencent::tc3_sign(in);
  EXPECT_EQ(security::sha256_hex(s.canonical_request),
            "3f84cbfe69bbdd15c4a9b0f2383423c785a2976c27f22457cca3e331940748d6");
  EXPECT_EQ(s.credential_scope, "2025-11-25/sms/tc3_request");
  EXPECT_EQ(s.signature, kTcSignature);
  EXPECT_EQ(s.authorization, kTcAuthorization);

  const auto req = Request(tencent::build_send_sms(TcConfig(), TcMessage(), kTcTs));
  EXPECT_EQ(req.body, kTcBody);
  EXPECT_EQ(Header(req, "Authorization"), kTcAuthorization);
}

TEST(SmsTencent, RequestCarriesExactlyTheDocumentedHeaders) {
  const auto req = Request(tencent::build_send_sms(TcConfig(), TcMessage(), kTcTs));
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://sms.tencentcloudapi.com/");
  const std::vector<std::pair<std::string, std::string>> expected{
      {"Content-Type", "application/json; charset=utf-8"},
      {"Host", "sms.tencentcloudapi.com"},
      {"X-TC-Action", "SendSms"},
      {"X-TC-Version", "2021-01-11"},
      {"X-TC-Timestamp", "1764043200"},
      {"X-TC-Region", "ap-guangzhou"},
      {"Authorization", kTcAuthorization},
  };
  EXPECT_EQ(req.headers, expected);
}

TEST(SmsTencent, SignedHostAndUriFollowTheEndpoint) {
  auto cfg = TcConfig();
  cfg.endpoint = "http://127.0.0.1:18080/";  // the simulator
  const auto req = Request(tencent::build_send_sms(cfg, TcMessage(), kTcTs));
  EXPECT_EQ(req.url, "http://127.0.0.1:18080/");
  EXPECT_EQ(Header(req, "Host"), "127.0.0.1:18080");
  tencent::Tc3Input in;
  in.secret_id = kTcSecretId;
  in.secret_key = kTcSecretKey;
  in.service = "sms";
  in.host = "127.0.0.1:18080";
  in.payload = kTcBody;
  in.timestamp = kTcTs;
  EXPECT_EQ(Header(req, "Authorization"), tencent::tc3_sign(in).authorization);
  EXPECT_NE(Header(req, "Authorization"), kTcAuthorization);

  cfg.endpoint = "https://SMS.TencentCloudAPI.com";  // no path, mixed case
  const auto req2 = Request(tencent::build_send_sms(cfg, TcMessage(), kTcTs));
  EXPECT_EQ(Header(req2, "Host"), "sms.tencentcloudapi.com");
  EXPECT_EQ(Header(req2, "Authorization"), kTcAuthorization);

  for (const char* bad : {"sms.tencentcloudapi.com", "https:///", "https://h/?a=1", "://h/"}) {
    cfg.endpoint = bad;
    EXPECT_EQ(ErrorField(tencent::build_send_sms(cfg, TcMessage(), kTcTs)), "endpoint") << bad;
  }
}

TEST(SmsTencent, CredentialDateIsUtcNotBeijing) {
  EXPECT_EQ(tencent::utc_date(1764000000), "2025-11-24");  // 2025-11-25 00:00 in Beijing
  EXPECT_EQ(tencent::utc_date(1764028799), "2025-11-24");  // 2025-11-25 07:59:59 in Beijing
  EXPECT_EQ(tencent::utc_date(1764028800), "2025-11-25");
  EXPECT_EQ(tencent::utc_date(1764115199), "2025-11-25");  // 2025-11-26 07:59:59 in Beijing
  EXPECT_EQ(tencent::utc_date(1764115200), "2025-11-26");
  EXPECT_EQ(tencent::utc_date(1551113065), "2019-02-25");
  // The signing key chain changes with the date.
  EXPECT_NE(tencent::signing_key(kTcSecretKey, "2025-11-24", "sms"),
            tencent::signing_key(kTcSecretKey, "2025-11-25", "sms"));
  EXPECT_EQ(tencent::signing_key(kTcSecretKey, "2025-11-25", "sms").size(), 32u);
}

TEST(SmsTencent, BodyHasExactlyTheDocumentedFieldsInOrder) {
  auto cfg = TcConfig();
  cfg.sign_name = "冷链小店";
  auto msg = TcMessage();
  msg.phone_numbers = {"+8613800138000", "8615300000001"};
  msg.template_params = {"张三", R"(quote " and \ backslash)"};
  msg.session_context = "notif-42";
  const std::string body = std::get<std::string>(tencent::build_body(cfg, msg));
  EXPECT_EQ(body,
            R"({"PhoneNumberSet":["+8613800138000","+8615300000001"],"SmsSdkAppId":"1400006666",)"
            R"("SignName":"冷链小店","TemplateId":"1110","TemplateParamSet":["张三",)"
            R"("quote \" and \\ backslash"],"SessionContext":"notif-42"})");
  const auto parsed = json::parse(body).as_object();
  std::vector<std::string> keys;
  for (const auto& kv : parsed) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"PhoneNumberSet", "SmsSdkAppId", "SignName",
                                            "TemplateId", "TemplateParamSet", "SessionContext"}));

  // No template variables: an empty set, still present; no SessionContext when empty.
  msg.template_params.clear();
  msg.session_context.clear();
  EXPECT_EQ(std::get<std::string>(tencent::build_body(cfg, msg)),
            R"({"PhoneNumberSet":["+8613800138000","+8615300000001"],"SmsSdkAppId":"1400006666",)"
            R"("SignName":"冷链小店","TemplateId":"1110","TemplateParamSet":[]})");
}

TEST(SmsTencent, PhoneNumbersInE164) {
  EXPECT_EQ(to_e164_mainland("13800000000"), "+8613800000000");
  EXPECT_EQ(to_e164_mainland("+8613800000000"), "+8613800000000");
  EXPECT_EQ(to_e164_mainland("8613800000000"), "+8613800000000");
  EXPECT_EQ(to_e164_mainland("+8612800000000"), std::nullopt);
  EXPECT_EQ(to_e164_mainland("+14155550100"), std::nullopt);
  EXPECT_EQ(to_e164_mainland("138-0000-0000"), std::nullopt);
}

TEST(SmsTencent, BuilderRejectsBadInput) {
  const auto build = [](tencent::Config c, tencent::Message m) {
    return ErrorField(tencent::build_send_sms(c, m, kTcTs));
  };
  const auto cfg = TcConfig();
  const auto msg = TcMessage();
  auto m = msg;
  m.phone_numbers = {"1380000000"};
  EXPECT_EQ(build(cfg, m), "phone_numbers");
  m.phone_numbers = {"13800000000", "+8613800000000"};
  EXPECT_EQ(build(cfg, m), "phone_numbers");
  m.phone_numbers.clear();
  EXPECT_EQ(build(cfg, m), "phone_numbers");
  for (int i = 0; i < 201; ++i) m.phone_numbers.push_back(std::to_string(13800000000LL + i));
  EXPECT_EQ(build(cfg, m), "phone_numbers");
  m.phone_numbers.pop_back();  // exactly 200
  EXPECT_EQ(build(cfg, m), "<built>");
  m = msg;
  m.session_context = std::string(512, 'x');
  EXPECT_EQ(build(cfg, m), "session_context");
  m.session_context = std::string(511, 'x');
  EXPECT_EQ(build(cfg, m), "<built>");
  m = msg;
  m.template_id.clear();
  EXPECT_EQ(build(cfg, m), "template_id");
  for (auto field :
       {&tencent::Config::secret_id, &tencent::Config::secret_key, &tencent::Config::sms_sdk_app_id,
        &tencent::Config::sign_name, &tencent::Config::region}) {
    auto c = cfg;
    (c.*field).clear();
    EXPECT_NE(build(c, msg), "<built>");
  }
}

TEST(SmsTencent, ParsesSuccessPerNumber) {
  const auto r = tencent::parse_send_sms_response(
      200,
      R"({"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619",)"
      R"("PhoneNumber":"+8613800000000","Fee":1,"SessionContext":"n1","Code":"Ok",)"
      R"("Message":"send success","IsoCode":"CN"}],"RequestId":"a0aabda6-cf91-4f3e-a81f"}})",
      {"13800000000"});
  EXPECT_EQ(r.request.outcome, Outcome::kSent);
  EXPECT_EQ(r.request_id, "a0aabda6-cf91-4f3e-a81f");
  EXPECT_TRUE(r.error_code.empty());
  ASSERT_EQ(r.numbers.size(), 1u);
  const auto& n = r.numbers[0];
  EXPECT_EQ(n.phone_number, "+8613800000000");
  EXPECT_EQ(n.disposition.outcome, Outcome::kSent);
  EXPECT_EQ(n.code, "Ok");
  EXPECT_EQ(n.serial_no, "5000:1045710669157053657849499619");
  EXPECT_EQ(n.fee, 1);
  EXPECT_EQ(n.iso_code, "CN");
  EXPECT_EQ(n.message, "send success");
  EXPECT_TRUE(r.all_sent());
}

TEST(SmsTencent, PartialFailureIsReportedPerNumber) {
  const auto r = tencent::parse_send_sms_response(
      200,
      R"({"Response":{"SendStatusSet":[)"
      R"({"SerialNo":"s1","PhoneNumber":"+8613800000000","Fee":1,)"
      R"("Code":"Ok","Message":"ok","IsoCode":"CN"},)"
      R"({"SerialNo":"","PhoneNumber":"+8613800000001","Fee":0,)"
      R"("Code":"LimitExceeded.PhoneNumberDailyLimit","Message":"daily limit","IsoCode":"CN"},)"
      R"({"SerialNo":"","PhoneNumber":"+8613800000002","Fee":0,)"
      R"("Code":"FailedOperation.PhoneNumberInBlacklist","Message":"blacklist","IsoCode":"CN"})"
      R"(],"RequestId":"r2"}})",
      {"13800000000", "13800000001", "13800000002"});
  EXPECT_EQ(r.request.outcome, Outcome::kSent);  // the request went through...
  EXPECT_FALSE(r.all_sent());                    // ...but not every message did
  ASSERT_EQ(r.numbers.size(), 3u);
  EXPECT_EQ(r.numbers[0].disposition.outcome, Outcome::kSent);
  EXPECT_EQ(r.numbers[1].disposition.outcome, Outcome::kRateLimited);
  EXPECT_EQ(r.numbers[1].code, "LimitExceeded.PhoneNumberDailyLimit");
  EXPECT_EQ(r.numbers[2].disposition.outcome, Outcome::kPermanent);
  EXPECT_EQ(r.numbers[2].message, "blacklist");
}

TEST(SmsTencent, SuccessCodeIsCaseSensitive) {
  const auto r = tencent::parse_send_sms_response(
      200, R"({"Response":{"SendStatusSet":[{"PhoneNumber":"+8613800000000","Code":"OK"}],)"
           R"("RequestId":"r"}})");
  ASSERT_EQ(r.numbers.size(), 1u);
  EXPECT_NE(r.numbers[0].disposition.outcome, Outcome::kSent);
  EXPECT_FALSE(r.all_sent());
}

TEST(SmsTencent, NumberMissingFromAnswerIsUncertain) {
  const auto r = tencent::parse_send_sms_response(
      200,
      R"({"Response":{"SendStatusSet":[{"PhoneNumber":"+8613800000000","Code":"Ok"}],)"
      R"("RequestId":"r"}})",
      {"13800000000", "+8613900000000"});
  ASSERT_EQ(r.numbers.size(), 2u);
  EXPECT_EQ(r.numbers[1].phone_number, "+8613900000000");
  EXPECT_EQ(r.numbers[1].disposition.outcome, Outcome::kUncertain);
  EXPECT_TRUE(r.numbers[1].code.empty());
  EXPECT_FALSE(r.all_sent());

  // An entry without a Code is no verdict either; an empty set sends nothing.
  const auto r2 = tencent::parse_send_sms_response(
      200, R"({"Response":{"SendStatusSet":[{"PhoneNumber":"+8613800000000"}],"RequestId":"r"}})");
  EXPECT_EQ(r2.numbers.at(0).disposition.outcome, Outcome::kUncertain);
  EXPECT_FALSE(
      tencent::parse_send_sms_response(200, R"({"Response":{"SendStatusSet":[]}})").all_sent());
}

TEST(SmsTencent, ClassifiesEveryDocumentedCode) {
  struct Case {
    const char* code;
    Outcome outcome;
    bool alert;
  };
  const std::vector<Case> cases{
      {"AuthFailure.SignatureFailure", Outcome::kPermanent, true},
      {"AuthFailure.SignatureExpire", Outcome::kRetryable, true},
      {"LimitExceeded.PhoneNumberDailyLimit", Outcome::kRateLimited, false},
      {"LimitExceeded.DeliveryFrequencyLimit", Outcome::kRateLimited, false},
      {"FailedOperation.PhoneNumberInBlacklist", Outcome::kPermanent, false},
      {"InvalidParameterValue.IncorrectPhoneNumber", Outcome::kPermanent, false},
      {"FailedOperation.TemplateIncorrectOrUnapproved", Outcome::kPermanent, true},
      {"FailedOperation.SignatureIncorrectOrUnapproved", Outcome::kPermanent, true},
      {"InternalError.SendAndRecvFail", Outcome::kUncertain, false},
      {"InternalError", Outcome::kUncertain, false},
      {"UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", Outcome::kPermanent,
       false},  // unlisted: a Code is never retried
  };
  for (const auto& c : cases) {
    // Request level.
    json::object err{{"Response", json::object{{"Error", {{"Code", c.code}, {"Message", "m"}}},
                                               {"RequestId", "rq"}}}};
    const auto r = tencent::parse_send_sms_response(200, json::serialize(err), {"13800000000"});
    EXPECT_EQ(r.request.outcome, c.outcome) << c.code;
    EXPECT_EQ(r.request.alert, c.alert) << c.code;
    EXPECT_EQ(r.error_code, c.code);
    EXPECT_EQ(r.error_message, "m");
    EXPECT_EQ(r.request_id, "rq");
    EXPECT_TRUE(r.numbers.empty());
    EXPECT_FALSE(r.all_sent());
    // Number level.
    json::object ok{
        {"Response",
         json::object{{"SendStatusSet", json::array{json::object{{"PhoneNumber", "+8613800000000"},
                                                                 {"Code", c.code}}}},
                      {"RequestId", "rq"}}}};
    const auto n = tencent::parse_send_sms_response(200, json::serialize(ok));
    ASSERT_EQ(n.numbers.size(), 1u);
    EXPECT_EQ(n.numbers[0].disposition.outcome, c.outcome) << c.code;
    EXPECT_EQ(n.numbers[0].disposition.alert, c.alert) << c.code;
  }
}

TEST(SmsTencent, AnswerThatIsNotTencentsIsUncertain) {
  for (const auto& [status, body] : std::vector<std::pair<int, std::string>>{
           {502, "<html>Bad Gateway</html>"},
           {200, ""},
           {200, R"({"RequestId":"r"})"},
           {200, R"({"Response":{"RequestId":"r"}})"},
           {500, R"({"Response":{"Error":"boom"}})"},
           {200, R"({"Response":{"Error":{"Message":"no code"}}})"}}) {
    const auto r = tencent::parse_send_sms_response(status, body, {"13800000000"});
    EXPECT_EQ(r.request.outcome, Outcome::kUncertain) << body;
    EXPECT_FALSE(r.all_sent()) << body;
  }
}

}  // namespace
}  // namespace coldtrack::notify::sms
