// Notification planning (pure), the job store (SQLite) and the worker with scripted senders.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <memory>

#include "notify/planner.h"
#include "notify/policy.h"
#include "service/notification_service.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack {
namespace {

namespace fs = std::filesystem;
using domain::EpochMs;
using notify::Channel;
using store::NotificationJob;

constexpr EpochMs kMinute = 60'000;
constexpr EpochMs kHour = 60 * kMinute;
// 2026-11-25 13:05 in Shanghai (05:05 UTC): outside quiet hours.
constexpr EpochMs kNoon = 1'795'583'100'000;
// 23:05 the same day in Shanghai: quiet.
constexpr EpochMs kNight = kNoon + 10 * kHour;
const std::string kDataKey = "0123456789abcdef0123456789ABCDEF";

notify::SourceEvent order_event(const std::string& to, EpochMs at, const std::string& no = "CT1",
                                int n = 1) {
  auto s = notify::event_from_outbox("order.status_changed",
                                     R"({"order_no":")" + no + R"(","from":"PAID","to":")" + to +
                                         R"(","at":)" + std::to_string(at) + "}",
                                     "order.status:" + std::to_string(n), at);
  EXPECT_TRUE(s.has_value());
  return *s;
}

notify::PlanInput input(const notify::Policy& p, notify::SourceEvent e, EpochMs now,
                        notify::OrderContact c = {"oOpenid1", "idx1"},
                        notify::ChannelsReady ready = {true, true, true}) {
  notify::PlanInput in;
  in.policy = &p;
  in.source = std::move(e);
  in.contact = c;
  in.ready = ready;
  in.now = now;
  return in;
}

// ---- Planner ----------------------------------------------------------------------------------

TEST(NotificationPlanner, ShippedGoesToWechatFirstWithSmsAsFallbackAfterTheDigestWindow) {
  const auto p = notify::default_policy();
  const auto jobs = notify::plan(input(p, order_event("SHIPPED", kNoon), kNoon));
  ASSERT_EQ(jobs.size(), 1u);
  const auto& j = jobs[0];
  EXPECT_EQ(j.audience, "customer");
  EXPECT_EQ(j.channel, "wechat");
  EXPECT_EQ(j.recipient, "oOpenid1");
  EXPECT_EQ(j.event_kind, "order.SHIPPED");
  EXPECT_EQ(j.send_at, kNoon + p.digest_window_ms);
  EXPECT_EQ(j.idem_key, "order.status:1|oOpenid1|wechat");
  const auto payload = notify::parse_payload(j.payload);
  EXPECT_EQ(payload.text, "您的订单已发货");
  EXPECT_EQ(payload.status, "已发货");
  EXPECT_EQ(payload.fallback, std::vector<std::string>{"sms"});
  // The same event planned again gives the same key: the store keeps one job.
  EXPECT_EQ(notify::plan(input(p, order_event("SHIPPED", kNoon), kNoon + 5000))[0].idem_key,
            j.idem_key);
}

TEST(NotificationPlanner, WithoutAnOpenidTheCustomerGetsAnSms) {
  const auto p = notify::default_policy();
  const auto jobs = notify::plan(input(p, order_event("DELIVERED", kNoon), kNoon, {"", "idx9"}));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].channel, "sms");
  EXPECT_EQ(jobs[0].recipient, "phone:idx9");
  EXPECT_TRUE(notify::parse_payload(jobs[0].payload).fallback.empty());
  // Nobody to reach: no job rather than a job that can only fail.
  EXPECT_TRUE(notify::plan(input(p, order_event("DELIVERED", kNoon), kNoon, {"", ""})).empty());
  EXPECT_TRUE(notify::plan(input(p, order_event("DELIVERED", kNoon), kNoon, {"o1", "i1"},
                                 {false, false, true}))
                  .empty());
}

