// OrderService + SqliteStore against a real SQLite file in the temp directory.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/demo.h"
#include "domain/order.h"
#include "domain/status.h"
#include "domain/time.h"
#include "domain/validation.h"
#include "eta/eta.h"
#include "service/eta_service.h"
#include "service/items_json.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack {
namespace {

namespace fs = std::filesystem;
using domain::EpochMs;
using domain::NewOrder;
using domain::Order;
using domain::OrderStatus;
using service::Actor;
using service::ErrorCode;
using service::ListQuery;
using service::OrderService;
using service::PiiCodec;
using service::Result;
using store::ArchiveScope;
using store::OrderFilter;
using store::sqlite::SqliteOptions;
using store::sqlite::SqliteStore;
using S = OrderStatus;

constexpr EpochMs kMinute = 60'000;
constexpr EpochMs kHour = 60 * kMinute;
constexpr EpochMs kDay = 24 * kHour;
constexpr EpochMs kT0 = 1'795'583'100'000;  // 2026-11-25T13:05:00+08:00

const std::string kDataKey = "0123456789abcdef0123456789ABCDEF";  // 32 bytes, tests only
const std::string kPhoneA = "13800000001";
const std::string kPhoneB = "13900000002";
const std::string kPhoneC = "15000000003";

const Actor kActor{"apikey:ak_test", "operator", "req-1", "127.0.0.1"};
const Actor kAdmin{"apikey:ak_admin", "admin", "req-2", "10.0.0.2"};

const char* CodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalidArgument:
      return "kInvalidArgument";
    case ErrorCode::kNotFound:
      return "kNotFound";
    case ErrorCode::kConflict:
      return "kConflict";
    case ErrorCode::kPermissionDenied:
      return "kPermissionDenied";
    case ErrorCode::kUnavailable:
      return "kUnavailable";
  }
  return "?";
}

// The value of a successful result; a failed one fails the test with its error.
template <class T>
T Ok(Result<T> r, const std::string& what = "") {
  if (!r.ok()) {
    const auto& e = r.error();
    throw std::runtime_error(what + ": unexpected error " + CodeName(e.code) + " field=" + e.field +
                             " message=" + e.message);
  }
  return std::move(r.value());
}

std::vector<std::string> Nos(const std::vector<Order>& orders) {
  std::vector<std::string> out;
  for (const auto& o : orders) out.push_back(o.data.order_no);
  return out;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

fs::path UniqueDbPath() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "coldtrack_unit_" + std::to_string(::getpid()) + "_" +
                     std::to_string(counter++) + "_" + (info ? info->name() : "x") + ".db";
  return fs::temp_directory_path() / name;
}

// 2 x 3990 + 1 x 1890 = 9870, + 1200 shipping - 500 discount = 10570.
NewOrder MakeOrder(const std::string& no, const std::string& phone = kPhoneA,
                   std::optional<EpochMs> created_at = std::nullopt) {
  NewOrder o;
  o.order_no = no;
  o.customer = {"张三", phone, "oWx_openid-1"};
  o.address = {"上海市", "上海市", "浦东新区", "世纪大道100号3栋502室"};
  o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 2, 3990},
             {"SN-950ML", "鲜牛奶 950ml", "chilled", 1, 1890}};
  o.shipping_fen = 1200;
  o.discount_fen = 500;
  o.amount_fen = 10570;
  o.remark = "请放门口";
  o.created_at = created_at;
  return o;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::warn);  // migrations log at info on every open
    path_ = UniqueDbPath();
    Open();
  }

  void TearDown() override {
    Close();
    spdlog::set_level(log_level_);
    for (const char* suffix : {"", "-wal", "-shm", "-journal", "-users"}) {
      std::error_code ec;
      fs::remove(path_.string() + suffix, ec);
    }
  }

  void Open() {
    store_ = std::make_unique<SqliteStore>(SqliteOptions{path_.string(), false, 5000, 2});
    svc_ = std::make_unique<OrderService>(*store_, pii_, [this] { return now_; });
  }

  void Close() {
    svc_.reset();
    if (store_) store_->close();
    store_.reset();
  }

  Order Create(const std::string& no, const std::string& phone = kPhoneA,
               std::optional<EpochMs> created_at = std::nullopt, const Actor& actor = kActor) {
    auto out = Ok(svc_->create(MakeOrder(no, phone, created_at), actor), "create " + no);
    EXPECT_TRUE(out.created) << no;
    return out.order;
  }

  Order Move(const std::string& no, S to, std::optional<EpochMs> at = std::nullopt,
             const std::string& note = "", const Actor& actor = kActor) {
    return Ok(svc_->change_status(no, to, at, note, actor),
              "change_status " + no + " to " + std::string(domain::to_string(to)));
  }

  Order Ship(const std::string& no, const std::string& carrier, const std::string& waybill,
             const Actor& actor = kActor) {
    return Ok(svc_->add_shipment(no, carrier, waybill, actor), "add_shipment " + no);
  }

  Order Get(const std::string& no) { return Ok(svc_->get(no, false, kActor), "get " + no); }

  // Lists every page (limit `page`) and returns all order numbers in order.
  std::vector<std::string> ListAll(ListQuery q, int page = 100) {
    q.limit = page;
    std::vector<std::string> out;
    for (int guard = 0; guard < 10'000; ++guard) {
      auto list = Ok(svc_->list(q), "list");
      for (const auto& o : list.items) out.push_back(o.data.order_no);
      if (!list.next_cursor) return out;
      q.cursor = list.next_cursor;
    }
    ADD_FAILURE() << "pagination did not terminate";
    return out;
  }

  PiiCodec pii_{kDataKey};
  spdlog::level::level_enum log_level_ = spdlog::level::info;
  EpochMs now_ = kT0;
  fs::path path_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<OrderService> svc_;
};

// ---- create / get -----------------------------------------------------------------------------

TEST_F(StoreTest, CreateAndGetRoundTrip) {
  const EpochMs created = kT0 - 2 * kHour;
  NewOrder in = MakeOrder("RT-1", "+8613812345678", created);
  auto out = Ok(svc_->create(in, kActor));
  EXPECT_TRUE(out.created);
  EXPECT_EQ(out.order.data.order_no, "RT-1");
  EXPECT_EQ(out.order.status, S::kCreated);

  const Order o = Get("RT-1");
  EXPECT_EQ(o.data.order_no, "RT-1");
  EXPECT_EQ(o.data.customer.name, "张三");
  EXPECT_EQ(o.data.customer.phone, "13812345678");  // normalized, decrypted
  EXPECT_EQ(o.data.customer.openid, "oWx_openid-1");
  EXPECT_EQ(o.data.address.province, "上海市");
  EXPECT_EQ(o.data.address.city, "上海市");
  EXPECT_EQ(o.data.address.district, "浦东新区");
  EXPECT_EQ(o.data.address.detail, "世纪大道100号3栋502室");
  ASSERT_EQ(o.data.items.size(), 2u);
  EXPECT_EQ(o.data.items[0].sku, "DJ-SX-1KG");
  EXPECT_EQ(o.data.items[0].name, "三鲜水饺 1kg");
  EXPECT_EQ(o.data.items[0].category, "frozen");
  EXPECT_EQ(o.data.items[0].quantity, 2);
  EXPECT_EQ(o.data.items[0].unit_price_fen, 3990);
  EXPECT_EQ(o.data.items[1].sku, "SN-950ML");
  EXPECT_EQ(o.data.items[1].category, "chilled");
  EXPECT_EQ(o.data.items[1].quantity, 1);
  EXPECT_EQ(o.data.items[1].unit_price_fen, 1890);
  EXPECT_EQ(o.data.amount_fen, 10570);
  EXPECT_EQ(o.data.shipping_fen, 1200);
  EXPECT_EQ(o.data.discount_fen, 500);
  EXPECT_EQ(o.data.remark, "请放门口");
  EXPECT_EQ(o.status, S::kCreated);
  EXPECT_EQ(o.created_at, created);
  EXPECT_EQ(o.updated_at, kT0);
  EXPECT_FALSE(o.archived);
  EXPECT_TRUE(o.shipments.empty());
  ASSERT_EQ(o.history.size(), 1u);
  EXPECT_EQ(o.history[0].status, S::kCreated);
  EXPECT_FALSE(o.history[0].from.has_value());
  EXPECT_EQ(o.history[0].at, created);
  EXPECT_EQ(o.history[0].recorded_at, kT0);
  EXPECT_EQ(o.history[0].actor, "apikey:ak_test");
  EXPECT_EQ(o.history[0].note, "");

  // What the store holds: sealed PII, blind index, clear last four digits.
  auto rec = store_->get_order("RT-1");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->phone_last4, "5678");
  EXPECT_EQ(rec->phone_index, pii_.phone_index("13812345678"));
  EXPECT_EQ(rec->phone_sealed.find("13812345678"), std::string::npos);
  EXPECT_EQ(pii_.open(rec->phone_sealed, "customer.phone"), "13812345678");
  EXPECT_EQ(pii_.open(rec->name_sealed, "customer.name"), "张三");
  EXPECT_EQ(pii_.open(rec->detail_sealed, "address.detail"), "世纪大道100号3栋502室");
  // Sealed under a field label: the phone does not open as a name.
  EXPECT_FALSE(pii_.open(rec->phone_sealed, "customer.name").has_value());
}

TEST_F(StoreTest, CreatedAtDefaultsToNow) {
  const Order o = Create("NOW-1");
  EXPECT_EQ(o.created_at, kT0);
  EXPECT_EQ(Get("NOW-1").created_at, kT0);
}

TEST_F(StoreTest, GeneratedOrderNumberIsValidAndUnique) {
  NewOrder a = MakeOrder("");
  NewOrder b = MakeOrder("");
  auto oa = Ok(svc_->create(a, kActor));
  auto ob = Ok(svc_->create(b, kActor));
  EXPECT_TRUE(domain::is_valid_order_no(oa.order.data.order_no)) << oa.order.data.order_no;
  EXPECT_EQ(oa.order.data.order_no.rfind("CT20261125130500", 0), 0u) << oa.order.data.order_no;
  EXPECT_NE(oa.order.data.order_no, ob.order.data.order_no);
  EXPECT_TRUE(ob.created);
}

TEST_F(StoreTest, InvalidOrderIsRejectedWithField) {
  NewOrder o = MakeOrder("BAD-1");
  o.items[1].quantity = 0;
  auto r = svc_->create(o, kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "items[1].quantity");
  EXPECT_EQ(store_->count_orders(ArchiveScope::kInclude), 0);
}

