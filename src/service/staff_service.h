// Staff of the merchant console: accounts (`coldtrack user create`), password login to a
// session token, lockout after repeated failures. Blocking (worker pool): hashing a password
// takes tens of milliseconds on purpose.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "security/password.h"
#include "service/order_service.h"
#include "service/result.h"
#include "store/store.h"

namespace coldtrack::service {

struct StaffPolicy {
  domain::EpochMs session_ttl_ms = 12 * 3'600'000LL;  // one working day
  int max_failures = 5;                               // in a row, then locked
  domain::EpochMs lock_ms = 15 * 60'000LL;
  security::ScryptCost cost;
};

struct StaffLogin {
  std::string token;  // bearer token; only its hash is stored
  std::string username, role;
  domain::EpochMs expires_at = 0;
};

struct LoginOutcome {
  enum class Failure { kNone, kBadCredentials, kLocked };
  Failure failure = Failure::kNone;
  std::optional<StaffLogin> login;
  int retry_after_s = 0;  // kLocked: until the lock ends
};

struct StaffIdentity {
  std::string username, role;
  domain::EpochMs expires_at = 0;
};

class StaffService {
 public:
  StaffService(store::Store& store, StaffPolicy policy, Clock clock);

  // Usernames: 1-64 of [A-Za-z0-9._-]; passwords: 10-256 bytes; role admin|operator|viewer.
  Result<store::StaffUser> create_user(const std::string& username, const std::string& password,
                                       const std::string& role, const Actor& actor);
  std::vector<store::StaffUser> users();

  // A wrong password and an unknown user are the same failure and take the same time.
  LoginOutcome login(const std::string& username, const std::string& password,
                     const std::string& client_addr, const std::string& request_id);
  std::optional<StaffIdentity> authenticate(const std::string& token);
  void logout(const std::string& token);

 private:
  store::Store& store_;
  StaffPolicy policy_;
  Clock clock_;
  // Verified against for unknown users, so timing tells nothing; made at the first such login
  // rather than at start-up (a hash costs tens of milliseconds on purpose).
  const std::string& dummy_hash();
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

}  // namespace coldtrack::service