TEST(NotificationPlanner, OldNewsIsNotAnnouncedToCustomers) {
  const auto p = notify::default_policy();  // 24 h
  EXPECT_TRUE(notify::plan(input(p, order_event("DELIVERED", kNoon - 25 * kHour), kNoon)).empty());
  EXPECT_EQ(notify::plan(input(p, order_event("DELIVERED", kNoon - 23 * kHour), kNoon)).size(), 1u);
}

TEST(NotificationPlanner, PaidAndInTransitAreNotAnnounced) {
  const auto p = notify::default_policy();
  EXPECT_TRUE(notify::plan(input(p, order_event("PAID", kNoon), kNoon)).empty());
  EXPECT_TRUE(notify::plan(input(p, order_event("IN_TRANSIT", kNoon), kNoon)).empty());
}

TEST(NotificationPlanner, QuietHoursDeferCustomerMessagesButNotExceptions) {
  const auto p = notify::default_policy();
  const auto shipped = notify::plan(input(p, order_event("SHIPPED", kNight), kNight));
  ASSERT_EQ(shipped.size(), 1u);
  // 08:00 the next morning in Shanghai = 00:00 UTC.
  EXPECT_EQ(shipped[0].send_at, kNoon - 5 * kMinute - 5 * kHour + 24 * kHour);
  const auto exception = notify::plan(input(p, order_event("EXCEPTION", kNight), kNight));
  ASSERT_EQ(exception.size(), 1u);
  EXPECT_TRUE(exception[0].urgent);
  EXPECT_EQ(exception[0].send_at, kNight);
}

TEST(NotificationPlanner, TheRateLimitPushesAFourthMessageInAnHourBack) {
  const auto p = notify::default_policy();  // 3 per hour
  auto in = input(p, order_event("DELIVERED", kNoon), kNoon);
  const std::vector<EpochMs> recent = {kNoon - 50 * kMinute, kNoon - 40 * kMinute,
                                       kNoon - 30 * kMinute};
  in.recent_sends = [&](const std::string& r) {
    EXPECT_EQ(r, "oOpenid1");
    return recent;
  };
  const auto jobs = notify::plan(in);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].send_at, kNoon + 10 * kMinute);  // the first of the three leaves the hour
}

TEST(NotificationPlanner, StaffHearOfMajorAnomaliesAndTemperatureAtOnceWithTheReason) {
  const auto p = notify::default_policy();
  auto major = notify::event_from_outbox(
      "anomaly.opened",
      R"({"id":7,"kind":"no_update","order_no":"CT9","shipment_id":3,"carrier":"SF","severity":"major","reason":"no_update","state":"open"})",
      "anomaly.opened:7", kNight);
  ASSERT_TRUE(major);
  const auto jobs = notify::plan(input(p, *major, kNight));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].audience, "staff");
  EXPECT_EQ(jobs[0].channel, "webhook");
  EXPECT_EQ(jobs[0].send_at, kNight);  // staff are told at night too
  EXPECT_NE(notify::parse_payload(jobs[0].payload).text.find("【严重】订单 CT9"),
            std::string::npos);

  auto warning = notify::event_from_outbox(
      "anomaly.opened",
      R"({"id":8,"kind":"no_update","order_no":"CT9","severity":"warning","reason":"no_update"})",
      "anomaly.opened:8", kNoon);
  EXPECT_TRUE(notify::plan(input(p, *warning, kNoon)).empty());

  auto temp = notify::event_from_outbox(
      "anomaly.updated",
      R"({"id":9,"kind":"temperature","order_no":"CT9","severity":"warning","reason":"x"})",
      "anomaly.updated:9:1", kNoon);
  ASSERT_TRUE(temp);
  EXPECT_EQ(temp->event.kind, "temperature");
  EXPECT_EQ(notify::plan(input(p, *temp, kNoon)).size(), 1u);
  EXPECT_FALSE(notify::event_from_outbox("anomaly.resolved", R"({"order_no":"CT9"})", "k", kNoon));
  EXPECT_FALSE(notify::event_from_outbox("order.status_changed", "not json", "k", kNoon));
}