TEST_F(StoreTest, GetUnknownOrderIsNotFound) {
  auto r = svc_->get("NOPE", false, kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, RawDatabaseFileDoesNotContainPersonalDataInClear) {
  const std::string phone = "13987654321";
  NewOrder o = MakeOrder("PII-1", phone);
  o.customer.name = "欧阳娜娜";
  o.address.detail = "幸福路8号冷库对面";
  Ok(svc_->create(o, kActor));
  Move("PII-1", S::kPaid);
  Ok(svc_->get("PII-1", true, kAdmin));  // reveal: audit row
  Close();

  std::string bytes;
  for (const char* suffix : {"", "-wal", "-journal"}) {
    const fs::path p = path_.string() + suffix;
    if (fs::exists(p)) bytes += ReadFile(p);
  }
  ASSERT_FALSE(bytes.empty());
  // Sanity: the file really holds the order (so the searches below mean something).
  ASSERT_NE(bytes.find("PII-1"), std::string::npos);
  ASSERT_NE(bytes.find("浦东新区"), std::string::npos);  // district is stored in clear
  EXPECT_EQ(bytes.find(phone), std::string::npos) << "phone number stored in clear";
  EXPECT_EQ(bytes.find("8613987654321"), std::string::npos);
  EXPECT_EQ(bytes.find("欧阳娜娜"), std::string::npos) << "name stored in clear";
  EXPECT_EQ(bytes.find("幸福路8号冷库对面"), std::string::npos) << "address stored in clear";
  // What is in clear beside the sealed fields is what every masked view shows anyway.
  EXPECT_NE(bytes.find("欧***"), std::string::npos);
  EXPECT_NE(bytes.find("139****4321"), std::string::npos);
}

TEST_F(StoreTest, DataSurvivesReopen) {
  Create("RE-1");
  Move("RE-1", S::kPaid);
  Close();
  Open();
  const Order o = Get("RE-1");
  EXPECT_EQ(o.status, S::kPaid);
  EXPECT_EQ(o.data.customer.phone, kPhoneA);
  EXPECT_EQ(o.history.size(), 2u);
  EXPECT_GE(store_->schema_version(), 2);
}

// ---- idempotent create ------------------------------------------------------------------------

TEST_F(StoreTest, SameBodyAgainIsNotCreatedTwice) {
  const Order first = Create("IDEM-1");
  now_ += kMinute;  // a retry a minute later
  auto again = Ok(svc_->create(MakeOrder("IDEM-1"), kActor));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.order.data.order_no, "IDEM-1");
  EXPECT_EQ(again.order.created_at, first.created_at);
  EXPECT_EQ(again.order.updated_at, first.updated_at);
  EXPECT_EQ(again.order.history.size(), 1u);
  // The phone is normalized before hashing: "+86..." is the same body.
  auto again86 = Ok(svc_->create(MakeOrder("IDEM-1", "+86" + kPhoneA), kActor));
  EXPECT_FALSE(again86.created);
  EXPECT_EQ(store_->count_orders(ArchiveScope::kInclude), 1);

  store::AuditFilter af;
  af.action = "order.create";
  EXPECT_EQ(store_->list_audit(af).items.size(), 1u) << "a replayed create is not audited again";
}

TEST_F(StoreTest, SameBodyAfterStatusChangeReportsCurrentState) {
  Create("IDEM-2");
  Move("IDEM-2", S::kPaid);
  auto again = Ok(svc_->create(MakeOrder("IDEM-2"), kActor));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.order.status, S::kPaid);
  EXPECT_EQ(again.order.history.size(), 2u);
}

