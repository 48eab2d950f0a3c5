// The one access-token holder per appid (protocols/wechat.md §2): every component asks it for the
// stable_token, it refreshes ahead of expiry in normal mode, shares one refresh between
// concurrent callers, and turns 40001/42001 into one refresh (force mode only when normal mode
// hands back the token that just failed, within WeChat's force limits) and one retry.
// Thread-safe. The HTTP call and the clock are injected, so the holder itself does no I/O.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "wechat/miniprogram.h"

namespace coldtrack::wechat {

// Fetches a token (build_stable_token + HTTP + parse_stable_token). force=false is the normal
// stable_token call, force=true the force_refresh one. Blocking; called without the holder's lock.
using TokenFetch = std::function<Result<AccessToken>(bool force)>;

// After a failed refresh while the cached token is still valid, that token keeps being served for
// this long before the next refresh attempt (avoids one WeChat call per get() during an outage).
// With no usable token, the next get() retries at once.
inline constexpr std::int64_t kTokenRetryAfterFailureMs = 1'000;

class AccessTokenHolder {
 public:
  // `clock` must be callable from any thread.
  AccessTokenHolder(TokenFetch fetch, std::function<EpochMs()> clock);

  AccessTokenHolder(const AccessTokenHolder&) = delete;
  AccessTokenHolder& operator=(const AccessTokenHolder&) = delete;

  // A valid token: the cached one unless refresh_due() has passed or it was invalidated, else the
  // result of one refresh shared by every concurrent caller (callers arriving during a refresh
  // wait for it and get its result, error included). If a refresh fails but the cached token has
  // not expired and was not invalidated, that token is returned instead of the error.
  Result<std::string> get();

  // WeChat answered 40001/42001 for `token`: the next get() refreshes (force mode when
  // should_force_refresh says so), unless `token` was already replaced, which is then a no-op.
  void invalidate(const std::string& token);

  // Runs call(token); if is_token_invalid says the answer was 40001/42001, invalidates, gets a
  // new token and calls exactly once more, returning that answer whatever it is (never loops).
  // A get() failure is turned into an R by on_error.
  template <class R>
  R with_token(const std::function<R(const std::string&)>& call,
               const std::function<bool(const R&)>& is_token_invalid,
               const std::function<R(const ApiError&)>& on_error);

 private:
  struct Flight;

  // Runs one refresh with `lock` released during the fetch; returns with `lock` held.
  Result<std::string> Refresh(std::unique_lock<std::mutex>& lock);
  // The fetch plus, if normal mode returned `failed_token`, force mode within WeChat's limits.
  Result<AccessToken> FetchFor(const std::string& failed_token);
  Result<AccessToken> CallFetch(bool force);

  const TokenFetch fetch_;
  const std::function<EpochMs()> clock_;

  std::mutex mu_;
  std::condition_variable flight_done_;
  std::shared_ptr<Flight> flight_;  // the refresh in progress, null when none (guarded by mu_)
  bool have_token_ = false;         // guarded by mu_
  std::string token_;               // guarded by mu_
  EpochMs due_ = 0;                 // refresh_due(): refresh in normal mode from then on
  EpochMs expiry_ = 0;              // end of the token's life as WeChat stated it
  EpochMs retry_at_ = 0;            // after a failed refresh; see kTokenRetryAfterFailureMs
  std::string invalidated_;         // == token_ when WeChat rejected it, else ""
  // Times of force refreshes in the last day. Touched only by the flight owner (one at a time).
  std::vector<EpochMs> force_log_;
};

template <class R>
R AccessTokenHolder::with_token(const std::function<R(const std::string&)>& call,
                                const std::function<bool(const R&)>& is_token_invalid,
                                const std::function<R(const ApiError&)>& on_error) {
  Result<std::string> token = get();
  if (const ApiError* err = std::get_if<ApiError>(&token)) return on_error(*err);
  R first = call(std::get<std::string>(token));
  if (!is_token_invalid(first)) return first;
  invalidate(std::get<std::string>(token));
  token = get();
  if (const ApiError* err = std::get_if<ApiError>(&token)) return on_error(*err);
  return call(std::get<std::string>(token));
}

}  // namespace coldtrack::wechat