TEST(NotificationPlanner, ReminderIsDueTheLeadBeforeTheEtaAndKeyedPerOrder) {
  const auto p = notify::default_policy();  // 2 h lead
  const EpochMs eta = kNoon + 5 * kHour;
  auto r = notify::plan_reminder(p, "CT1", {"o1", ""}, {true, false, false}, eta, kNoon);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->send_at, eta - 2 * kHour);
  EXPECT_EQ(r->event_key, "eta_soon:CT1");
  EXPECT_EQ(notify::parse_payload(r->payload).text, "预计2小时内送达");
  // Predicted for the middle of the night: the reminder would come after the ETA.
  EXPECT_FALSE(
      notify::plan_reminder(p, "CT1", {"o1", ""}, {true, false, false}, kNight + kHour, kNight));
}

TEST(NotificationPlanner, FallbackCarriesOnByTheNextReadyChannelOnce) {
  const auto p = notify::default_policy();
  auto j = notify::plan(input(p, order_event("SHIPPED", kNoon), kNoon))[0];
  j.id = 41;
  auto f = notify::fallback_job(j, {true, true, true}, kNoon + 1);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->channel, "sms");
  EXPECT_EQ(f->fallback_of, 41);
  EXPECT_EQ(f->send_at, kNoon + 1);
  EXPECT_EQ(f->idem_key, "order.status:1|oOpenid1|sms");
  EXPECT_FALSE(notify::fallback_job(*f, {true, true, true}, kNoon + 2));
  EXPECT_FALSE(notify::fallback_job(j, {true, false, true}, kNoon + 2));
}

TEST(NotificationPolicyRules, ParsesAndExplainsMistakes) {
  auto ok = notify::parse_rules(
      "order.SHIPPED=customer:wechat+sms, order.EXCEPTION=customer:sms!,"
      "anomaly.opened=staff:webhook!@critical");
  ASSERT_TRUE(std::holds_alternative<std::vector<notify::Rule>>(ok));
  const auto& rules = std::get<std::vector<notify::Rule>>(ok);
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].channels, (std::vector<Channel>{Channel::kWechat, Channel::kSms}));
  EXPECT_FALSE(rules[0].urgent);
  EXPECT_TRUE(rules[1].urgent);
  EXPECT_EQ(rules[2].audience, notify::Audience::kStaff);
  EXPECT_EQ(rules[2].min_severity, "critical");
  for (const char* bad : {"order.SHIPPED", "order.SHIPPED=boss:wechat", "x=customer:fax",
                          "x=customer:webhook", "x=staff:sms", "x=staff:webhook@huge", ""}) {
    auto r = notify::parse_rules(bad);
    EXPECT_TRUE(std::holds_alternative<std::string>(r)) << bad;
  }
}

// ---- Store ------------------------------------------------------------------------------------

// A filter on one field.
store::NotificationFilter where(std::optional<std::string> store::NotificationFilter::*field,
                                const std::string& value) {
  store::NotificationFilter f;
  f.*field = value;
  return f;
}

fs::path unique_db() {
  static std::atomic<int> counter{0};
  return fs::temp_directory_path() / ("coldtrack_notify_" + std::to_string(::getpid()) + "_" +
                                      std::to_string(counter++) + ".db");
}

class NotificationStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    path_ = unique_db();
    store_ = std::make_unique<store::sqlite::SqliteStore>(store::sqlite::SqliteOptions{path_});
  }
  void TearDown() override {
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm", "-users"}) fs::remove(path_.string() + suffix);
  }
  static NotificationJob job(const std::string& key, const std::string& order, EpochMs send_at,
                             EpochMs event_at, bool urgent = false) {
    NotificationJob j;
    j.idem_key = key;
    j.event_key = key;
    j.event_kind = "order.SHIPPED";
    j.order_no = order;
    j.audience = "customer";
    j.channel = "wechat";
    j.recipient = "o1";
    j.urgent = urgent;
    j.payload = R"({"text":")" + key + R"("})";
    j.event_at = event_at;
    j.send_at = send_at;
    return j;
  }
  fs::path path_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
};