TEST_F(StoreTest, DifferentBodySameOrderNoIsConflict) {
  Create("IDEM-3");
  NewOrder changed = MakeOrder("IDEM-3");
  changed.remark = "改了备注";
  auto r = svc_->create(changed, kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(r.error().current_status.has_value());
  EXPECT_EQ(*r.error().current_status, S::kCreated);

  auto other_phone = svc_->create(MakeOrder("IDEM-3", kPhoneB), kActor);
  ASSERT_FALSE(other_phone.ok());
  EXPECT_EQ(other_phone.error().code, ErrorCode::kConflict);

  auto other_time = svc_->create(MakeOrder("IDEM-3", kPhoneA, kT0 - kHour), kActor);
  ASSERT_FALSE(other_time.ok());
  EXPECT_EQ(other_time.error().code, ErrorCode::kConflict);

  EXPECT_EQ(Get("IDEM-3").data.remark, "请放门口");  // unchanged
  EXPECT_EQ(store_->count_orders(ArchiveScope::kInclude), 1);
}

// ---- status changes ---------------------------------------------------------------------------

TEST_F(StoreTest, TransitionsWriteHistoryInOrder) {
  const EpochMs created = kT0 - kDay;
  Create("ST-1", kPhoneA, created);
  now_ = kT0 + kMinute;
  Move("ST-1", S::kPaid);  // at defaults to now
  now_ = kT0 + 2 * kMinute;
  Move("ST-1", S::kShipped, kT0 + 90'000, "自送", kAdmin);  // reported earlier than recorded
  now_ = kT0 + 3 * kMinute;
  Move("ST-1", S::kInTransit);
  now_ = kT0 + kDay;
  const Order o = Move("ST-1", S::kDelivered, std::nullopt, "已放门卫室");

  EXPECT_EQ(o.status, S::kDelivered);
  EXPECT_EQ(o.updated_at, kT0 + kDay);
  ASSERT_EQ(o.history.size(), 5u);
  const std::vector<S> statuses = {S::kCreated, S::kPaid, S::kShipped, S::kInTransit,
                                   S::kDelivered};
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_EQ(o.history[i].status, statuses[i]) << i;
    if (i == 0) {
      EXPECT_FALSE(o.history[i].from.has_value());
    } else {
      ASSERT_TRUE(o.history[i].from.has_value()) << i;
      EXPECT_EQ(*o.history[i].from, statuses[i - 1]) << i;
    }
  }
  EXPECT_EQ(o.history[0].at, created);
  EXPECT_EQ(o.history[1].at, kT0 + kMinute);
  EXPECT_EQ(o.history[1].recorded_at, kT0 + kMinute);
  EXPECT_EQ(o.history[2].at, kT0 + 90'000);
  EXPECT_EQ(o.history[2].recorded_at, kT0 + 2 * kMinute);
  EXPECT_EQ(o.history[2].actor, "apikey:ak_admin");
  EXPECT_EQ(o.history[2].note, "自送");
  EXPECT_EQ(o.history[3].actor, "apikey:ak_test");
  EXPECT_EQ(o.history[4].at, kT0 + kDay);
  EXPECT_EQ(o.history[4].note, "已放门卫室");

  // get() returns the same history.
  const Order g = Get("ST-1");
  ASSERT_EQ(g.history.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(g.history[i].status, statuses[i]);
}

TEST_F(StoreTest, IllegalTransitionIsConflictWithCurrentStatus) {
  Create("IL-1");
  auto r = svc_->change_status("IL-1", S::kShipped, std::nullopt, "", kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(r.error().current_status.has_value());
  EXPECT_EQ(*r.error().current_status, S::kCreated);

  // The same status again is a conflict too.
  auto same = svc_->change_status("IL-1", S::kCreated, std::nullopt, "", kActor);
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.error().code, ErrorCode::kConflict);

  Move("IL-1", S::kCancelled);
  auto after_terminal = svc_->change_status("IL-1", S::kPaid, std::nullopt, "", kActor);
  ASSERT_FALSE(after_terminal.ok());
  EXPECT_EQ(after_terminal.error().code, ErrorCode::kConflict);
  EXPECT_EQ(after_terminal.error().current_status, S::kCancelled);

  EXPECT_EQ(Get("IL-1").history.size(), 2u);  // failed attempts leave no event
}

TEST_F(StoreTest, EveryTransitionThroughTheServiceFollowsTheTable) {
  // For each status reachable by a known path, try every target once on a fresh order.
  const std::map<S, std::vector<S>> path_to = {
      {S::kCreated, {}},
      {S::kPaid, {S::kPaid}},
      {S::kShipped, {S::kPaid, S::kShipped}},
      {S::kInTransit, {S::kPaid, S::kShipped, S::kInTransit}},
      {S::kDelivered, {S::kPaid, S::kShipped, S::kDelivered}},
      {S::kCompleted, {S::kPaid, S::kShipped, S::kDelivered, S::kCompleted}},
      {S::kCancelled, {S::kCancelled}},
      {S::kRefunding, {S::kPaid, S::kRefunding}},
      {S::kRefunded, {S::kPaid, S::kRefunded}},
      {S::kException, {S::kPaid, S::kException}},
  };
  int n = 0;
  for (const auto& [from, path] : path_to) {
    for (S to : domain::kAllStatuses) {
      const std::string no = "TT-" + std::to_string(n++);
      Create(no);
      for (S step : path) Move(no, step);
      auto r = svc_->change_status(no, to, std::nullopt, "", kActor);
      EXPECT_EQ(r.ok(), domain::can_transition(from, to))
          << domain::to_string(from) << " -> " << domain::to_string(to);
      if (!r.ok()) {
        EXPECT_EQ(r.error().code, ErrorCode::kConflict);
        EXPECT_EQ(r.error().current_status, from);
      } else {
        EXPECT_EQ(r.value().status, to);
      }
    }
  }
}

TEST_F(StoreTest, StatusChangeTimeRules) {
  Create("TM-1", kPhoneA, kT0 - kHour);
  // More than 5 minutes in the future.
  auto future = svc_->change_status("TM-1", S::kPaid, kT0 + 5 * kMinute + 1, "", kActor);
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(future.error().field, "at");
  // Before the order was created.
  auto before = svc_->change_status("TM-1", S::kPaid, kT0 - 2 * kHour, "", kActor);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(before.error().field, "at");
  EXPECT_EQ(Get("TM-1").history.size(), 1u);
  // Exactly at creation is fine.
  // Bad note.
  auto note = svc_->change_status("TM-1", S::kPaid, std::nullopt, "a\nb", kActor);
  ASSERT_FALSE(note.ok());
  EXPECT_EQ(note.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(note.error().field, "note");
  EXPECT_EQ(Move("TM-1", S::kPaid, kT0 - kHour).status, S::kPaid);
  // Within the future slack is fine.
  EXPECT_EQ(Move("TM-1", S::kShipped, kT0 + 5 * kMinute).status, S::kShipped);
}

TEST_F(StoreTest, ChangeStatusOfUnknownOrderIsNotFound) {
  auto r = svc_->change_status("NOPE", S::kPaid, std::nullopt, "", kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

// ---- shipments --------------------------------------------------------------------------------

TEST_F(StoreTest, AddShipmentMovesPaidToShipped) {
  Create("SH-1", kPhoneA, kT0 - kHour);
  Move("SH-1", S::kPaid);
  now_ = kT0 + kHour;
  const Order o = Ship("SH-1", "SF", "SF1234567890");
  EXPECT_EQ(o.status, S::kShipped);
  EXPECT_EQ(o.updated_at, kT0 + kHour);
  ASSERT_EQ(o.shipments.size(), 1u);
  EXPECT_EQ(o.shipments[0].carrier, "SF");
  EXPECT_EQ(o.shipments[0].carrier_name, "顺丰");
  EXPECT_EQ(o.shipments[0].waybill_no, "SF1234567890");
  EXPECT_EQ(o.shipments[0].created_at, kT0 + kHour);
  ASSERT_EQ(o.history.size(), 3u);
  EXPECT_EQ(o.history[2].status, S::kShipped);
  EXPECT_EQ(o.history[2].from, S::kPaid);
  EXPECT_EQ(o.history[2].at, kT0 + kHour);
  EXPECT_EQ(o.history[2].actor, "apikey:ak_test");
  EXPECT_EQ(o.history[2].note, "SF SF1234567890");
}

TEST_F(StoreTest, AddShipmentIsIdempotentForSameCarrierAndWaybill) {
  Create("SH-2");
  Move("SH-2", S::kPaid);
  Ship("SH-2", "SF", "SF1234567890");
  now_ += kHour;
  const Order again = Ship("SH-2", "SF", "SF1234567890");
  EXPECT_EQ(again.status, S::kShipped);
  EXPECT_EQ(again.shipments.size(), 1u);
  EXPECT_EQ(again.history.size(), 3u);
  EXPECT_EQ(again.updated_at, kT0);  // nothing changed

  // A second parcel: added, status stays SHIPPED, no new status event.
  const Order two = Ship("SH-2", "SF", "SF1234567891");
  EXPECT_EQ(two.status, S::kShipped);
  ASSERT_EQ(two.shipments.size(), 2u);
  EXPECT_EQ(two.shipments[0].waybill_no, "SF1234567890");
  EXPECT_EQ(two.shipments[1].waybill_no, "SF1234567891");
  EXPECT_EQ(two.history.size(), 3u);
  EXPECT_EQ(two.updated_at, kT0 + kHour);
  // Same waybill with another carrier is another parcel.
  EXPECT_EQ(Ship("SH-2", "JD", "SF1234567890").shipments.size(), 3u);
}

TEST_F(StoreTest, AddShipmentRejectsUnknownCarrier) {
  Create("SH-3");
  Move("SH-3", S::kPaid);
  auto r = svc_->add_shipment("SH-3", "NOT_A_CARRIER", "SF1234567890", kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "carrier");
  auto lower = svc_->add_shipment("SH-3", "sf", "SF1234567890", kActor);
  ASSERT_FALSE(lower.ok());
  EXPECT_EQ(lower.error().field, "carrier");
  EXPECT_EQ(Get("SH-3").status, S::kPaid);
  EXPECT_TRUE(Get("SH-3").shipments.empty());
}

TEST_F(StoreTest, AddShipmentRejectsBadWaybill) {
  Create("SH-4");
  Move("SH-4", S::kPaid);
  for (const char* bad : {"", "SF1", "SF 1234", "SF_1234", "顺丰12345"}) {
    auto r = svc_->add_shipment("SH-4", "SF", bad, kActor);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.error().field, "waybill_no") << bad;
  }
}

TEST_F(StoreTest, AddShipmentToCreatedOrderIsConflict) {
  Create("SH-5");
  auto r = svc_->add_shipment("SH-5", "SF", "SF1234567890", kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().current_status, S::kCreated);
  EXPECT_TRUE(Get("SH-5").shipments.empty());
}

TEST_F(StoreTest, AddShipmentToFinishedOrderIsConflict) {
  Create("SH-6");
  Move("SH-6", S::kPaid);
  Move("SH-6", S::kRefunded);
  auto r = svc_->add_shipment("SH-6", "SF", "SF1234567890", kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().current_status, S::kRefunded);
}

TEST_F(StoreTest, AddShipmentToExceptionOrderReships) {
  Create("SH-7");
  Move("SH-7", S::kPaid);
  Ship("SH-7", "SF", "SF0000000001");
  Move("SH-7", S::kException, std::nullopt, "包裹丢失");
  const Order o = Ship("SH-7", "SF_COLD", "SF0000000002");
  EXPECT_EQ(o.status, S::kShipped);
  EXPECT_EQ(o.shipments.size(), 2u);
  EXPECT_EQ(o.shipments[1].carrier_name, "顺丰冷运");
  EXPECT_EQ(o.history.back().from, S::kException);
}

TEST_F(StoreTest, AddShipmentToUnknownOrderIsNotFound) {
  auto r = svc_->add_shipment("NOPE", "SF", "SF1234567890", kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

// ---- lists ------------------------------------------------------------------------------------

class StoreListTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    Create("L1", kPhoneA, kT0 - 5 * kDay);  // CREATED
    Create("L2", kPhoneB, kT0 - 4 * kDay);
    Move("L2", S::kPaid);
    Create("L3", kPhoneA, kT0 - 3 * kDay);
    Move("L3", S::kPaid);
    Ship("L3", "SF", "SF0000000003");
    Create("L4", kPhoneB, kT0 - 2 * kDay);
    Move("L4", S::kPaid);
    Ship("L4", "JD", "JDV000000004");
    Create("L5", kPhoneA, kT0 - kDay);
    Move("L5", S::kPaid);
    Ship("L5", "SF", "SF0000000005");
    Create("L6", kPhoneC, kT0 - 12 * kHour);
    Move("L6", S::kPaid);
  }

  std::vector<std::string> List(ListQuery q) { return Nos(Ok(svc_->list(q), "list").items); }
};

using V = std::vector<std::string>;

TEST_F(StoreListTest, NoFilterNewestFirst) {
  EXPECT_EQ(List({}), (V{"L6", "L5", "L4", "L3", "L2", "L1"}));
}

TEST_F(StoreListTest, ByPhone) {
  ListQuery q;
  q.phone = kPhoneA;
  EXPECT_EQ(List(q), (V{"L5", "L3", "L1"}));
  q.phone = "+86" + kPhoneB;
  EXPECT_EQ(List(q), (V{"L4", "L2"}));
  q.phone = "18600000000";
  EXPECT_EQ(List(q), V{});
}

TEST_F(StoreListTest, ByStatus) {
  ListQuery q;
  q.statuses = {S::kShipped};
  EXPECT_EQ(List(q), (V{"L5", "L4", "L3"}));
  q.statuses = {S::kPaid};
  EXPECT_EQ(List(q), (V{"L6", "L2"}));
  q.statuses = {S::kCreated};
  EXPECT_EQ(List(q), (V{"L1"}));
  q.statuses = {S::kRefunded};
  EXPECT_EQ(List(q), V{});
  // Any of several (the mini-program's 运输中 tab is SHIPPED or IN_TRANSIT), newest first.
  q.statuses = {S::kCreated, S::kShipped};
  EXPECT_EQ(List(q), (V{"L5", "L4", "L3", "L1"}));
  q.statuses = {S::kRefunded, S::kPaid};
  q.limit = 1;
  EXPECT_EQ(List(q), (V{"L6"}));
}

TEST_F(StoreListTest, OldestFirstPagesForwardThroughTheCursor) {
  ListQuery q;
  q.oldest_first = true;
  EXPECT_EQ(List(q), (V{"L1", "L2", "L3", "L4", "L5", "L6"}));
  // Page by page, the cursor continues in the same direction and nothing repeats.
  q.limit = 4;
  auto first = Ok(svc_->list(q), "page 1");
  EXPECT_EQ(Nos(first.items), (V{"L1", "L2", "L3", "L4"}));
  ASSERT_TRUE(first.next_cursor);
  q.cursor = first.next_cursor;
  auto second = Ok(svc_->list(q), "page 2");
  EXPECT_EQ(Nos(second.items), (V{"L5", "L6"}));
  EXPECT_FALSE(second.next_cursor);
  // With other filters too.
  ListQuery shipped;
  shipped.statuses = {S::kShipped};
  shipped.oldest_first = true;
  EXPECT_EQ(List(shipped), (V{"L3", "L4", "L5"}));
}

TEST_F(StoreListTest, ByCarrier) {
  ListQuery q;
  q.carrier = "SF";
  EXPECT_EQ(List(q), (V{"L5", "L3"}));
  q.carrier = "JD";
  EXPECT_EQ(List(q), (V{"L4"}));
  q.carrier = "EMS";
  EXPECT_EQ(List(q), V{});
}

TEST_F(StoreListTest, ByWaybill) {
  ListQuery q;
  q.waybill_no = "SF0000000003";
  EXPECT_EQ(List(q), (V{"L3"}));
  q.waybill_no = "JDV000000004";
  EXPECT_EQ(List(q), (V{"L4"}));
  q.waybill_no = "SF9999999999";
  EXPECT_EQ(List(q), V{});
}

TEST_F(StoreListTest, ByOrderNo) {
  ListQuery q;
  q.order_no = "L2";
  EXPECT_EQ(List(q), (V{"L2"}));
  q.order_no = "L9";
  EXPECT_EQ(List(q), V{});
}

TEST_F(StoreListTest, ByDateRangeFromInclusiveToExclusive) {
  ListQuery q;
  q.from = kT0 - 3 * kDay;
  q.to = kT0 - kDay;
  EXPECT_EQ(List(q), (V{"L4", "L3"}));
  q.from = kT0 - 3 * kDay + 1;
  EXPECT_EQ(List(q), (V{"L4"}));
  q.to = kT0 - kDay + 1;
  EXPECT_EQ(List(q), (V{"L5", "L4"}));
  ListQuery only_from;
  only_from.from = kT0 - kDay;
  EXPECT_EQ(List(only_from), (V{"L6", "L5"}));
  ListQuery only_to;
  only_to.to = kT0 - 4 * kDay;
  EXPECT_EQ(List(only_to), (V{"L1"}));
}

TEST_F(StoreListTest, CombinedFilters) {
  ListQuery q;
  q.phone = kPhoneA;
  q.from = kT0 - 3 * kDay;
  q.to = kT0;
  EXPECT_EQ(List(q), (V{"L5", "L3"}));

  ListQuery st;
  st.statuses = {S::kShipped};
  st.carrier = "SF";
  EXPECT_EQ(List(st), (V{"L5", "L3"}));

  ListQuery pc;
  pc.phone = kPhoneB;
  pc.carrier = "JD";
  EXPECT_EQ(List(pc), (V{"L4"}));
  pc.carrier = "SF";
  EXPECT_EQ(List(pc), V{});

  ListQuery sd;
  sd.statuses = {S::kPaid};
  sd.from = kT0 - kDay;
  EXPECT_EQ(List(sd), (V{"L6"}));

  ListQuery cd;
  cd.carrier = "SF";
  cd.to = kT0 - 2 * kDay;
  EXPECT_EQ(List(cd), (V{"L3"}));

  ListQuery wp;
  wp.waybill_no = "SF0000000005";
  wp.phone = kPhoneB;
  EXPECT_EQ(List(wp), V{});
}

TEST_F(StoreListTest, ListItemsCarryShipmentsAndDecryptedFields) {
  ListQuery q;
  q.carrier = "SF";
  auto list = Ok(svc_->list(q));
  ASSERT_EQ(list.items.size(), 2u);
  const Order& l5 = list.items[0];
  EXPECT_EQ(l5.data.customer.phone, kPhoneA);
  EXPECT_EQ(l5.data.customer.name, "张三");
  ASSERT_EQ(l5.shipments.size(), 1u);
  EXPECT_EQ(l5.shipments[0].waybill_no, "SF0000000005");
  EXPECT_EQ(l5.shipments[0].carrier_name, "顺丰");
  EXPECT_FALSE(list.next_cursor.has_value());
}

// Masked lists read a summary: the stored masked forms (no ciphertext opened) and the items as
// stored text. Rows written before the masked forms existed are opened and masked instead.
TEST_F(StoreListTest, MaskedListsReadSummaries) {
  ListQuery q;
  q.carrier = "SF";
  q.masked = true;
  auto list = Ok(svc_->list(q));
  ASSERT_EQ(list.items.size(), 2u);
  const Order& l5 = list.items[0];
  EXPECT_TRUE(l5.pii_masked);
  EXPECT_EQ(l5.data.customer.name, "张*");
  EXPECT_EQ(l5.data.customer.phone, kPhoneA.substr(0, 3) + "****" + kPhoneA.substr(7));
  EXPECT_TRUE(l5.data.address.detail.empty());
  EXPECT_TRUE(l5.data.items.empty());
  const auto full = Get("L5");
  EXPECT_EQ(service::parse_items_json(l5.items_json).size(), full.data.items.size());
  ASSERT_EQ(l5.shipments.size(), 1u);

  // An older row: no masked forms stored.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.string().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE orders SET name_masked = '', phone_masked = '' WHERE "
                         "order_no = 'L5'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto again = Ok(svc_->list(q));
  EXPECT_FALSE(again.items[0].pii_masked);
  EXPECT_EQ(again.items[0].data.customer.name, "张三");  // opened; the writer masks it
  EXPECT_TRUE(again.items[1].pii_masked);
}

TEST_F(StoreListTest, RejectsBadPhoneAndCursor) {
  ListQuery q;
  q.phone = "12345";
  auto r = svc_->list(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "phone");

  ListQuery c;
  c.cursor = "not a cursor!";
  auto rc = svc_->list(c);
  ASSERT_FALSE(rc.ok());
  EXPECT_EQ(rc.error().field, "cursor");
  c.cursor = service::encode_cursor({kT0, 5}) + "x";
  EXPECT_FALSE(svc_->list(c).ok());
}

TEST(StoreCursor, EncodeDecodeRoundTrip) {
  for (store::OrderCursor c : {store::OrderCursor{0, 0}, store::OrderCursor{kT0, 123},
                               store::OrderCursor{-1, 9'223'372'036'854'775'807}}) {
    auto back = service::decode_cursor(service::encode_cursor(c));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->created_at, c.created_at);
    EXPECT_EQ(back->id, c.id);
  }
  EXPECT_FALSE(service::decode_cursor(""));
  EXPECT_FALSE(service::decode_cursor("!!!"));
}

// ---- pagination -------------------------------------------------------------------------------

TEST_F(StoreTest, CursorPaginationVisitsEachOrderOnce) {
  // 25 orders; groups of three share a created_at, so ties are broken by id.
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    const std::string no = "PG-" + std::to_string(i);
    Create(no, kPhoneA, kT0 - kDay + (i / 3) * kMinute);
  }
  for (int i = 24; i >= 0; --i) expected.push_back("PG-" + std::to_string(i));

  ListQuery q;
  q.limit = 10;
  std::vector<std::size_t> sizes;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto list = Ok(svc_->list(q));
    sizes.push_back(list.items.size());
    for (const auto& o : list.items) seen.push_back(o.data.order_no);
    if (!list.next_cursor) break;
    q.cursor = list.next_cursor;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 5}));
  EXPECT_EQ(seen, expected);
  // Other page sizes give the same sequence.
  for (int limit : {1, 3, 7, 24, 25, 26, 100}) {
    EXPECT_EQ(ListAll({}, limit), expected) << "limit " << limit;
  }
}

