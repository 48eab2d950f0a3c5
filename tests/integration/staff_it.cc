// Merchant console staff through the real binary: `coldtrack user create`, password login to a
// session, the staff API called with the session instead of a signed key, roles enforced by the
// API, lockout after repeated failures, logout, and the audit trail of it all.
#include "fixtures.h"

namespace coldtrack::it {
namespace {

class Staff : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
        {"COLDTRACK_STAFF_MAX_FAILED_LOGINS", "3"},
        {"COLDTRACK_STAFF_LOCKOUT_MIN", "1"},
        // Every account logs in from 127.0.0.1 here; the per-address limit has its own test.
        {"COLDTRACK_STAFF_LOGIN_RATE_PER_MINUTE", "1000"}});
    server_->start();
    for (const auto& [name, role] :
         {std::pair{"li.admin", "admin"}, std::pair{"op-zhang", "operator"},
          std::pair{"viewer_wu", "viewer"}, std::pair{"locky", "viewer"}}) {
      auto r = server_->cli({"user", "create", "--username", name, "--role", role}, 15s,
                            std::string(kPassword) + "\n");
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { server_.reset(); }

 protected:
  static constexpr const char* kPassword = "冻饺子-correct-horse";
  ServerProcess& s() { return *server_; }

  Response login(const std::string& user, const std::string& password) {
    return s().request("POST", "/api/auth/login",
                       to_string(json::object{{"username", user}, {"password", password}}));
  }
  std::string token(const std::string& user) {
    auto r = login(user, kPassword);
    EXPECT_EQ(r.status, 200) << r.body;
    return str(r.json().as_object(), "token");
  }
  Response as(const std::string& token, const std::string& method, const std::string& target,
              const std::string& body = {}) {
    return s().request(method, target, body, std::nullopt, {{"Authorization", "Bearer " + token}});
  }

  static inline std::unique_ptr<ServerProcess> server_;
};

TEST_F(Staff, CreateRefusesBadInputAndTakenNames) {
  auto dup = s().cli({"user", "create", "--username", "li.admin", "--role", "admin"}, 15s,
                     "another-long-password\n");
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.err.find("taken"), std::string::npos) << dup.err;
  auto short_pw =
      s().cli({"user", "create", "--username", "new1", "--role", "viewer"}, 15s, "short\n");
  EXPECT_EQ(short_pw.exit_code, 2);
  EXPECT_NE(short_pw.err.find("password"), std::string::npos) << short_pw.err;
  auto no_pw = s().cli({"user", "create", "--username", "new2", "--role", "viewer"});
  EXPECT_EQ(no_pw.exit_code, 2);
  auto bad_role = s().cli({"user", "create", "--username", "new3", "--role", "root"}, 15s,
                          "long-enough-password\n");
  EXPECT_NE(bad_role.exit_code, 0);
  auto list = s().cli({"user", "list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("\"username\":\"op-zhang\",\"role\":\"operator\""), std::string::npos)
      << list.out;
  EXPECT_EQ(list.out.find("scrypt"), std::string::npos) << "no hashes in listings";
  EXPECT_EQ(list.out.find("correct-horse"), std::string::npos);
}