TEST_F(NotificationStoreTest, PlanningTheSameJobTwiceKeepsOne) {
  EXPECT_EQ(store_->plan_notifications(0, {job("a", "CT1", kNoon, kNoon)}, false, kNoon), 1);
  EXPECT_EQ(store_->plan_notifications(0, {job("a", "CT1", kNoon + 9, kNoon)}, false, kNoon), 0);
  const auto page = store_->list_notifications({});
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].send_at, kNoon);
  // A pending reminder moves with a new prediction; a sent one never does.
  EXPECT_EQ(store_->plan_notifications(0, {job("a", "CT1", kNoon + 9, kNoon)}, true, kNoon), 0);
  EXPECT_EQ(store_->get_notification(page.items[0].id)->send_at, kNoon + 9);
}

TEST_F(NotificationStoreTest, ClaimDigestsCloseChangesOfOneOrderButNeverUrgentOnes) {
  store_->plan_notifications(0,
                             {job("shipped", "CT1", kNoon, kNoon),
                              job("ofd", "CT1", kNoon + 2 * kMinute, kNoon + 2 * kMinute),
                              job("late", "CT1", kNoon + 20 * kMinute, kNoon + 20 * kMinute),
                              job("urgent", "CT1", kNoon + kMinute, kNoon + kMinute, true),
                              job("other", "CT2", kNoon, kNoon)},
                             false, kNoon);
  auto claimed = store_->claim_notifications(kNoon + kMinute, 10, kMinute, 5 * kMinute);
  ASSERT_EQ(claimed.size(), 3u);  // shipped (+ofd), other, urgent
  EXPECT_EQ(claimed[0].job.idem_key, "shipped");
  EXPECT_EQ(claimed[0].job.state, "sending");
  EXPECT_EQ(claimed[0].job.attempts, 1);
  ASSERT_EQ(claimed[0].merged.size(), 1u);
  EXPECT_EQ(claimed[0].merged[0].idem_key, "ofd");
  EXPECT_EQ(store_->get_notification(claimed[0].merged[0].id)->merged_into, claimed[0].job.id);
  // Not due yet and outside the window: still pending.
  EXPECT_EQ(
      store_->list_notifications(where(&store::NotificationFilter::state, "pending")).items.size(),
      1u);
}

TEST_F(NotificationStoreTest, ALeaseThatRunsOutMakesTheSendUncertainAndItsOutcomeIsIgnored) {
  store_->plan_notifications(0, {job("a", "CT1", kNoon, kNoon)}, false, kNoon);
  auto claimed = store_->claim_notifications(kNoon, 10, kMinute, 0);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(store_->expire_sending(kNoon + kMinute - 1), 0);
  EXPECT_EQ(store_->expire_sending(kNoon + kMinute + 1), 1);
  const auto id = claimed[0].job.id;
  EXPECT_EQ(store_->get_notification(id)->state, "uncertain");
  // The late sender's report and its follow-up change nothing.
  store::NotificationOutcome late{id, "fallback", kNoon + 2 * kMinute, 0, "refused", "", {}};
  late.follow_up = job("follow", "CT1", kNoon, kNoon);
  store_->finish_notification(late);
  EXPECT_EQ(store_->get_notification(id)->state, "uncertain");
  EXPECT_EQ(store_->list_notifications({}).items.size(), 1u);
  // Nothing is claimed again by itself; an admin may re-send it.
  EXPECT_TRUE(store_->claim_notifications(kNoon + kHour, 10, kMinute, 0).empty());
  store::AuditRecord audit{0,  kNoon, "apikey:admin", "admin", "notification.resend", "n", "",
                           "", "{}"};
  EXPECT_EQ(store_->resend_notification(id, kNoon + kHour, audit), store::ResendResult::kQueued);
  EXPECT_EQ(store_->claim_notifications(kNoon + kHour, 10, kMinute, 0).size(), 1u);
  EXPECT_EQ(store_->resend_notification(id, kNoon + kHour, audit),
            store::ResendResult::kNotResendable);
  EXPECT_EQ(store_->resend_notification(999, kNoon, audit), store::ResendResult::kNotFound);
}

