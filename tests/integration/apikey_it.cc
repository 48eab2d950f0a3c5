// API key administration from the CLI: create, list (never secrets), revoke.
#include "fixtures.h"

namespace coldtrack::it {
namespace {

TEST(ApiKeys, RevokedKeyIsRefusedAndListedWithoutSecrets) {
  ServerProcess server{std::map<std::string, std::string>{}};
  server.start();
  const auto key = server.create_key("viewer");
  ASSERT_EQ(server.get("/api/categories", key).status, 200);

  auto revoke = server.cli({"apikey", "revoke", key.key});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_NE(revoke.out.find("\"revoked\":true"), std::string::npos) << revoke.out;

  // A fresh process has no cached key: the revocation holds from its first request.
  ASSERT_EQ(server.stop(), 0);
  server.restart();
  auto refused = server.get("/api/categories", key);
  EXPECT_EQ(refused.status, 401) << refused.body;

  auto list = server.cli({"apikey", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(key.key), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find(key.secret), std::string::npos) << "secrets must never be listed";
  EXPECT_NE(list.out.find("\"revoked\":true"), std::string::npos) << list.out;

  auto audit = server.get("/api/audit?action=apikey.revoke", server.admin());
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("apikey:" + key.key), std::string::npos) << audit.body;
}

TEST(ApiKeys, RevokingAnUnknownKeyFails) {
  ServerProcess server{std::map<std::string, std::string>{}};
  auto r = server.cli({"apikey", "revoke", "ak_doesnotexist"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no API key"), std::string::npos) << r.err;
}

TEST(ApiKeys, CreateRejectsAnUnknownRole) {
  ServerProcess server{std::map<std::string, std::string>{}};
  auto r = server.cli({"apikey", "create", "--role", "root"});
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace coldtrack::it