TEST_F(Staff, ASessionCallsTheStaffApiWithTheAccountsRole) {
  const auto admin = token("li.admin");
  const auto viewer = token("viewer_wu");
  const auto op = token("op-zhang");
  auto me = as(viewer, "GET", "/api/auth/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(str(me.json().as_object(), "role"), "viewer");

  // The operator creates an order with the session alone: no API key, no signature.
  const auto no = unique_order_no("ST");
  auto created = as(op, "POST", "/api/orders", to_string(order_body(no, "13812345678")));
  ASSERT_EQ(created.status, 201) << created.body;
  // Viewers read masked data and cannot write; revealing needs admin.
  auto seen = as(viewer, "GET", "/api/orders/" + no);
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(seen.body.find("13812345678"), std::string::npos);
  EXPECT_EQ(as(viewer, "POST", "/api/orders/" + no + "/status", R"({"status":"PAID"})").status,
            403);
  EXPECT_EQ(as(viewer, "GET", "/api/orders/" + no + "?reveal=true").status, 403);
  auto revealed = as(admin, "GET", "/api/orders/" + no + "?reveal=true");
  ASSERT_EQ(revealed.status, 200) << revealed.body;
  EXPECT_NE(revealed.body.find("13812345678"), std::string::npos);
  EXPECT_EQ(as(op, "GET", "/api/audit").status, 403);

  // The audit trail names the staff member.
  auto audit = as(admin, "GET", "/api/audit?target=order:" + no);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("\"actor\":\"staff:op-zhang\""), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find("\"actor\":\"staff:li.admin\""), std::string::npos) << audit.body;
  auto logins = as(admin, "GET", "/api/audit?action=auth.login");
  EXPECT_NE(logins.body.find("staff:viewer_wu"), std::string::npos) << logins.body;
  EXPECT_EQ(logins.body.find(kPassword), std::string::npos);

  // After logout the token is dead; a customer's or made-up bearer token never works.
  ASSERT_EQ(as(viewer, "POST", "/api/auth/logout").status, 200);
  EXPECT_EQ(as(viewer, "GET", "/api/orders?limit=1").status, 401);
  EXPECT_EQ(as(viewer, "GET", "/api/auth/me").status, 401);
  EXPECT_EQ(as(std::string(64, 'f'), "GET", "/api/orders?limit=1").status, 401);
}

TEST_F(Staff, WrongPasswordsLockTheAccountAndUnknownUsersLookTheSame) {
  auto unknown = login("nobody", "whatever-password");
  auto wrong = login("locky", "wrong-password-1");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(without_request_id(unknown), without_request_id(wrong));
  EXPECT_EQ(login("locky", "wrong-password-2").status, 401);
  auto locked = login("locky", "wrong-password-3");  // the third in a row
  EXPECT_EQ(locked.status, 423) << locked.body;
  EXPECT_EQ(locked.error_code(), "account_locked");
  EXPECT_FALSE(locked.header("retry-after").empty());
  // Locked: even the right password is refused until the lock ends.
  EXPECT_EQ(login("locky", kPassword).status, 423);
  // Bad input names the field.
  auto missing = s().request("POST", "/api/auth/login", R"({"username":"locky"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.error_field(), "password");
  auto extra =
      s().request("POST", "/api/auth/login", R"({"username":"a","password":"b","remember":true})");
  EXPECT_EQ(extra.status, 400);
  // A success resets the count: two failures then a success leave the account open.
  EXPECT_EQ(login("op-zhang", "nope-1").status, 401);
  EXPECT_EQ(login("op-zhang", "nope-2").status, 401);
  EXPECT_EQ(login("op-zhang", kPassword).status, 200);
  EXPECT_EQ(login("op-zhang", "nope-3").status, 401);
  EXPECT_EQ(login("op-zhang", kPassword).status, 200);
}

TEST(StaffLogin, AttemptsPerAddressAreLimited) {
  ServerProcess s(
      std::map<std::string, std::string>{{"COLDTRACK_STAFF_LOGIN_RATE_PER_MINUTE", "3"}});
  s.start();
  // Spraying one password over many accounts: each account sees one failure, the address many.
  for (int i = 0; i < 3; ++i) {
    auto r = s.request("POST", "/api/auth/login",
                       to_string(json::object{{"username", "user" + std::to_string(i)},
                                              {"password", "Spring2026!"}}));
    EXPECT_EQ(r.status, 401) << r.body;
  }
  auto limited =
      s.request("POST", "/api/auth/login", R"({"username":"user9","password":"Spring2026!"})");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.error_code(), "rate_limited");
  EXPECT_FALSE(limited.header("retry-after").empty());
}

TEST_F(Staff, SessionsSurviveARestart) {
  const auto t = token("li.admin");
  s().kill9();
  s().restart();
  EXPECT_EQ(as(t, "GET", "/api/orders?limit=1").status, 200);
}

}  // namespace
}  // namespace coldtrack::it