TEST_F(StoreTest, ExactMultipleOfLimitHasNoEmptyTrailingPage) {
  for (int i = 0; i < 20; ++i) Create("EX-" + std::to_string(i), kPhoneA, kT0 - kDay + i);
  ListQuery q;
  q.limit = 10;
  auto p1 = Ok(svc_->list(q));
  ASSERT_EQ(p1.items.size(), 10u);
  ASSERT_TRUE(p1.next_cursor.has_value());
  q.cursor = p1.next_cursor;
  auto p2 = Ok(svc_->list(q));
  EXPECT_EQ(p2.items.size(), 10u);
  EXPECT_FALSE(p2.next_cursor.has_value());
}

TEST_F(StoreTest, PaginationIsStableWhenNewerOrdersArrive) {
  std::set<std::string> original;
  for (int i = 0; i < 25; ++i) {
    const std::string no = "ST-" + std::to_string(i);
    Create(no, kPhoneA, kT0 - kDay + i * kMinute);
    original.insert(no);
  }
  ListQuery q;
  q.limit = 10;
  std::vector<std::string> seen;
  int inserted = 0;
  for (int page = 0; page < 10; ++page) {
    auto list = Ok(svc_->list(q));
    for (const auto& o : list.items) seen.push_back(o.data.order_no);
    // Between page fetches, new orders arrive (newer than everything listed so far).
    for (int k = 0; k < 4; ++k) {
      now_ += kMinute;
      Create("NEW-" + std::to_string(inserted++), kPhoneA);
    }
    if (!list.next_cursor) break;
    q.cursor = list.next_cursor;
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), original) << "duplicates or skips";
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], "ST-" + std::to_string(24 - i)) << i;
  }
  EXPECT_GT(inserted, 0);
  EXPECT_EQ(store_->count_orders(ArchiveScope::kExclude), 25 + inserted);
}

TEST_F(StoreTest, PaginationWithFiltersAndCursor) {
  for (int i = 0; i < 12; ++i) {
    const std::string no = "PF-" + std::to_string(i);
    Create(no, i % 2 ? kPhoneA : kPhoneB, kT0 - kDay + i * kMinute);
    Move(no, S::kPaid);
    if (i % 3 == 0) Ship(no, "SF", "SF00000000" + std::to_string(10 + i));
  }
  ListQuery phone;
  phone.phone = kPhoneA;
  EXPECT_EQ(ListAll(phone, 2), (V{"PF-11", "PF-9", "PF-7", "PF-5", "PF-3", "PF-1"}));
  ListQuery status;
  status.statuses = {S::kShipped};
  EXPECT_EQ(ListAll(status, 1), (V{"PF-9", "PF-6", "PF-3", "PF-0"}));
  ListQuery carrier;
  carrier.carrier = "SF";
  EXPECT_EQ(ListAll(carrier, 3), (V{"PF-9", "PF-6", "PF-3", "PF-0"}));
  ListQuery range;
  range.from = kT0 - kDay + 2 * kMinute;
  range.to = kT0 - kDay + 9 * kMinute;
  EXPECT_EQ(ListAll(range, 4), (V{"PF-8", "PF-7", "PF-6", "PF-5", "PF-4", "PF-3", "PF-2"}));
}

TEST_F(StoreTest, CarrierListPaginatesOrdersWithSeveralParcelsOfThatCarrier) {
  // Three SF orders; the newest has two SF parcels. Driving the list from the shipments index
  // yields that order twice: the page must still be full and report that more follow.
  for (int i = 1; i <= 3; ++i) {
    const std::string no = "MP-" + std::to_string(i);
    Create(no, kPhoneA, kT0 - kDay + i * kMinute);
    Move(no, S::kPaid);
    Ship(no, "SF", "SF000000000" + std::to_string(i));
  }
  Ship("MP-3", "SF", "SF0000000099");  // second parcel, same carrier

  ListQuery q;
  q.carrier = "SF";
  q.limit = 2;
  auto p1 = Ok(svc_->list(q));
  EXPECT_EQ(Nos(p1.items), (V{"MP-3", "MP-2"}));
  EXPECT_TRUE(p1.next_cursor.has_value()) << "MP-1 is never listed: the page ends early";
  if (p1.next_cursor) {
    q.cursor = p1.next_cursor;
    EXPECT_EQ(Nos(Ok(svc_->list(q)).items), (V{"MP-1"}));
  }
  ASSERT_EQ(p1.items.size(), 2u);
  EXPECT_EQ(p1.items[0].shipments.size(), 2u);

  ListQuery one;
  one.carrier = "SF";
  EXPECT_EQ(ListAll(one, 1), (V{"MP-3", "MP-2", "MP-1"}));
  EXPECT_EQ(ListAll(one, 100), (V{"MP-3", "MP-2", "MP-1"}));
}

// ---- batch_get --------------------------------------------------------------------------------

TEST_F(StoreTest, BatchGetReportsFoundAndNotFoundInRequestOrder) {
  Create("B1");
  Create("B2");
  now_ += kMinute;
  Move("B2", S::kPaid);
  Create("B3");
  auto r = Ok(svc_->batch_get({"B3", "NOPE-1", "B1", "NOPE-2", "B2"}));
  ASSERT_EQ(r.found.size(), 3u);
  EXPECT_EQ(r.found[0].order_no, "B3");
  EXPECT_EQ(r.found[1].order_no, "B1");
  EXPECT_EQ(r.found[2].order_no, "B2");
  EXPECT_EQ(r.found[0].status, S::kCreated);
  EXPECT_EQ(r.found[2].status, S::kPaid);
  EXPECT_EQ(r.found[2].updated_at, kT0 + kMinute);
  EXPECT_EQ(r.found[1].updated_at, kT0);
  for (const auto& f : r.found) EXPECT_FALSE(f.archived);
  EXPECT_EQ(r.not_found, (V{"NOPE-1", "NOPE-2"}));

  auto empty = Ok(svc_->batch_get({}));
  EXPECT_TRUE(empty.found.empty());
  EXPECT_TRUE(empty.not_found.empty());
}

// ---- archive ----------------------------------------------------------------------------------

class StoreArchiveTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // A: delivered at T0 (finished). B: cancelled at T0 (finished). C: paid (open).
    // D: delivered 20 days later. E: delivered at T0, then a refund was requested (open again).
    Create("A", kPhoneA, kT0 - 5 * kDay);
    Move("A", S::kPaid, kT0 - 5 * kDay);
    Ship("A", "SF", "SF0000000001");
    Move("A", S::kDelivered, kT0);
    Create("B", kPhoneB, kT0 - 4 * kDay);
    Move("B", S::kCancelled, kT0);
    Create("C", kPhoneA, kT0 - 3 * kDay);
    Move("C", S::kPaid);
    Create("E", kPhoneA, kT0 - 2 * kDay);
    Move("E", S::kPaid);
    Ship("E", "JD", "JDV000000005");
    Move("E", S::kDelivered, kT0);
    now_ = kT0 + kDay;
    Move("E", S::kRefunding);
    now_ = kT0 + 20 * kDay;
    Create("D", kPhoneB, kT0 + 19 * kDay);
    Move("D", S::kPaid);
    Ship("D", "SF", "SF0000000004");
    Move("D", S::kDelivered);
    now_ = kT0 + 31 * kDay;
  }
};

TEST_F(StoreArchiveTest, MovesOrdersFinishedMoreThanNDaysAgo) {
  ASSERT_EQ(store_->count_orders(ArchiveScope::kExclude), 5);
  EXPECT_EQ(svc_->archive(30, 100), 2);  // A and B
  EXPECT_EQ(store_->count_orders(ArchiveScope::kExclude), 3);
  EXPECT_EQ(store_->count_orders(ArchiveScope::kOnly), 2);
  EXPECT_EQ(store_->count_orders(ArchiveScope::kInclude), 5);
  EXPECT_EQ(svc_->archive(30, 100), 0);  // nothing left
  // D finished 11 days before now: stays until after_days 10.
  EXPECT_EQ(svc_->archive(12, 100), 0);
  EXPECT_EQ(svc_->archive(10, 100), 1);
  EXPECT_EQ(store_->count_orders(ArchiveScope::kOnly), 3);
  // E is REFUNDING (not finished), C is PAID: never archived.
  EXPECT_EQ(svc_->archive(0, 100), 0);
  EXPECT_EQ(store_->count_orders(ArchiveScope::kExclude), 2);
}

TEST_F(StoreArchiveTest, CutoffIsExclusive) {
  // A and B finished exactly at T0; the cutoff is now - after_days.
  now_ = kT0 + 30 * kDay;
  EXPECT_EQ(svc_->archive(30, 100), 0);
  now_ = kT0 + 30 * kDay + 1;
  EXPECT_EQ(svc_->archive(30, 100), 2);
}

TEST_F(StoreArchiveTest, SmallBatchesMoveEverything) {
  EXPECT_EQ(svc_->archive(10, 1), 3);  // A, B, D one at a time
  EXPECT_EQ(store_->count_orders(ArchiveScope::kOnly), 3);
}

TEST_F(StoreArchiveTest, ArchivedOrdersAreStillFoundWithHistoryAndShipments) {
  ASSERT_EQ(svc_->archive(30, 100), 2);
  const Order a = Get("A");
  EXPECT_TRUE(a.archived);
  EXPECT_EQ(a.status, S::kDelivered);
  EXPECT_EQ(a.data.customer.phone, kPhoneA);
  ASSERT_EQ(a.history.size(), 4u);
  EXPECT_EQ(a.history[3].status, S::kDelivered);
  ASSERT_EQ(a.shipments.size(), 1u);
  EXPECT_EQ(a.shipments[0].waybill_no, "SF0000000001");
  EXPECT_EQ(a.shipments[0].carrier_name, "顺丰");
  EXPECT_FALSE(Get("C").archived);

  auto batch = Ok(svc_->batch_get({"A", "C", "B"}));
  ASSERT_EQ(batch.found.size(), 3u);
  EXPECT_TRUE(batch.found[0].archived);
  EXPECT_FALSE(batch.found[1].archived);
  EXPECT_TRUE(batch.found[2].archived);
  EXPECT_EQ(batch.found[2].status, S::kCancelled);

  auto tracked = svc_->track("A", kPhoneA.substr(7));
  ASSERT_TRUE(tracked.has_value());
  EXPECT_TRUE(tracked->archived);
}

TEST_F(StoreArchiveTest, ArchivedRowsKeepTheirMaskedForms) {
  ASSERT_EQ(svc_->archive(30, 100), 2);
  ListQuery q;
  q.archived = ArchiveScope::kOnly;
  q.masked = true;
  q.limit = 10;
  auto list = Ok(svc_->list(q));
  ASSERT_EQ(list.items.size(), 2u);
  for (const auto& o : list.items) {
    EXPECT_TRUE(o.archived);
    EXPECT_TRUE(o.pii_masked) << o.data.order_no;
    EXPECT_EQ(o.data.customer.phone.substr(3, 4), "****");
  }
  EXPECT_EQ(Get("A").data.customer.phone, kPhoneA);  // the sealed form moved too
}