TEST_F(NotificationStoreTest, FinishingWithAFollowUpInsertsItInTheSameStep) {
  store_->plan_notifications(0, {job("a", "CT1", kNoon, kNoon)}, false, kNoon);
  auto claimed = store_->claim_notifications(kNoon, 10, kMinute, 0);
  store::NotificationOutcome o{claimed[0].job.id, "fallback", kNoon, 0, "43101", "", {}};
  auto f = job("a|sms", "CT1", kNoon, kNoon);
  f.channel = "sms";
  f.fallback_of = claimed[0].job.id;
  o.follow_up = f;
  store_->finish_notification(o);
  const auto sms = store_->list_notifications(where(&store::NotificationFilter::channel, "sms"));
  ASSERT_EQ(sms.items.size(), 1u);
  EXPECT_EQ(sms.items[0].fallback_of, claimed[0].job.id);
  EXPECT_EQ(sms.items[0].state, "pending");
  EXPECT_EQ(store_->get_notification(claimed[0].job.id)->last_error, "43101");
}

// ---- Worker -----------------------------------------------------------------------------------

// A sender that answers from a script and records what it was asked to deliver.
class ScriptedSender : public notify::Sender {
 public:
  notify::SendReport send(const notify::Delivery& d) override {
    sent.push_back(d);
    if (script.empty()) return {notify::SendStatus::kSent, "", "ref-" + std::to_string(d.job_id)};
    auto r = script.front();
    script.pop_front();
    return r;
  }
  std::deque<notify::SendReport> script;
  std::vector<notify::Delivery> sent;
};

class NotificationWorkerTest : public NotificationStoreTest {
 protected:
  void SetUp() override {
    NotificationStoreTest::SetUp();
    pii_ = std::make_unique<service::PiiCodec>(kDataKey);
    orders_ = std::make_unique<service::OrderService>(*store_, *pii_, [this] { return now_; });
    options_.policy = notify::default_policy();
    options_.policy.digest_window_ms = 0;
    options_.max_attempts = 3;
    options_.backoff_base_ms = kMinute;
    worker_ = std::make_unique<service::NotificationService>(
        *store_, *pii_, nullptr, service::NotificationChannels{&wechat_, &sms_, &staff_}, options_,
        [this] { return now_; });
  }
  void create(const std::string& no, const std::string& openid) {
    domain::NewOrder o;
    o.order_no = no;
    o.customer = {"张三", "13800000001", openid};
    o.address = {"上海市", "上海市", "浦东新区", "世纪大道100号"};
    o.items = {{"DJ-1", "三鲜水饺 1kg", "frozen", 1, 3990}};
    o.amount_fen = 3990;
    ASSERT_TRUE(orders_->create(o, actor_).ok());
  }
  void move(const std::string& no, domain::OrderStatus to) {
    ASSERT_TRUE(orders_->change_status(no, to, now_, "", actor_).ok());
  }
  EpochMs now_ = kNoon;
  service::Actor actor_{"apikey:test", "operator", "r", "127.0.0.1"};
  std::unique_ptr<service::PiiCodec> pii_;
  std::unique_ptr<service::OrderService> orders_;
  service::NotificationOptions options_;
  ScriptedSender wechat_, sms_, staff_;
  std::unique_ptr<service::NotificationService> worker_;
};

