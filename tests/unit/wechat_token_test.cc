#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "wechat/miniprogram.h"
#include "wechat/token_holder.h"

namespace coldtrack {
namespace {

using wechat::AccessToken;
using wechat::AccessTokenHolder;
using wechat::ApiError;
using wechat::EpochMs;
using wechat::ErrorKind;
using wechat::Result;

constexpr EpochMs kT0 = 1795582800000;  // 2026-11-25 13:00 China time
constexpr std::int64_t kLifeS = 7200;

AccessToken Token(std::string value) {
  return AccessToken{std::move(value), kLifeS};
}

ApiError Busy() {
  ApiError e;
  e.kind = ErrorKind::kRetryable;
  e.errcode = -1;
  e.message = "system busy";
  return e;
}

// Scripted stable_token endpoint: answers come from the per-mode queue, "tok-<n>" when it is empty.
class FakeFetch {
 public:
  std::deque<Result<AccessToken>> normal;
  std::deque<Result<AccessToken>> force;
  std::chrono::milliseconds delay{0};
  std::function<void()> before_answer;  // e.g. block on a gate

  Result<AccessToken> operator()(bool is_force) {
    int n = 0;
    Result<AccessToken> answer = ApiError{};
    {
      std::lock_guard<std::mutex> lock(mu_);
      n = ++(is_force ? force_calls_ : normal_calls_);
      auto& queue = is_force ? force : normal;
      if (queue.empty()) {
        answer = Token((is_force ? "force-" : "tok-") + std::to_string(n));
      } else {
        answer = queue.front();
        queue.pop_front();
      }
    }
    if (before_answer) before_answer();
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    return answer;
  }

  int normal_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return normal_calls_;
  }
  int force_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return force_calls_;
  }

 private:
  std::mutex mu_;
  int normal_calls_ = 0;
  int force_calls_ = 0;
};

class WechatToken : public ::testing::Test {
 protected:
  AccessTokenHolder MakeHolder() {
    return AccessTokenHolder([this](bool f) { return fake_(f); }, [this] { return now_.load(); });
  }
  std::string Ok(const Result<std::string>& r) {
    if (const ApiError* e = std::get_if<ApiError>(&r)) {
      ADD_FAILURE() << "error: " << e->message;
      return "";
    }
    return std::get<std::string>(r);
  }

  FakeFetch fake_;
  std::atomic<EpochMs> now_{kT0};
};

TEST_F(WechatToken, FetchesOnceAndReusesUntilRefreshDue) {
  AccessTokenHolder holder = MakeHolder();
  EXPECT_EQ(Ok(holder.get()), "tok-1");
  EXPECT_EQ(Ok(holder.get()), "tok-1");
  const EpochMs due = wechat::refresh_due(kT0, kLifeS);
  now_ = due - 1;
  EXPECT_EQ(Ok(holder.get()), "tok-1");
  EXPECT_EQ(fake_.normal_calls(), 1);

  now_ = due;
  EXPECT_EQ(Ok(holder.get()), "tok-2");
  EXPECT_EQ(Ok(holder.get()), "tok-2");
  EXPECT_EQ(fake_.normal_calls(), 2);
  EXPECT_EQ(fake_.force_calls(), 0);
}

TEST_F(WechatToken, ConcurrentCallersShareOneFetch) {
  fake_.delay = std::chrono::milliseconds(50);
  AccessTokenHolder holder = MakeHolder();
  constexpr int kThreads = 16;
  std::latch start(kThreads);
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      got[i] = Ok(holder.get());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fake_.normal_calls(), 1);
  for (const auto& token : got) EXPECT_EQ(token, "tok-1");
}

TEST_F(WechatToken, FetchErrorReachesEveryWaiterAndNextGetRetries) {
  fake_.normal.push_back(Busy());
  std::latch gate(1);
  std::atomic<bool> gated{true};
  fake_.before_answer = [&] {
    if (gated.exchange(false)) gate.wait();
  };
  AccessTokenHolder holder = MakeHolder();

  constexpr int kThreads = 8;
  std::vector<Result<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { got[0] = holder.get(); });
  while (fake_.normal_calls() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (int i = 1; i < kThreads; ++i) threads.emplace_back([&, i] { got[i] = holder.get(); });
  // Let them reach the wait (generous: a late arrival would start a second flight).
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  gate.count_down();
  for (auto& t : threads) t.join();

  EXPECT_EQ(fake_.normal_calls(), 1);
  for (const auto& r : got) {
    ASSERT_TRUE(std::holds_alternative<ApiError>(r));
    EXPECT_EQ(std::get<ApiError>(r).errcode, -1);
  }
  // Not cached: the very next get() tries again (same clock reading).
  EXPECT_EQ(Ok(holder.get()), "tok-2");
  EXPECT_EQ(fake_.normal_calls(), 2);
}