// Orders from before migration 16 (no masked forms) get them from fill_masked_forms, live and
// archived; rows sealed with another key are left as they are.
TEST_F(StoreArchiveTest, OlderRowsGetTheirMaskedForms) {
  ASSERT_EQ(svc_->archive(30, 100), 2);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.string().c_str(), &db), SQLITE_OK);
  auto exec = [db](const char* sql) {
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  };
  // As if migration 16 had run over these rows: no masked forms, and the backlog up to them.
  exec("UPDATE orders SET name_masked = '', phone_masked = ''");
  exec("UPDATE orders_archive SET name_masked = '', phone_masked = ''");
  exec(
      "UPDATE masked_forms_backlog SET next_id = 0, max_id = (SELECT MAX(id) FROM orders) WHERE "
      "tbl = 'orders'");
  exec(
      "UPDATE masked_forms_backlog SET next_id = 0, max_id = (SELECT MAX(id) FROM "
      "orders_archive) WHERE tbl = 'orders_archive'");
  exec("UPDATE orders SET name_sealed = X'00' WHERE order_no = 'E'");  // does not open
  auto count = [db](const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    sqlite3_step(st);
    const int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
  };
  auto masked_count = [&count](const std::string& table) {
    return count("SELECT COUNT(*) FROM " + table + " WHERE name_masked <> ''");
  };
  EXPECT_EQ(svc_->fill_masked_forms(2, [] { return true; }), 0);  // stopped at once
  EXPECT_EQ(masked_count("orders"), 0);

  EXPECT_EQ(svc_->fill_masked_forms(2, [] { return false; }), 4);  // C, D; A, B (not E)
  EXPECT_EQ(masked_count("orders"), 2);
  EXPECT_EQ(masked_count("orders_archive"), 2);
  // The backlog is done: the next start reads nothing (E, which does not open, is not retried).
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM masked_forms_backlog WHERE next_id = max_id AND max_id > 0"), 2);
  EXPECT_EQ(svc_->fill_masked_forms(2, [] { return false; }), 0);
  sqlite3_close(db);

  ListQuery q;
  q.archived = ArchiveScope::kInclude;
  q.masked = true;
  q.limit = 10;
  auto list = Ok(svc_->list(q));
  ASSERT_EQ(list.items.size(), 5u);
  for (const auto& o : list.items) {
    EXPECT_EQ(o.pii_masked, o.data.order_no != "E") << o.data.order_no;
    if (o.data.order_no != "E") EXPECT_EQ(o.data.customer.name, "张*") << o.data.order_no;
  }
}

TEST_F(StoreArchiveTest, ListScopes) {
  ASSERT_EQ(svc_->archive(30, 100), 2);
  ListQuery q;
  q.archived = ArchiveScope::kExclude;
  EXPECT_EQ(ListAll(q), (V{"D", "E", "C"}));
  q.archived = ArchiveScope::kOnly;
  EXPECT_EQ(ListAll(q), (V{"B", "A"}));
  q.archived = ArchiveScope::kInclude;
  EXPECT_EQ(ListAll(q), (V{"D", "E", "C", "B", "A"}));
  // Merged pages across both tables.
  EXPECT_EQ(ListAll(q, 1), (V{"D", "E", "C", "B", "A"}));
  EXPECT_EQ(ListAll(q, 2), (V{"D", "E", "C", "B", "A"}));

  auto page = Ok(svc_->list(q));
  ASSERT_EQ(page.items.size(), 5u);
  EXPECT_FALSE(page.items[0].archived);
  EXPECT_TRUE(page.items[4].archived);
  ASSERT_EQ(page.items[4].shipments.size(), 1u);  // archived shipments are loaded too
  EXPECT_EQ(page.items[4].shipments[0].waybill_no, "SF0000000001");

  // Filters apply to the archive too.
  ListQuery phone;
  phone.phone = kPhoneA;
  phone.archived = ArchiveScope::kInclude;
  EXPECT_EQ(ListAll(phone), (V{"E", "C", "A"}));
  phone.archived = ArchiveScope::kOnly;
  EXPECT_EQ(ListAll(phone), (V{"A"}));
  ListQuery carrier;
  carrier.carrier = "SF";
  carrier.archived = ArchiveScope::kInclude;
  EXPECT_EQ(ListAll(carrier), (V{"D", "A"}));
  ListQuery waybill;
  waybill.waybill_no = "SF0000000001";
  waybill.archived = ArchiveScope::kOnly;
  EXPECT_EQ(ListAll(waybill), (V{"A"}));
  waybill.archived = ArchiveScope::kExclude;
  EXPECT_EQ(ListAll(waybill), V{});
}

TEST_F(StoreArchiveTest, ArchivedOrdersNoLongerChange) {
  ASSERT_EQ(svc_->archive(30, 100), 2);
  auto r = svc_->change_status("A", S::kCompleted, std::nullopt, "", kActor);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().current_status, S::kDelivered);
  auto sh = svc_->add_shipment("A", "SF", "SF0000000077", kActor);
  ASSERT_FALSE(sh.ok());
  EXPECT_EQ(sh.error().code, ErrorCode::kConflict);
  // Creating it again with the same body is recognised; with another body it conflicts.
  auto again = svc_->create(MakeOrder("A", kPhoneA, kT0 - 5 * kDay), kActor);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value().created);
  EXPECT_TRUE(again.value().order.archived);
  auto other = svc_->create(MakeOrder("A", kPhoneB, kT0 - 5 * kDay), kActor);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Get("A").history.size(), 4u);
}

TEST_F(StoreArchiveTest, ArchiverWritesOneAuditRow) {
  ASSERT_EQ(svc_->archive(30, 1), 2);
  store::AuditFilter f;
  f.action = "order.archive";
  auto page = store_->list_audit(f);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].actor, "system:archiver");
  EXPECT_EQ(page.items[0].detail, R"({"moved":2})");
  EXPECT_EQ(page.items[0].at, now_);
  ASSERT_EQ(svc_->archive(30, 1), 0);
  EXPECT_EQ(store_->list_audit(f).items.size(), 1u);  // no row when nothing moved
}

TEST_F(StoreTest, ArchiveAgainAfterNewOrdersReuseFreedIds) {
  // The newest order is archived; SQLite hands out max(id)+1 for the next insert, so the next
  // order can get the archived order's id unless ids are kept unique across both tables.
  Create("R1", kPhoneA, kT0 - 2 * kDay);
  Create("R2", kPhoneA, kT0 - kDay);
  Move("R2", S::kCancelled);
  now_ = kT0 + 31 * kDay;
  ASSERT_EQ(svc_->archive(30, 100), 1);

  Create("R3", kPhoneA);
  Move("R3", S::kCancelled);
  const auto r2 = store_->get_order("R2");
  const auto r3 = store_->get_order("R3");
  ASSERT_TRUE(r2 && r3);
  EXPECT_NE(r2->id, r3->id) << "live and archived orders share an id (cursors, archive PK)";

  now_ = kT0 + 62 * kDay;
  int moved = -1;
  EXPECT_NO_THROW(moved = svc_->archive(30, 100));
  EXPECT_EQ(moved, 1);
  EXPECT_EQ(store_->count_orders(ArchiveScope::kOnly), 2);
  EXPECT_EQ(store_->count_orders(ArchiveScope::kExclude), 1);
  const Order o3 = Get("R3");
  EXPECT_TRUE(o3.archived);
  EXPECT_EQ(o3.history.size(), 2u);
  const Order o2 = Get("R2");
  EXPECT_EQ(o2.history.size(), 2u);
}

TEST_F(StoreTest, ArchiveAgainAfterEventIdsWereReused) {
  // Order ids do not collide here (the archived order is not the newest), but its last event
  // was the newest event: the next event gets the same id as an archived event.
  Create("E1", kPhoneA, kT0 - 2 * kDay);  // order 1, event 1
  Create("E2", kPhoneA, kT0 - kDay);      // order 2, event 2
  Move("E1", S::kPaid);                   // event 3
  Ship("E1", "SF", "SF0000000001");       // event 4, shipment 1
  Move("E1", S::kDelivered);              // event 5
  now_ = kT0 + 31 * kDay;
  ASSERT_EQ(svc_->archive(30, 100), 1);

  Move("E2", S::kPaid);              // event id 3 again unless ids stay unique
  Ship("E2", "SF", "SF0000000002");  // shipment id 1 again unless ids stay unique
  Move("E2", S::kDelivered);
  now_ = kT0 + 62 * kDay;
  int moved = -1;
  EXPECT_NO_THROW(moved = svc_->archive(30, 100));
  EXPECT_EQ(moved, 1);
  EXPECT_EQ(store_->count_orders(ArchiveScope::kOnly), 2);
  const Order e1 = Get("E1");
  const Order e2 = Get("E2");
  EXPECT_EQ(e1.history.size(), 4u);
  EXPECT_EQ(e2.history.size(), 4u);
  EXPECT_EQ(e2.shipments.size(), 1u);
}

// ---- public tracking --------------------------------------------------------------------------

TEST_F(StoreTest, TrackNeedsTheRightLastFourDigits) {
  Create("TR-1", "13812345678");
  auto ok = svc_->track("TR-1", "5678");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->data.order_no, "TR-1");
  EXPECT_EQ(ok->status, S::kCreated);
  EXPECT_FALSE(svc_->track("TR-1", "5679").has_value());
  EXPECT_FALSE(svc_->track("TR-1", "").has_value());
  EXPECT_FALSE(svc_->track("TR-1", "678").has_value());
  EXPECT_FALSE(svc_->track("TR-1", "45678").has_value());
  EXPECT_FALSE(svc_->track("TR-1", "13812345678").has_value());
  EXPECT_FALSE(svc_->track("NOPE", "5678").has_value());
}

// ---- audit ------------------------------------------------------------------------------------

TEST_F(StoreTest, AuditRowsForCreateStatusShipmentAndReveal) {
  Create("AU-1", kPhoneA, std::nullopt, kActor);
  now_ += kMinute;
  Move("AU-1", S::kPaid, std::nullopt, "", kAdmin);
  now_ += kMinute;
  Ship("AU-1", "SF", "SF1234567890", kActor);
  now_ += kMinute;
  Ok(svc_->get("AU-1", false, kAdmin));  // no reveal: no row
  Ok(svc_->get("AU-1", true, kAdmin));
  // Failed operations leave no row.
  EXPECT_FALSE(svc_->change_status("AU-1", S::kCreated, std::nullopt, "", kAdmin).ok());
  EXPECT_FALSE(svc_->add_shipment("AU-1", "XX", "SF1234567890", kAdmin).ok());

  store::AuditFilter by_target;
  by_target.target = "order:AU-1";
  auto page = store_->list_audit(by_target);
  ASSERT_EQ(page.items.size(), 4u);
  EXPECT_FALSE(page.next_before_id.has_value());
  // Newest first.
  EXPECT_EQ(page.items[0].action, "order.reveal");
  EXPECT_EQ(page.items[1].action, "order.shipment");
  EXPECT_EQ(page.items[2].action, "order.status");
  EXPECT_EQ(page.items[3].action, "order.create");
  for (std::size_t i = 1; i < page.items.size(); ++i)
    EXPECT_GT(page.items[i - 1].id, page.items[i].id);

  const auto& create = page.items[3];
  EXPECT_EQ(create.actor, "apikey:ak_test");
  EXPECT_EQ(create.role, "operator");
  EXPECT_EQ(create.request_id, "req-1");
  EXPECT_EQ(create.client_addr, "127.0.0.1");
  EXPECT_EQ(create.at, kT0);
  EXPECT_EQ(create.target, "order:AU-1");
  EXPECT_EQ(page.items[2].actor, "apikey:ak_admin");
  EXPECT_EQ(page.items[2].role, "admin");
  EXPECT_EQ(page.items[2].at, kT0 + kMinute);
  EXPECT_NE(page.items[2].detail.find("PAID"), std::string::npos) << page.items[2].detail;
  EXPECT_NE(page.items[1].detail.find("SF1234567890"), std::string::npos);
  EXPECT_EQ(page.items[0].actor, "apikey:ak_admin");
  EXPECT_EQ(page.items[0].at, kT0 + 3 * kMinute);
  for (const auto& row : page.items) {
    EXPECT_EQ(row.detail.find(kPhoneA), std::string::npos) << "personal data in audit detail";
    EXPECT_EQ(row.detail.find("张三"), std::string::npos);
  }

  store::AuditFilter by_actor;
  by_actor.actor = "apikey:ak_test";
  auto mine = store_->list_audit(by_actor);
  ASSERT_EQ(mine.items.size(), 2u);
  EXPECT_EQ(mine.items[0].action, "order.shipment");
  EXPECT_EQ(mine.items[1].action, "order.create");

  store::AuditFilter both;
  both.actor = "apikey:ak_admin";
  both.target = "order:AU-1";
  both.action = "order.reveal";
  EXPECT_EQ(store_->list_audit(both).items.size(), 1u);

  store::AuditFilter time;
  time.from = kT0 + kMinute;
  time.to = kT0 + 3 * kMinute;
  auto in_range = store_->list_audit(time);
  ASSERT_EQ(in_range.items.size(), 2u);
  EXPECT_EQ(in_range.items[0].action, "order.shipment");
  EXPECT_EQ(in_range.items[1].action, "order.status");
}

