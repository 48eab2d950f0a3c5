// TrackingService + SqliteStore: snapshots applied to shipments, ordering, events and the
// order lifecycle they drive.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "carriers/lifecycle.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "service/tracking_service.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack {
namespace {

namespace fs = std::filesystem;
using carriers::Snapshot;
using carriers::Trace;
using carriers::TrackingStatus;
using domain::EpochMs;
using domain::OrderStatus;

constexpr EpochMs kT0 = 1'795'583'100'000;  // 2026-11-25T13:05:00+08:00
constexpr EpochMs kHour = 3'600'000;
const service::Actor kActor{"apikey:ak_test", "operator", "req", "127.0.0.1"};

TEST(TrackingLifecycle, OrderStatusForEveryTrackingStatus) {
  using T = TrackingStatus;
  EXPECT_EQ(carriers::order_status_for(T::kNoInfo), std::nullopt);
  EXPECT_EQ(carriers::order_status_for(T::kAwaitingPickup), std::nullopt);
  for (auto t : {T::kPickedUp, T::kInTransit, T::kOutForDelivery, T::kAtPickupPoint, T::kCustoms})
    EXPECT_EQ(carriers::order_status_for(t), OrderStatus::kInTransit);
  EXPECT_EQ(carriers::order_status_for(T::kDelivered), OrderStatus::kDelivered);
  for (auto t : {T::kException, T::kReturning, T::kReturned})
    EXPECT_EQ(carriers::order_status_for(t), OrderStatus::kException);
}

TEST(TrackingLifecycle, NewerThan) {
  EXPECT_TRUE(carriers::newer_than(2, 1, 1, 5));              // later newest trace wins
  EXPECT_FALSE(carriers::newer_than(1, 9, 2, 1));             // older never replaces
  EXPECT_TRUE(carriers::newer_than(2, 3, 2, 2));              // tie: more traces wins
  EXPECT_FALSE(carriers::newer_than(2, 2, 2, 2));             // identical: a duplicate
  EXPECT_FALSE(carriers::newer_than(std::nullopt, 0, 2, 1));  // empty never replaces traces
  EXPECT_TRUE(carriers::newer_than(1, 1, std::nullopt, 0));
}

class TrackingIngest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    dir_ = fs::temp_directory_path() /
           ("ct-track-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = std::make_unique<store::sqlite::SqliteStore>(
        store::sqlite::SqliteOptions{(dir_ / "db.sqlite").string(), false, 5000, 2});
    pii_ = std::make_unique<service::PiiCodec>(std::string(32, 'k'));
    orders_ = std::make_unique<service::OrderService>(*store_, *pii_, [this] { return now_; });
    tracking_ = std::make_unique<service::TrackingService>(*store_, [this] { return now_; });
  }
  void TearDown() override {
    tracking_.reset();
    orders_.reset();
    store_.reset();
    fs::remove_all(dir_);
    spdlog::set_level(spdlog::level::info);
  }

  // A PAID order with one shipment per waybill (moves it to SHIPPED).
  void shipped_order(const std::string& no, const std::vector<std::string>& waybills,
                     const std::string& carrier = "SF") {
    domain::NewOrder o;
    o.order_no = no;
    o.customer = {"张三", "13800138000", ""};
    o.address = {"浙江省", "杭州市", "西湖区", "演示路1号"};
    o.items = {{"DJ", "水饺", "frozen", 1, 3990}};
    o.amount_fen = 3990;
    ASSERT_TRUE(orders_->create(o, kActor).ok());
    ASSERT_TRUE(orders_->change_status(no, OrderStatus::kPaid, std::nullopt, "", kActor).ok());
    for (const auto& w : waybills) ASSERT_TRUE(orders_->add_shipment(no, carrier, w, kActor).ok());
  }

  static Snapshot snap(const std::string& waybill, TrackingStatus st, int traces,
                       EpochMs first = kT0 + kHour, std::string reason = "") {
    Snapshot s;
    s.provider = "kdniao";
    s.provider_carrier = "SF";
    s.waybill_no = waybill;
    s.unified = {st, std::move(reason)};
    s.raw_state = "2";
    for (int i = 0; i < traces; ++i)
      s.traces.push_back(
          {first + i * kHour, "trace " + std::to_string(i), i ? "杭州市" : "上海市", ""});
    s.raw_payload = "{}";
    return s;
  }

  OrderStatus order_status(const std::string& no) {
    auto o = orders_->get(no, false, kActor);
    EXPECT_TRUE(o.ok());
    return o.value().status;
  }
  std::size_t history_size(const std::string& no) {
    return orders_->get(no, false, kActor).value().history.size();
  }

  fs::path dir_;
  EpochMs now_ = kT0;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<service::PiiCodec> pii_;
  std::unique_ptr<service::OrderService> orders_;
  std::unique_ptr<service::TrackingService> tracking_;
};

TEST_F(TrackingIngest, FirstMovementMovesTheOrderInTransitWithTheCarrierTime) {
  shipped_order("T1", {"SF100"});
  now_ = kT0 + 5 * kHour;
  auto r = tracking_->ingest({snap("SF100", TrackingStatus::kInTransit, 2)});
  EXPECT_EQ(r.applied, 1);
  EXPECT_EQ(r.status_changes, 1);
  EXPECT_EQ(r.order_changes, 1);
  auto o = orders_->get("T1", false, kActor).value();
  EXPECT_EQ(o.status, OrderStatus::kInTransit);
  EXPECT_EQ(o.history.back().at, kT0 + 2 * kHour);  // newest trace, not the time we heard it
  EXPECT_EQ(o.history.back().actor, "carrier:kdniao");

  auto t = tracking_->order_tracking("T1");
  ASSERT_TRUE(t && t->size() == 1);
  EXPECT_EQ((*t)[0].status, "IN_TRANSIT");
  EXPECT_EQ((*t)[0].location, "杭州市");
  EXPECT_EQ((*t)[0].trace_count, 2);
  EXPECT_EQ((*t)[0].heard_at, kT0 + 5 * kHour);
  EXPECT_EQ((*t)[0].carrier_name, "顺丰");
}