TEST_F(NotificationWorkerTest, EachAnnouncedChangeIsSentOnceEvenWhenRunAgain) {
  create("CT100", "oCust1");
  move("CT100", domain::OrderStatus::kPaid);
  move("CT100", domain::OrderStatus::kShipped);
  auto pass = worker_->run_once();
  EXPECT_EQ(pass.planned, 1);  // PAID is not announced
  EXPECT_EQ(pass.sent, 1);
  ASSERT_EQ(wechat_.sent.size(), 1u);
  EXPECT_EQ(wechat_.sent[0].recipient, "oCust1");
  EXPECT_EQ(wechat_.sent[0].text, "您的订单已发货");
  EXPECT_EQ(wechat_.sent[0].status, "已发货");
  EXPECT_EQ(worker_->run_once().sent, 0);
  EXPECT_EQ(wechat_.sent.size(), 1u);
  const auto sent =
      store_->list_notifications(where(&store::NotificationFilter::order_no, "CT100"));
  ASSERT_EQ(sent.items.size(), 1u);
  EXPECT_EQ(sent.items[0].state, "sent");
  EXPECT_EQ(sent.items[0].provider_ref, "ref-" + std::to_string(sent.items[0].id));
}

TEST_F(NotificationWorkerTest, AWechatRefusalFallsBackToSmsWithThePhone) {
  create("CT101", "oCust2");
  move("CT101", domain::OrderStatus::kPaid);
  move("CT101", domain::OrderStatus::kShipped);
  wechat_.script.push_back({notify::SendStatus::kRefused, "WeChat quota_spent 43101", "", 0});
  const auto pass = worker_->run_once();
  EXPECT_EQ(pass.fallback, 1);
  EXPECT_EQ(pass.sent, 1);  // the SMS is due at once, in the same pass
  ASSERT_EQ(sms_.sent.size(), 1u);
  EXPECT_EQ(sms_.sent[0].phone, "13800000001");
  EXPECT_EQ(sms_.sent[0].text, "您的订单已发货");
  const auto wechat =
      store_->list_notifications(where(&store::NotificationFilter::channel, "wechat")).items;
  ASSERT_EQ(wechat.size(), 1u);
  EXPECT_EQ(wechat[0].state, "fallback");
  EXPECT_EQ(wechat[0].last_error, "WeChat quota_spent 43101");
  EXPECT_EQ(
      store_->list_notifications(where(&store::NotificationFilter::channel, "sms")).items[0].state,
      "sent");
}

TEST_F(NotificationWorkerTest, RetriesBackOffThenDeadLetterWithTheReason) {
  create("CT102", "");
  move("CT102", domain::OrderStatus::kPaid);
  move("CT102", domain::OrderStatus::kShipped);
  for (int i = 0; i < 3; ++i)
    sms_.script.push_back({notify::SendStatus::kRetry, "SMS provider unreachable", "", 0});
  worker_->run_once();
  auto j = store_->list_notifications({}).items[0];
  EXPECT_EQ(j.state, "pending");
  EXPECT_EQ(j.send_at, now_ + kMinute);
  now_ += kMinute;
  worker_->run_once();
  EXPECT_EQ(store_->get_notification(j.id)->send_at, now_ + 2 * kMinute);
  now_ += 2 * kMinute;
  worker_->run_once();
  j = *store_->get_notification(j.id);
  EXPECT_EQ(j.state, "dead");
  EXPECT_EQ(j.last_error, "gave up after 3 attempts: SMS provider unreachable");
  EXPECT_EQ(sms_.sent.size(), 3u);
}

TEST_F(NotificationWorkerTest, AnUncertainSendIsNeverRepeated) {
  create("CT103", "oCust3");
  move("CT103", domain::OrderStatus::kPaid);
  move("CT103", domain::OrderStatus::kShipped);
  wechat_.script.push_back({notify::SendStatus::kUncertain, "no answer", "", 0});
  worker_->run_once();
  now_ += kHour;
  worker_->run_once();
  EXPECT_EQ(wechat_.sent.size(), 1u);
  EXPECT_TRUE(sms_.sent.empty());
  EXPECT_EQ(store_->list_notifications({}).items[0].state, "uncertain");
}

}  // namespace
}  // namespace coldtrack