TEST_F(WechatToken, FailedEarlyRefreshKeepsServingValidTokenWithBackoff) {
  AccessTokenHolder holder = MakeHolder();
  EXPECT_EQ(Ok(holder.get()), "tok-1");
  now_ = wechat::refresh_due(kT0, kLifeS);
  fake_.normal.push_back(Busy());
  EXPECT_EQ(Ok(holder.get()), "tok-1");
  EXPECT_EQ(Ok(holder.get()), "tok-1");  // inside the backoff: no call
  EXPECT_EQ(fake_.normal_calls(), 2);
  now_ += wechat::kTokenRetryAfterFailureMs;
  EXPECT_EQ(Ok(holder.get()), "tok-3");
  EXPECT_EQ(fake_.normal_calls(), 3);
}

// A WeChat call answering 40001 for one token: the shape with_token is used with.
Result<std::string> Reply(const std::string& answer) {
  return answer;
}
ApiError TokenInvalid(std::string message) {
  ApiError e;
  e.kind = ErrorKind::kTokenInvalid;
  e.errcode = 40001;
  e.message = std::move(message);
  return e;
}
bool IsTokenInvalid(const Result<std::string>& r) {
  const ApiError* e = std::get_if<ApiError>(&r);
  return e != nullptr && e->kind == ErrorKind::kTokenInvalid;
}
Result<std::string> PassError(const ApiError& e) {
  return e;
}

TEST_F(WechatToken, WithTokenRefreshesAndRetriesOnce) {
  AccessTokenHolder holder = MakeHolder();
  int calls = 0;
  Result<std::string> r = holder.with_token<Result<std::string>>(
      [&](const std::string& token) -> Result<std::string> {
        ++calls;
        if (token == "tok-1") return TokenInvalid("bad token");
        return Reply("sent with " + token);
      },
      IsTokenInvalid, PassError);
  EXPECT_EQ(Ok(r), "sent with tok-2");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(fake_.normal_calls(), 2);
  EXPECT_EQ(fake_.force_calls(), 0);
}

TEST_F(WechatToken, WithTokenReturnsSecondFailureWithoutLooping) {
  AccessTokenHolder holder = MakeHolder();
  int calls = 0;
  Result<std::string> r = holder.with_token<Result<std::string>>(
      [&](const std::string&) -> Result<std::string> {
        return TokenInvalid("failure " + std::to_string(++calls));
      },
      IsTokenInvalid, PassError);
  ASSERT_TRUE(IsTokenInvalid(r));
  EXPECT_EQ(std::get<ApiError>(r).message, "failure 2");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(fake_.normal_calls(), 2);
}

TEST_F(WechatToken, WithTokenMapsGetErrorThroughOnError) {
  fake_.normal.push_back(Busy());
  AccessTokenHolder holder = MakeHolder();
  int calls = 0;
  Result<std::string> r = holder.with_token<Result<std::string>>(
      [&](const std::string& token) -> Result<std::string> {
        ++calls;
        return Reply(token);
      },
      IsTokenInvalid, PassError);
  ASSERT_TRUE(std::holds_alternative<ApiError>(r));
  EXPECT_EQ(std::get<ApiError>(r).errcode, -1);
  EXPECT_EQ(calls, 0);
}

TEST_F(WechatToken, InvalidatingAReplacedTokenDoesNotRefreshAgain) {
  AccessTokenHolder holder = MakeHolder();
  const std::string old_token = Ok(holder.get());
  // Two callers both got 40001 with tok-1; the first one refreshes...
  holder.invalidate(old_token);
  EXPECT_EQ(Ok(holder.get()), "tok-2");
  // ...the second reports the same old token afterwards: nothing to do.
  holder.invalidate(old_token);
  EXPECT_EQ(Ok(holder.get()), "tok-2");
  EXPECT_EQ(fake_.normal_calls(), 2);
  EXPECT_EQ(fake_.force_calls(), 0);
}

TEST_F(WechatToken, ForceModeOnlyWhenNormalModeReturnsTheFailedToken) {
  fake_.normal = {Token("A"), Token("A"), Token("B"), Token("B")};
  fake_.force = {Token("B"), Token("C")};
  AccessTokenHolder holder = MakeHolder();
  EXPECT_EQ(Ok(holder.get()), "A");
  holder.invalidate("A");
  EXPECT_EQ(Ok(holder.get()), "B");  // normal gave A again -> force
  EXPECT_EQ(fake_.force_calls(), 1);

  // B rejected too, 10 s later: normal gives B again, but force mode needs 30 s between calls.
  now_ += 10'000;
  holder.invalidate("B");
  Result<std::string> r = holder.get();
  ASSERT_TRUE(std::holds_alternative<ApiError>(r));
  EXPECT_EQ(std::get<ApiError>(r).kind, ErrorKind::kRateLimited);
  EXPECT_EQ(fake_.force_calls(), 1);

  now_ += wechat::kForceRefreshGapMs;
  EXPECT_EQ(Ok(holder.get()), "C");
  EXPECT_EQ(fake_.normal_calls(), 4);
  EXPECT_EQ(fake_.force_calls(), 2);
}

}  // namespace
}  // namespace coldtrack