TEST_F(TrackingIngest, DuplicatesAndOlderSnapshotsChangeNothing) {
  shipped_order("T2", {"SF200"});
  tracking_->ingest({snap("SF200", TrackingStatus::kOutForDelivery, 3)});
  const auto before = history_size("T2");
  auto dup = tracking_->ingest({snap("SF200", TrackingStatus::kOutForDelivery, 3)});
  EXPECT_EQ(dup.applied, 0);
  EXPECT_EQ(dup.stale, 1);
  auto older = tracking_->ingest({snap("SF200", TrackingStatus::kPickedUp, 1)});
  EXPECT_EQ(older.applied, 0);
  EXPECT_EQ((*tracking_->order_tracking("T2"))[0].status, "OUT_FOR_DELIVERY");
  EXPECT_EQ(history_size("T2"), before);
}

TEST_F(TrackingIngest, OutOfOrderArrivalEndsInTheNewestState) {
  shipped_order("T3", {"SF300"});
  tracking_->ingest({snap("SF300", TrackingStatus::kDelivered, 4)});
  tracking_->ingest({snap("SF300", TrackingStatus::kInTransit, 2)});  // late, older
  EXPECT_EQ((*tracking_->order_tracking("T3"))[0].status, "DELIVERED");
  EXPECT_EQ(order_status("T3"), OrderStatus::kDelivered);
}

TEST_F(TrackingIngest, AnOrderIsDeliveredOnlyWhenEveryParcelIs) {
  shipped_order("T4", {"SF401", "SF402"});
  tracking_->ingest({snap("SF401", TrackingStatus::kDelivered, 3)});
  EXPECT_EQ(order_status("T4"), OrderStatus::kInTransit);
  tracking_->ingest({snap("SF402", TrackingStatus::kDelivered, 3)});
  EXPECT_EQ(order_status("T4"), OrderStatus::kDelivered);
}

TEST_F(TrackingIngest, CarrierProblemMovesTheOrderToException) {
  shipped_order("T5", {"SF500"});
  tracking_->ingest({snap("SF500", TrackingStatus::kException, 2, kT0 + kHour, "REJECTED")});
  EXPECT_EQ(order_status("T5"), OrderStatus::kException);
  auto t = (*tracking_->order_tracking("T5"))[0];
  EXPECT_EQ(t.reason, "REJECTED");
  // Tracking recovers: the order follows.
  tracking_->ingest({snap("SF500", TrackingStatus::kInTransit, 3)});
  EXPECT_EQ(order_status("T5"), OrderStatus::kInTransit);
}

TEST_F(TrackingIngest, UnknownProviderCodeKeepsThePreviousStatusButStoresTraces) {
  shipped_order("T6", {"SF600"});
  tracking_->ingest({snap("SF600", TrackingStatus::kInTransit, 2)});
  auto s = snap("SF600", TrackingStatus::kNoInfo, 3);
  s.mapped = false;
  s.raw_substate = "999";
  auto r = tracking_->ingest({s});
  EXPECT_EQ(r.applied, 1);
  EXPECT_EQ(r.status_changes, 0);
  auto t = (*tracking_->order_tracking("T6"))[0];
  EXPECT_EQ(t.status, "IN_TRANSIT");
  EXPECT_EQ(t.trace_count, 3);
  EXPECT_EQ(t.raw_substate, "999");
}

TEST_F(TrackingIngest, UnknownWaybillIsCountedNotStored) {
  auto r = tracking_->ingest({snap("NOPE1", TrackingStatus::kInTransit, 1)});
  EXPECT_EQ(r.unknown_waybills, 1);
  EXPECT_EQ(r.applied, 0);
}

TEST_F(TrackingIngest, ProviderCarrierCodesMatchTheCanonicalCarrier) {
  shipped_order("T7", {"ZT700"}, "ZTO");
  auto s = snap("ZT700", TrackingStatus::kPickedUp, 1);
  s.provider = "kuaidi100";
  s.provider_carrier = "zhongtong";
  EXPECT_EQ(tracking_->ingest({s}).applied, 1);
  EXPECT_EQ(order_status("T7"), OrderStatus::kInTransit);
  // The same waybill under another carrier's code is not this shipment.
  s.provider_carrier = "yuantong";
  s.traces.push_back({kT0 + 9 * kHour, "x", "", ""});
  EXPECT_EQ(tracking_->ingest({s}).unknown_waybills, 1);
}

TEST_F(TrackingIngest, TracesRoundTripThroughJson) {
  std::vector<Trace> traces{{kT0, "顺丰速运 已收取快件", "上海市", "1"},
                            {kT0 + 1, "派送中", "", "202"}};
  auto back = service::traces_from_json(service::traces_to_json(traces));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].description, "顺丰速运 已收取快件");
  EXPECT_EQ(back[1].raw_code, "202");
  EXPECT_EQ(back[1].time, kT0 + 1);
  EXPECT_TRUE(service::traces_from_json("not json").empty());
}

}  // namespace
}  // namespace coldtrack