TEST_F(StoreTest, AuditPagination) {
  const Actor bulk{"apikey:ak_bulk", "operator", "", ""};
  for (int i = 0; i < 7; ++i) {
    now_ += 1000;
    Create("AP-" + std::to_string(i), kPhoneA, std::nullopt, bulk);
  }
  Create("AP-other", kPhoneA, std::nullopt, kActor);

  store::AuditFilter f;
  f.actor = bulk.id;
  f.limit = 3;
  std::vector<std::string> targets;
  std::vector<std::size_t> sizes;
  std::int64_t last_id = INT64_MAX;
  for (int page = 0; page < 10; ++page) {
    auto p = store_->list_audit(f);
    sizes.push_back(p.items.size());
    for (const auto& row : p.items) {
      EXPECT_LT(row.id, last_id);
      last_id = row.id;
      EXPECT_EQ(row.actor, bulk.id);
      targets.push_back(row.target);
    }
    if (!p.next_before_id) break;
    f.before_id = p.next_before_id;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 1}));
  std::vector<std::string> expected;
  for (int i = 6; i >= 0; --i) expected.push_back("order:AP-" + std::to_string(i));
  EXPECT_EQ(targets, expected);

  store::AuditFilter exact;
  exact.actor = bulk.id;
  exact.limit = 7;
  auto all = store_->list_audit(exact);
  EXPECT_EQ(all.items.size(), 7u);
  EXPECT_FALSE(all.next_before_id.has_value());

  store::AuditFilter target;
  target.target = "order:AP-3";
  auto one = store_->list_audit(target);
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0].actor, bulk.id);
}

// ---- demo data and query plans ----------------------------------------------------------------

class StoreDemoTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    demo_ = app::generate_demo_orders(3000, now_, pii_);
    store_->import_orders(demo_);
  }

  // Asserts that every list filter is served by an index (see docs/QUERY_PLANS.md).
  void CheckListPlans(const std::string& label);

  std::vector<store::OrderRecord> demo_;
};

// A full scan of a table, as opposed to a scan along an index.
bool IsFullScan(const std::string& line) {
  if (line.rfind("SCAN ", 0) != 0) return false;
  return line.find("USING INDEX") == std::string::npos &&
         line.find("USING COVERING INDEX") == std::string::npos;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

TEST_F(StoreDemoTest, ImportLoadsEveryOrderOnce) {
  EXPECT_EQ(store_->count_orders(ArchiveScope::kExclude), 3000);
  store_->import_orders(demo_);  // again: ignored
  EXPECT_EQ(store_->count_orders(ArchiveScope::kExclude), 3000);
  const auto& d = demo_[123];
  const Order o = Get(d.order_no);
  EXPECT_EQ(o.status, d.status);
  EXPECT_EQ(o.history.size(), d.history.size());
  EXPECT_EQ(o.shipments.size(), d.shipments.size());
  EXPECT_EQ(o.data.customer.phone.rfind("1700000", 0), 0u);
}

TEST_F(StoreDemoTest, ListsMatchABruteForceFilterOverTheDemoData) {
  // Import order = id order, so (created_at, index) sorts like (created_at, id).
  struct Row {
    const store::OrderRecord* r;
    std::size_t idx;
  };
  auto expect = [&](auto pred) {
    std::vector<Row> rows;
    for (std::size_t i = 0; i < demo_.size(); ++i)
      if (pred(demo_[i])) rows.push_back({&demo_[i], i});
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return a.r->created_at != b.r->created_at ? a.r->created_at > b.r->created_at : a.idx > b.idx;
    });
    std::vector<std::string> out;
    for (const auto& row : rows) out.push_back(row.r->order_no);
    return out;
  };
  auto has_carrier = [](const store::OrderRecord& r, const std::string& c) {
    return std::any_of(r.shipments.begin(), r.shipments.end(),
                       [&](const auto& s) { return s.carrier == c; });
  };

  ListQuery phone;
  phone.phone = "17000000001";
  const auto pi = pii_.phone_index("17000000001");
  const auto by_phone = expect([&](const auto& r) { return r.phone_index == pi; });
  ASSERT_FALSE(by_phone.empty());
  EXPECT_EQ(ListAll(phone, 2), by_phone);

  ListQuery status;
  status.statuses = {S::kDelivered};
  const auto delivered = expect([](const auto& r) { return r.status == S::kDelivered; });
  ASSERT_GT(delivered.size(), 100u);
  EXPECT_EQ(ListAll(status, 50), delivered);

  ListQuery carrier;
  carrier.carrier = "SF_COLD";
  const auto sf_cold = expect([&](const auto& r) { return has_carrier(r, "SF_COLD"); });
  ASSERT_GT(sf_cold.size(), 50u);
  EXPECT_EQ(ListAll(carrier, 37), sf_cold);

  ListQuery range;
  range.from = now_ - 30 * kDay;
  range.to = now_ - 20 * kDay;
  const auto in_range = expect([&](const auto& r) {
    return r.created_at >= now_ - 30 * kDay && r.created_at < now_ - 20 * kDay;
  });
  ASSERT_GT(in_range.size(), 50u);
  EXPECT_EQ(ListAll(range, 25), in_range);

  ListQuery combo;
  combo.statuses = {S::kCompleted};
  combo.carrier = "JD";
  combo.from = now_ - 60 * kDay;
  const auto jd_completed = expect([&](const auto& r) {
    return r.status == S::kCompleted && has_carrier(r, "JD") && r.created_at >= now_ - 60 * kDay;
  });
  EXPECT_EQ(ListAll(combo, 10), jd_completed);

  EXPECT_EQ(ListAll({}, 500).size(), 3000u);
}

void StoreDemoTest::CheckListPlans(const std::string& label) {
  const std::string phone_index = pii_.phone_index("17000000001");
  std::string waybill;
  for (const auto& d : demo_)
    if (!d.shipments.empty()) {
      waybill = d.shipments[0].waybill_no;
      break;
    }
  ASSERT_FALSE(waybill.empty());
  const EpochMs from = now_ - 30 * kDay, to = now_ - 20 * kDay;
  const store::OrderCursor after{now_ - 10 * kDay, 1500};

  struct Case {
    std::string name;
    OrderFilter filter;
    bool ordered_by_index;  // no temp B-tree for ORDER BY expected
  };
  std::vector<Case> cases;
  auto add = [&](std::string name, bool ordered, auto fill) {
    OrderFilter f;
    fill(f);
    cases.push_back({std::move(name), f, ordered});
  };
  add("{}", true, [](OrderFilter&) {});
  add("{phone}", true, [&](OrderFilter& f) { f.phone_index = phone_index; });
  add("{status}", true, [](OrderFilter& f) { f.statuses = {S::kDelivered}; });
  add("{carrier}", true, [](OrderFilter& f) { f.carrier = "SF"; });
  add("{waybill_no}", false, [&](OrderFilter& f) { f.waybill_no = waybill; });
  add("{from,to}", true, [&](OrderFilter& f) {
    f.from = from;
    f.to = to;
  });
  add("{phone,from,to}", true, [&](OrderFilter& f) {
    f.phone_index = phone_index;
    f.from = from;
    f.to = to;
  });
  add("{status,from,to}", true, [&](OrderFilter& f) {
    f.statuses = {S::kDelivered};
    f.from = from;
    f.to = to;
  });
  add("{order_no}", false, [&](OrderFilter& f) { f.order_no = demo_[42].order_no; });
  // Later pages (cursor) take the same paths.
  add("{} + cursor", true, [&](OrderFilter& f) { f.after = after; });
  add("{phone} + cursor", true, [&](OrderFilter& f) {
    f.phone_index = phone_index;
    f.after = after;
  });
  add("{status} + cursor", true, [&](OrderFilter& f) {
    f.statuses = {S::kDelivered};
    f.after = after;
  });
  add("{carrier} + cursor", true, [&](OrderFilter& f) {
    f.carrier = "SF";
    f.after = after;
  });
  add("{carrier,from,to}", true, [&](OrderFilter& f) {
    f.carrier = "SF";
    f.from = from;
    f.to = to;
  });

  // Other combinations the API allows.
  add("{openid}", true, [](OrderFilter& f) { f.openid = "oWx_openid-1"; });
  add("{status,carrier}", true, [](OrderFilter& f) {
    f.statuses = {S::kCompleted};
    f.carrier = "SF";
  });
  add("{phone,carrier}", true, [&](OrderFilter& f) {
    f.phone_index = phone_index;
    f.carrier = "SF";
  });

  const bool print = std::getenv("COLDTRACK_PRINT_PLANS") != nullptr;
  for (const auto& c : cases) {
    const auto plan = store_->explain_list(c.filter);
    if (print) std::cout << "### " << label << " " << c.name << "\n" << Join(plan) << "\n";
    ASSERT_FALSE(plan.empty()) << c.name;
    for (const auto& line : plan) {
      EXPECT_FALSE(IsFullScan(line)) << label << " " << c.name << ": full table scan\n"
                                     << Join(plan);
      EXPECT_NE(line.rfind("SCAN orders", 0), 0u) << label << " " << c.name << "\n" << Join(plan);
      if (c.ordered_by_index) {
        EXPECT_EQ(line.find("USE TEMP B-TREE FOR ORDER BY"), std::string::npos)
            << label << " " << c.name << ": sorts instead of reading the index in order\n"
            << Join(plan);
      }
    }
  }
}

TEST_F(StoreDemoTest, ListQueryPlansUseIndexes) {
  CheckListPlans("fresh");
}

// Deployed databases get statistics (PRAGMA optimize on close runs ANALYZE when useful): the
// plans must stay index-driven with statistics too.
TEST_F(StoreDemoTest, ListQueryPlansUseIndexesAfterAnalyze) {
  Close();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.string().c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, "ANALYZE", nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
  Open();
  CheckListPlans("analyzed");
}

// --- monitoring: anomalies, temperatures and the rules' inputs -------------------------------

class MonitoringStoreTest : public StoreTest {
 protected:
  // A PAID order shipped with SF; returns its shipment id.
  std::int64_t Shipped(const std::string& no, EpochMs created = kT0) {
    Create(no, kPhoneA, created);
    Move(no, S::kPaid, created + kMinute);
    auto o = Ship(no, "SF", "SF" + no.substr(no.size() - 6));
    return o.shipments.at(0).id;
  }

