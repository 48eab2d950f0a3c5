#include "wechat/token_holder.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace coldtrack::wechat {
namespace {

constexpr std::int64_t kDayMs = 24 * 60 * 60'000;

ApiError HolderError(ErrorKind kind, std::string message) {
  ApiError e;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}

}  // namespace

// One refresh. Waiters keep the shared_ptr, so the result outlives flight_ being cleared.
struct AccessTokenHolder::Flight {
  bool done = false;  // guarded by mu_
  Result<std::string> result;
};

AccessTokenHolder::AccessTokenHolder(TokenFetch fetch, std::function<EpochMs()> clock)
    : fetch_(std::move(fetch)), clock_(std::move(clock)) {}

Result<std::string> AccessTokenHolder::get() {
  std::unique_lock<std::mutex> lock(mu_);
  if (flight_) {
    std::shared_ptr<Flight> flight = flight_;
    flight_done_.wait(lock, [&] { return flight->done; });
    return flight->result;
  }
  const EpochMs now = clock_();
  if (have_token_ && invalidated_.empty() && (now < due_ || (now < retry_at_ && now < expiry_))) {
    return token_;
  }
  return Refresh(lock);
}

void AccessTokenHolder::invalidate(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  // A token other than the current one was already replaced: refreshing again would only burn
  // calls (or, in force mode, kill the fresh token for everyone).
  if (have_token_ && token == token_) invalidated_ = token;
}

Result<std::string> AccessTokenHolder::Refresh(std::unique_lock<std::mutex>& lock) {
  auto flight = std::make_shared<Flight>();
  flight_ = flight;
  const std::string failed = invalidated_;
  lock.unlock();

  // The token's life is counted from before the call: errs on the side of refreshing early.
  const EpochMs started = clock_();
  Result<AccessToken> fetched = FetchFor(failed);

  lock.lock();
  const EpochMs now = clock_();
  if (const AccessToken* t = std::get_if<AccessToken>(&fetched)) {
    have_token_ = true;
    token_ = t->access_token;
    due_ = refresh_due(started, t->expires_in_s);
    expiry_ = started + t->expires_in_s * 1000;
    // Keep the mark if WeChat's rejection of this very token arrived while we were fetching.
    if (invalidated_ != token_) invalidated_.clear();
    flight->result = token_;
  } else if (have_token_ && invalidated_.empty() && now < expiry_) {
    // A refresh ahead of expiry failed: the cached token still works, so an outage of the token
    // endpoint does not fail every other WeChat call.
    retry_at_ = now + kTokenRetryAfterFailureMs;
    flight->result = token_;
  } else {
    flight->result = std::get<ApiError>(std::move(fetched));
  }
  flight->done = true;
  flight_.reset();
  flight_done_.notify_all();
  return flight->result;
}

Result<AccessToken> AccessTokenHolder::FetchFor(const std::string& failed_token) {
  Result<AccessToken> normal = CallFetch(false);
  const AccessToken* t = std::get_if<AccessToken>(&normal);
  if (t == nullptr || !should_force_refresh(failed_token, *t)) return normal;

  // Force mode invalidates the token for every server of this appid: WeChat allows 20 a day,
  // 30 s apart. Counted over a rolling 24 h (stricter than a calendar day) in this process only.
  const EpochMs now = clock_();
  std::erase_if(force_log_, [&](EpochMs at) { return at <= now - kDayMs; });
  if (!force_log_.empty() && now - force_log_.back() < kForceRefreshGapMs) {
    return HolderError(ErrorKind::kRateLimited, "force_refresh: less than 30 s since the last");
  }
  if (force_log_.size() >= static_cast<std::size_t>(kForceRefreshPerDay)) {
    return HolderError(ErrorKind::kRateLimited, "force_refresh: daily limit reached");
  }
  force_log_.push_back(now);
  return CallFetch(true);
}

Result<AccessToken> AccessTokenHolder::CallFetch(bool force) {
  // An escaping exception would leave the flight open and its waiters blocked forever.
  try {
    Result<AccessToken> r = fetch_(force);
    if (const AccessToken* t = std::get_if<AccessToken>(&r); t && t->access_token.empty()) {
      return HolderError(ErrorKind::kRetryable, "stable_token returned an empty access_token");
    }
    return r;
  } catch (const std::exception& e) {
    return HolderError(ErrorKind::kRetryable, std::string("token fetch threw: ") + e.what());
  } catch (...) {
    return HolderError(ErrorKind::kRetryable, "token fetch threw");
  }
}

}  // namespace coldtrack::wechat
