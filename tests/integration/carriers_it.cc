// Admins edit the carrier table; the change is audited and used at once.
#include "fixtures.h"

namespace coldtrack::it {
namespace {

class CarriersApi : public SharedServerTest<CarriersApi> {};

TEST_F(CarriersApi, AdminAddsACarrierThatShipmentsCanUse) {
  const std::string body =
      R"({"name":"测试冷链","kdniao_code":"TESTCC","kuaidi100_code":"testcc","needs_phone":false,"cold_chain":true})";
  auto created = s().request("PUT", "/api/carriers/TEST_COLD", body, s().admin());
  ASSERT_EQ(created.status, 201) << created.body;
  auto again = s().request("PUT", "/api/carriers/TEST_COLD", body, s().admin());
  EXPECT_EQ(again.status, 200) << again.body;

  auto list = s().get("/api/carriers", s().viewer());
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("\"code\":\"TEST_COLD\""), std::string::npos);
  EXPECT_NE(list.body.find("测试冷链"), std::string::npos);

  const auto no = unique_order_no();
  must_create(s(), order_body(no, unique_phone()));
  ASSERT_EQ(change_status(s(), no, "PAID").status, 200);
  auto sh = add_shipment(s(), no, "TEST_COLD", "TC12345678");
  ASSERT_EQ(sh.status, 200) << sh.body;
  EXPECT_NE(sh.body.find("测试冷链"), std::string::npos);

  auto audit = s().get("/api/audit?action=carrier.update", s().admin());
  EXPECT_NE(audit.body.find("carrier:TEST_COLD"), std::string::npos) << audit.body;
}

TEST_F(CarriersApi, AdminCorrectsAProviderCode) {
  auto r =
      s().request("PUT", "/api/carriers/UC",
                  R"({"name":"优速","kdniao_code":"UC","kuaidi100_code":"youshu"})", s().admin());
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = s().get("/api/carriers", s().viewer());
  EXPECT_NE(list.body.find("\"kuaidi100_code\":\"youshu\""), std::string::npos);
}

TEST_F(CarriersApi, OnlyAdminsEditAndBadInputIs400) {
  const std::string body = R"({"name":"某快递"})";
  EXPECT_EQ(s().request("PUT", "/api/carriers/XYZ", body, s().operator_key()).status, 403);
  EXPECT_EQ(s().request("PUT", "/api/carriers/XYZ", body, s().viewer()).status, 403);
  struct Case {
    std::string code, body, field;
  };
  for (const auto& c :
       std::vector<Case>{{"bad-code", body, "code"},
                         {"XYZ", R"({})", "name"},
                         {"XYZ", R"({"name":"a","cold_chain":"yes"})", "cold_chain"},
                         {"XYZ", R"({"name":"a","kdniao_code":"has space"})", "kdniao_code"},
                         {"XYZ", R"({"name":"a","extra":1})", "extra"}}) {
    auto r = s().request("PUT", "/api/carriers/" + c.code, c.body, s().admin());
    EXPECT_EQ(r.status, 400) << c.body << " " << r.body;
    EXPECT_EQ(str(r.json().as_object().at("error").as_object(), "field"), c.field) << r.body;
  }
}

}  // namespace
}  // namespace coldtrack::it