  store::AnomalyFinding Finding(std::int64_t shipment, const std::string& no,
                                const std::string& kind, const std::string& severity,
                                const std::string& reason = "NO_UPDATE") {
    return {kind, "shipment:" + std::to_string(shipment), no, shipment, "SF", severity, reason,
            "{}"};
  }

  store::SubjectCheck Check(std::int64_t shipment, std::vector<store::AnomalyFinding> findings) {
    return {"shipment:" + std::to_string(shipment),
            {"no_update", "carrier_problem", "late"},
            std::move(findings)};
  }

  std::vector<store::AnomalyRecord> All(const std::string& no) {
    store::AnomalyFilter f;
    f.order_no = no;
    return store_->list_anomalies(f).items;
  }

  std::vector<store::DeliveredShipment> Scan(const store::DeliveredScan& scan) {
    std::vector<store::DeliveredShipment> out;
    store_->scan_delivered_shipments(scan,
                                     [&](const store::DeliveredShipment& d) { out.push_back(d); });
    return out;
  }

  // Order `no` shipped with SF at `shipped` (in `parcels` parcels) and delivered `transit` later.
  void Delivered(const std::string& no, EpochMs shipped, EpochMs transit = 30 * kHour,
                 int parcels = 1) {
    now_ = shipped;
    Shipped(no, shipped - kHour);
    for (int p = 1; p < parcels; ++p)
      Ship(no, "SF", "SF" + std::to_string(p) + no.substr(no.size() - 6));
    now_ = shipped + transit;
    Move(no, S::kInTransit, shipped + kHour);
    Move(no, S::kDelivered, shipped + transit);
  }
};

// The shipped_at of each scanned shipment, sorted: duplicates and gaps both show.
std::vector<EpochMs> ShippedTimes(const std::vector<store::DeliveredShipment>& rows) {
  std::vector<EpochMs> out;
  for (const auto& r : rows) out.push_back(r.shipped_at);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(MonitoringStoreTest, ShipmentsCarryTheirLaneAndTheStrictestTemperatureClass) {
  now_ = kT0 + kHour;
  const auto id = Shipped("MON000001");
  auto watch = store_->watch_shipments({id});
  ASSERT_EQ(watch.size(), 1u);
  EXPECT_EQ(watch[0].temp_class, "frozen");  // frozen dumplings and chilled milk: frozen wins
  EXPECT_EQ(watch[0].dest_city, "上海市");
  EXPECT_EQ(watch[0].service, "standard");
  EXPECT_FALSE(watch[0].tracked);
  EXPECT_EQ(watch[0].shipped_at, now_);
  const auto active = store_->active_shipments(0, 10);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].shipment_id, id);
}

// A sweep pages through a million active shipments: each page must continue from the last
// shipment id in the primary key, never re-scan and sort the active set.
TEST_F(MonitoringStoreTest, TheSweepPagesThroughShipmentsInOnePass) {
  const auto plan = store_->explain_active_shipments();
  ASSERT_FALSE(plan.empty());
  EXPECT_NE(plan[0].find("SEARCH s USING INTEGER PRIMARY KEY (rowid>?)"), std::string::npos)
      << plan[0];
  for (const auto& step : plan) EXPECT_EQ(step.find("TEMP B-TREE"), std::string::npos) << step;
}

TEST_F(MonitoringStoreTest, AnomaliesAreRaisedOnceUpdatedWhenWorseAndResolvedWhenCleared) {
  const auto id = Shipped("MON000002");
  auto r = store_->reconcile_anomalies(
      {Check(id, {Finding(id, "MON000002", "no_update", "warning")})}, kT0 + kDay);
  EXPECT_EQ(r.opened, 1);
  // Same finding again: nothing changes (no duplicate, no write).
  r = store_->reconcile_anomalies({Check(id, {Finding(id, "MON000002", "no_update", "warning")})},
                                  kT0 + kDay + kHour);
  EXPECT_EQ(r.opened + r.updated + r.resolved, 0);
  ASSERT_EQ(All("MON000002").size(), 1u);
  // Worse: the same record is escalated.
  r = store_->reconcile_anomalies({Check(id, {Finding(id, "MON000002", "no_update", "major")})},
                                  kT0 + 2 * kDay);
  EXPECT_EQ(r.updated, 1);
  auto all = All("MON000002");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].severity, "major");
  EXPECT_EQ(all[0].opened_at, kT0 + kDay);
  // The watch reports the open kind.
  EXPECT_EQ(store_->watch_shipments({id})[0].open_kinds, std::vector<std::string>{"no_update"});
  EXPECT_EQ(store_->watch_shipments({id})[0].open_states,
            std::vector<std::string>{"no_update:major:NO_UPDATE"});
  // A kind that was not evaluated stays as it is; an evaluated one that no longer holds resolves.
  store::SubjectCheck other{"shipment:" + std::to_string(id), {"temperature"}, {}};
  r = store_->reconcile_anomalies({other}, kT0 + 2 * kDay);
  EXPECT_EQ(r.resolved, 0);
  r = store_->reconcile_anomalies({Check(id, {})}, kT0 + 3 * kDay);
  EXPECT_EQ(r.resolved, 1);
  all = All("MON000002");
  EXPECT_EQ(all[0].state, "resolved");
  EXPECT_EQ(all[0].resolved_by, "system:monitor");
  EXPECT_EQ(all[0].resolved_at, kT0 + 3 * kDay);
  // Cleared by itself, so it may be raised again as a new record.
  r = store_->reconcile_anomalies({Check(id, {Finding(id, "MON000002", "no_update", "warning")})},
                                  kT0 + 4 * kDay);
  EXPECT_EQ(r.opened, 1);
  EXPECT_EQ(All("MON000002").size(), 2u);
  // Every change was announced for the notification workers.
  EXPECT_EQ(store_->claim_outbox("anomaly.opened", kT0 + 5 * kDay, 10, kMinute).size(), 2u);
  EXPECT_EQ(store_->claim_outbox("anomaly.updated", kT0 + 5 * kDay, 10, kMinute).size(), 1u);
  EXPECT_EQ(store_->claim_outbox("anomaly.resolved", kT0 + 5 * kDay, 10, kMinute).size(), 1u);
}

TEST_F(MonitoringStoreTest, StaffLifecycleAndTheQuietPeriodAfterAManualResolve) {
  const auto id = Shipped("MON000003");
  store_->reconcile_anomalies({Check(id, {Finding(id, "MON000003", "no_update", "warning")})},
                              kT0 + kDay);
  const auto a = All("MON000003").at(0);
  store::AuditRecord audit;
  audit.at = kT0 + kDay;
  audit.actor = "apikey:ak_test";
  audit.action = "anomaly.acknowledge";
  audit.target = "anomaly:" + std::to_string(a.id);
  auto ack =
      store_->transition_anomaly({a.id, "acknowledged", "apikey:ak_test", "", kT0 + kDay}, audit);
  ASSERT_TRUE(std::holds_alternative<store::AnomalyChanged>(ack));
  EXPECT_EQ(std::get<store::AnomalyChanged>(ack).anomaly.state, "acknowledged");
  EXPECT_EQ(std::get<store::AnomalyChanged>(ack).anomaly.acknowledged_by, "apikey:ak_test");
  auto done = store_->transition_anomaly(
      {a.id, "resolved", "apikey:ak_test", "carrier confirmed", kT0 + kDay + kHour}, audit);
  ASSERT_TRUE(std::holds_alternative<store::AnomalyChanged>(done));
  EXPECT_EQ(std::get<store::AnomalyChanged>(done).anomaly.resolution, "carrier confirmed");
  auto late_ack =
      store_->transition_anomaly({a.id, "acknowledged", "x", "", kT0 + kDay + 2 * kHour}, audit);
  EXPECT_TRUE(std::holds_alternative<store::AnomalyConflict>(late_ack));
  EXPECT_TRUE(std::holds_alternative<store::NotFound>(
      store_->transition_anomaly({999999, "resolved", "x", "", kT0}, audit)));
  // The condition still holds: not raised again at the same severity within 24 hours...
  auto r = store_->reconcile_anomalies(
      {Check(id, {Finding(id, "MON000003", "no_update", "warning")})}, kT0 + kDay + 2 * kHour);
  EXPECT_EQ(r.opened, 0);
  // ...but worse news reopens it at once...
  r = store_->reconcile_anomalies({Check(id, {Finding(id, "MON000003", "no_update", "major")})},
                                  kT0 + kDay + 3 * kHour);
  EXPECT_EQ(r.opened, 1);
  // ...and a different reason is a different problem.
  const auto id2 = Shipped("MON000004");
  store_->reconcile_anomalies(
      {Check(id2, {Finding(id2, "MON000004", "carrier_problem", "major", "REJECTED")})}, kT0);
  const auto b = All("MON000004").at(0);
  store_->transition_anomaly({b.id, "resolved", "x", "ok", kT0 + kHour}, audit);
  r = store_->reconcile_anomalies(
      {Check(id2, {Finding(id2, "MON000004", "carrier_problem", "major", "LOST")})},
      kT0 + 2 * kHour);
  EXPECT_EQ(r.opened, 1);
  // Past the quiet period the same finding is raised again.
  r = store_->reconcile_anomalies(
      {Check(id2, {Finding(id2, "MON000004", "carrier_problem", "major", "LOST"),
                   Finding(id2, "MON000004", "no_update", "warning")})},
      kT0 + 3 * kDay);
  EXPECT_EQ(r.opened, 1);  // no_update; LOST is still open (not duplicated)
}

TEST_F(MonitoringStoreTest, ListFiltersAndPagesNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    const auto no = "MONL0000" + std::to_string(i);
    const auto id = Shipped(no);
    store_->reconcile_anomalies({Check(id, {Finding(id, no, i % 2 ? "late" : "no_update",
                                                    i == 4 ? "critical" : "warning")})},
                                kT0 + i * kHour);
  }
  store::AnomalyFilter f;
  f.limit = 2;
  auto page = store_->list_anomalies(f);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].order_no, "MONL00004");
  ASSERT_TRUE(page.next_before_id);
  f.before_id = page.next_before_id;
  f.limit = 10;
  EXPECT_EQ(store_->list_anomalies(f).items.size(), 3u);
  store::AnomalyFilter kind;
  kind.kind = "late";
  EXPECT_EQ(store_->list_anomalies(kind).items.size(), 2u);
  store::AnomalyFilter sev;
  sev.severity = "critical";
  EXPECT_EQ(store_->list_anomalies(sev).items.size(), 1u);
  store::AnomalyFilter window;
  window.from = kT0 + kHour;
  window.to = kT0 + 3 * kHour;
  EXPECT_EQ(store_->list_anomalies(window).items.size(), 2u);
}

TEST_F(MonitoringStoreTest, TemperatureReadingsAreKeptOncePerDeviceAndTime) {
  const auto id = Shipped("MON000005");
  std::vector<store::TemperatureRecord> batch = {
      {"LOG-2", kT0 + 2 * kMinute, -19.5}, {"LOG-1", kT0 + kMinute, -20.0}, {"LOG-1", kT0, -21.0}};
  EXPECT_EQ(store_->insert_temperatures(id, batch, kT0), 3);
  // Resent with a different value for one timestamp: the first stays.
  batch.push_back({"LOG-1", kT0 + 3 * kMinute, -18.5});
  batch[1].temp_c = 5.0;
  EXPECT_EQ(store_->insert_temperatures(id, batch, kT0), 1);
  const auto all = store_->temperatures(id);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].device_id, "LOG-1");
  EXPECT_EQ(all[0].at, kT0);
  EXPECT_DOUBLE_EQ(all[1].temp_c, -20.0);
  EXPECT_EQ(all[3].device_id, "LOG-2");
  EXPECT_TRUE(store_->temperatures(id + 1000).empty());
  EXPECT_TRUE(store_->find_shipment(id));
  EXPECT_FALSE(store_->find_shipment(id + 1000));
}

