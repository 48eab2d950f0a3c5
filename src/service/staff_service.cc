#include "service/staff_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "security/crypto.h"

namespace coldtrack::service {
namespace {

bool valid_username(const std::string& u) {
  return !u.empty() && u.size() <= 64 && std::all_of(u.begin(), u.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

store::AuditRecord audit(domain::EpochMs now, std::string actor, std::string role,
                         std::string action, const std::string& username, std::string request_id,
                         std::string client, std::string detail = "{}") {
  store::AuditRecord a;
  a.at = now;
  a.actor = std::move(actor);
  a.role = std::move(role);
  a.action = std::move(action);
  a.target = "staff:" + username;
  a.request_id = std::move(request_id);
  a.client_addr = std::move(client);
  a.detail = std::move(detail);
  return a;
}

}  // namespace

StaffService::StaffService(store::Store& store, StaffPolicy policy, Clock clock)
    : store_(store), policy_(policy), clock_(std::move(clock)) {}

const std::string& StaffService::dummy_hash() {
  std::call_once(dummy_once_, [this] {
    dummy_hash_ = security::hash_password(security::random_hex(16), policy_.cost);
  });
  return dummy_hash_;
}

Result<store::StaffUser> StaffService::create_user(const std::string& username,
                                                   const std::string& password,
                                                   const std::string& role, const Actor& actor) {
  if (!valid_username(username))
    return invalid("username", "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'");
  if (password.size() < 10 || password.size() > 256)
    return invalid("password", "must be 10 to 256 characters");
  if (role != "admin" && role != "operator" && role != "viewer")
    return invalid("role", "must be admin, operator or viewer");
  store::StaffUser u;
  u.username = username;
  u.password_hash = security::hash_password(password, policy_.cost);
  u.role = role;
  u.created_at = clock_();
  if (!store_.insert_staff_user(
          u, audit(u.created_at, actor.id, actor.role, "staff.create", username, actor.request_id,
                   actor.client_addr, fmt::format(R"({{"role":"{}"}})", role))))
    return Error{ErrorCode::kConflict, username + " is taken", "username", std::nullopt};
  return *store_.find_staff_user(username);
}

std::vector<store::StaffUser> StaffService::users() {
  return store_.list_staff_users();
}

LoginOutcome StaffService::login(const std::string& username, const std::string& password,
                                 const std::string& client_addr, const std::string& request_id) {
  using F = LoginOutcome::Failure;
  const auto now = clock_();
  auto user = valid_username(username) ? store_.find_staff_user(username) : std::nullopt;
  if (user && user->locked_until > now) {
    // Locked: no hash at all, so a locked account cannot be used to test passwords.
    return {F::kLocked, std::nullopt, static_cast<int>((user->locked_until - now + 999) / 1000)};
  }
  const bool ok = security::verify_password(password, user ? user->password_hash : dummy_hash());
  if (!user || user->disabled || !ok) {
    if (user) {
      const auto after = store_.record_login_failure(
          user->id, now, policy_.max_failures, policy_.lock_ms,
          audit(now, "staff:" + username, user->role, "auth.login_failed", username, request_id,
                client_addr));
      if (after.locked_until > now)
        return {F::kLocked, std::nullopt,
                static_cast<int>((after.locked_until - now + 999) / 1000)};
    }
    return {F::kBadCredentials, std::nullopt, 0};
  }
  StaffLogin l;
  l.token = security::random_hex(32);
  l.username = user->username;
  l.role = user->role;
  l.expires_at = now + policy_.session_ttl_ms;
  store_.start_staff_session(
      {security::sha256_hex(l.token), user->id, user->username, user->role, now, l.expires_at},
      audit(now, "staff:" + username, user->role, "auth.login", username, request_id, client_addr));
  return {F::kNone, std::move(l), 0};
}

std::optional<StaffIdentity> StaffService::authenticate(const std::string& token) {
  if (token.size() != 64) return std::nullopt;
  auto s = store_.find_staff_session(security::sha256_hex(token), clock_());
  if (!s) return std::nullopt;
  return StaffIdentity{s->username, s->role, s->expires_at};
}

void StaffService::logout(const std::string& token) {
  if (token.size() == 64) store_.end_staff_session(security::sha256_hex(token));
}

}  // namespace coldtrack::service