TEST_F(MonitoringStoreTest, DeliveredHistoryAndPaidButUnshippedOrders) {
  now_ = kT0 + kDay;
  const auto id = Shipped("MON000006", kT0);
  const EpochMs shipped = now_;
  now_ += 2 * kDay;
  Move("MON000006", S::kInTransit, shipped + kHour);
  Move("MON000006", S::kDelivered, shipped + 30 * kHour);
  const auto delivered = Scan({});
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].carrier, "SF");
  EXPECT_EQ(delivered[0].dest_city, "上海市");
  EXPECT_EQ(delivered[0].shipped_at, shipped);
  EXPECT_EQ(delivered[0].delivered_at, shipped + 30 * kHour);
  EXPECT_TRUE(store_->active_shipments(0, 10).empty());
  (void)id;

  Create("MON000007", kPhoneA, kT0);
  Move("MON000007", S::kPaid, kT0 + kMinute);
  Create("MON000008", kPhoneA, kT0);
  Move("MON000008", S::kPaid, kT0 + 3 * kDay);
  std::int64_t after = 0;
  const auto due = store_->unshipped_orders(kT0 + 2 * kDay, after, 100);
  ASSERT_EQ(due.size(), 1u);  // the other was paid too recently
  EXPECT_EQ(due[0].order_no, "MON000007");
  EXPECT_EQ(due[0].paid_at, kT0 + kMinute);
  EXPECT_GT(after, 0);
}

TEST_F(MonitoringStoreTest, ScanOfDeliveredShipmentsKeepsToItsWindow) {
  std::vector<EpochMs> shipped;
  for (int i = 0; i < 6; ++i) {
    shipped.push_back(kT0 + i * kDay);
    Delivered("MONW0000" + std::to_string(i), shipped.back(), 30 * kHour);
  }
  Shipped("MONW00009", kT0);  // on the road: never a sample
  EXPECT_EQ(ShippedTimes(Scan({})), shipped);
  // [since, until) on the delivery time: since included, until excluded.
  store::DeliveredScan window;
  window.since = shipped[1] + 30 * kHour;
  window.until = shipped[4] + 30 * kHour;
  EXPECT_EQ(ShippedTimes(Scan(window)), (std::vector<EpochMs>{shipped[1], shipped[2], shipped[3]}));
  window.since = shipped[5] + 30 * kHour + 1;
  window.until = std::numeric_limits<EpochMs>::max();
  EXPECT_TRUE(Scan(window).empty());
}

TEST_F(MonitoringStoreTest, ScanOfDeliveredShipmentsReadsEveryShipmentOnceAcrossChunks) {
  std::vector<EpochMs> shipped;
  for (int i = 0; i < 7; ++i) {
    shipped.push_back(kT0 + i * kHour);
    // Two parcels of one order: one sample each, even when a chunk ends between them.
    Delivered("MONC0000" + std::to_string(i), shipped.back(), 30 * kHour, i == 3 ? 2 : 1);
  }
  now_ = kT0 + 10 * kDay;
  Move("MONC00004", S::kCompleted, kT0 + 5 * kDay);  // finished orders stay samples
  // Three orders in the archive: the scan reads both parts, each in chunks.
  ASSERT_EQ(store_->archive_batch(kT0 + 30 * kHour + 3 * kHour, 100), 3);
  std::vector<EpochMs> expected = shipped;
  expected.push_back(kT0 + 3 * kHour);
  std::sort(expected.begin(), expected.end());
  for (int chunk : {1, 2, 3, 7, 10'000}) {
    store::DeliveredScan scan;
    scan.chunk = chunk;
    EXPECT_EQ(ShippedTimes(Scan(scan)), expected) << "chunk " << chunk;
  }
}

// A chunk is a primary-key range of shipments joined to their order and events: it must
// never scan or sort the event table.
TEST_F(MonitoringStoreTest, AChunkOfTheDeliveredScanIsAShipmentIdRange) {
  const auto plan = store_->explain_delivered_chunk();
  ASSERT_FALSE(plan.empty());
  EXPECT_NE(plan[0].find("SEARCH s USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"),
            std::string::npos)
      << plan[0];
  for (const auto& step : plan) {
    EXPECT_EQ(step.find("TEMP B-TREE"), std::string::npos) << step;
    EXPECT_EQ(step.find("SCAN"), std::string::npos) << step;
  }
}

void ExpectSameEta(const std::optional<eta::Eta>& a, const std::optional<eta::Eta>& b,
                   const std::string& what) {
  ASSERT_EQ(a.has_value(), b.has_value()) << what;
  if (!a) return;
  EXPECT_EQ(a->earliest, b->earliest) << what;
  EXPECT_EQ(a->most_likely, b->most_likely) << what;
  EXPECT_EQ(a->latest, b->latest) << what;
  EXPECT_EQ(a->confidence, b->confidence) << what;
  EXPECT_EQ(a->basis, b->basis) << what;
  EXPECT_EQ(a->basis_detail, b->basis_detail) << what;
  EXPECT_EQ(a->samples, b->samples) << what;
}

// The service streams the store's history into the model: the same model as learning every
// row of the window at once, and deliveries older than eta.history_days are left out.
TEST_F(MonitoringStoreTest, EtaServiceLearnsTheHistoryWindowAsIfAllAtOnce) {
  for (int i = 0; i < 25; ++i) {
    Delivered(fmt::format("MONE{:05}", i), kT0 - 20 * kDay + i * kHour,
              20 * kHour + i * 30 * kMinute);
  }
  for (int i = 0; i < 10; ++i)
    Delivered(fmt::format("MONO{:05}", i), kT0 - 200 * kDay + i * kHour, 60 * kHour);
  now_ = kT0;
  service::EtaService everything(*store_, eta::Options{}, "上海市");
  service::EtaService recent(*store_, eta::Options{}, "上海市", {90, [this] { return now_; }});
  EXPECT_EQ(everything.refresh(), 35u);
  EXPECT_EQ(recent.refresh(), 25u);

  store::DeliveredScan window;
  window.since = kT0 - 90 * kDay;
  std::vector<eta::Delivered> all;
  for (const auto& r : Scan(window)) all.push_back(service::to_sample(r, "上海市"));
  ASSERT_EQ(all.size(), 25u);
  eta::Model at_once;
  for (const auto& d : all) at_once.add(d);

  store::TrackingRecord r;
  r.dest_city = "上海市";
  r.carrier = "SF";
  r.shipped_at = kT0;
  const eta::Lane lane = recent.lane("", "上海市", "SF", "");
  EXPECT_EQ(at_once.samples(lane), 25u);
  for (EpochMs elapsed : {EpochMs{0}, 10 * kHour, 25 * kHour, 31 * kHour, 40 * kHour}) {
    const auto streamed = recent.predict(r, kT0 + elapsed);
    ExpectSameEta(streamed, at_once.predict({lane, kT0, "", std::nullopt}, kT0 + elapsed),
                  "elapsed " + std::to_string(elapsed / kHour) + " h");
    if (elapsed == 0) {
      ASSERT_TRUE(streamed);
      EXPECT_EQ(streamed->basis, "lane");
      EXPECT_EQ(streamed->samples, 25);
    }
  }
}

// --- payments confirmed by a provider ---------------------------------------------------------

class PaymentStoreTest : public StoreTest {
 protected:
  store::PaymentRecord Payment(const std::string& no, const std::string& tx) {
    return {
        no, "wechatpay", tx, "EV-" + tx, 10570, "oWx_openid-1", kT0 + kMinute, kT0 + 2 * kMinute};
  }
  store::AuditRecord Audit() {
    store::AuditRecord a;
    a.at = kT0;
    a.actor = "payment:wechatpay";
    a.action = "order.paid";
    return a;
  }
};

TEST_F(PaymentStoreTest, APaymentMovesACreatedOrderToPaidOnceAtItsSuccessTime) {
  Create("PAY000001", kPhoneA, kT0);
  auto r = store_->record_payment(Payment("PAY000001", "4200000001"), Audit());
  ASSERT_TRUE(std::holds_alternative<store::PaymentApplied>(r));
  const auto& applied = std::get<store::PaymentApplied>(r);
  EXPECT_TRUE(applied.changed);
  EXPECT_EQ(applied.order.status, S::kPaid);
  ASSERT_EQ(applied.order.history.size(), 2u);
  EXPECT_EQ(applied.order.history[1].at, kT0 + kMinute);
  EXPECT_EQ(applied.order.history[1].actor, "payment:wechatpay");
  // The same notification again (WeChat Pay repeats them): nothing changes.
  r = store_->record_payment(Payment("PAY000001", "4200000001"), Audit());
  ASSERT_TRUE(std::holds_alternative<store::PaymentApplied>(r));
  EXPECT_FALSE(std::get<store::PaymentApplied>(r).changed);
  EXPECT_EQ(Get("PAY000001").history.size(), 2u);
  // A second, different payment for a paid order needs a person.
  r = store_->record_payment(Payment("PAY000001", "4200000002"), Audit());
  ASSERT_TRUE(std::holds_alternative<store::Conflict>(r));
  EXPECT_EQ(std::get<store::Conflict>(r).current, S::kPaid);
  // Unknown orders and transactions recorded for another order are refused.
  EXPECT_TRUE(std::holds_alternative<store::NotFound>(
      store_->record_payment(Payment("NOPE", "4200000003"), Audit())));
  Create("PAY000002", kPhoneA, kT0);
  EXPECT_TRUE(std::holds_alternative<store::Conflict>(
      store_->record_payment(Payment("PAY000002", "4200000001"), Audit())));
  EXPECT_EQ(Get("PAY000002").status, S::kCreated);
}

TEST_F(PaymentStoreTest, MoneyForACancelledOrderIsAConflict) {
  Create("PAY000003", kPhoneA, kT0);
  Move("PAY000003", S::kCancelled);
  auto r = store_->record_payment(Payment("PAY000003", "4200000009"), Audit());
  ASSERT_TRUE(std::holds_alternative<store::Conflict>(r));
  EXPECT_EQ(std::get<store::Conflict>(r).current, S::kCancelled);
}

TEST_F(PaymentStoreTest, SubscriptionsCountOneMessagePerAcceptance) {
  const std::string who = "oCustomer0000000000000000001";
  auto subs = store_->add_subscriptions(who, {"TPL_SHIPPED", "TPL_DELIVERED"}, kT0);
  ASSERT_EQ(subs.size(), 2u);
  subs = store_->add_subscriptions(who, {"TPL_SHIPPED"}, kT0 + kMinute);
  EXPECT_EQ(subs[1].template_id, "TPL_SHIPPED");
  EXPECT_EQ(subs[1].remaining, 2);
  EXPECT_EQ(subs[1].accepted_total, 2);
  EXPECT_TRUE(store_->consume_subscription(who, "TPL_SHIPPED", kT0 + 2 * kMinute));
  EXPECT_TRUE(store_->consume_subscription(who, "TPL_SHIPPED", kT0 + 2 * kMinute));
  EXPECT_FALSE(store_->consume_subscription(who, "TPL_SHIPPED", kT0 + 2 * kMinute));
  EXPECT_FALSE(store_->consume_subscription(who, "TPL_UNKNOWN", kT0));
  // WeChat said 43101: nothing left, whatever we counted.
  store_->mark_subscription_spent(who, "TPL_DELIVERED", kT0 + 3 * kMinute);
  EXPECT_FALSE(store_->consume_subscription(who, "TPL_DELIVERED", kT0 + 3 * kMinute));
  EXPECT_TRUE(store_->subscriptions("oSomeoneElse").empty());
}

}  // namespace
}  // namespace coldtrack
