#include "app/gen_demo.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include "app/app.h"
#include "app/cli_text.h"
#include "app/demo_catalogue.h"
#include "app/demo_transit.h"
#include "carriers/scheduler.h"
#include "carriers/tracking.h"
#include "domain/masking.h"
#include "domain/status.h"
#include "domain/time.h"
#include "store/mysql/conn.h"
#include "store/mysql/url.h"
#include "store/sqlite/db.h"

namespace coldtrack::app {
namespace {

using domain::EpochMs;
using S = domain::OrderStatus;
using T = carriers::TrackingStatus;
using demo::CarrierPick;
using demo::Place;
namespace sql = store::sql;

constexpr EpochMs kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
constexpr EpochMs kChinaOffset = 8 * kHour;  // order numbers and hours of day are China time

// Orders generated together from one random stream: the data depends on the seed, N and the
// time window, never on the thread count or --batch.
constexpr std::int64_t kChunk = 1024;
// Rows per multi-row INSERT (SQLite allows 32,766 parameters; MariaDB packets stay small).
constexpr std::size_t kRowsPerStatement = 64;

constexpr std::string_view kActor = "system:demo";          // as the demo's imported history
constexpr std::string_view kCarrierActor = "carrier:demo";  // as apply_tracking's transitions
constexpr std::string_view kProvider = "demo";              // as the demo's tracking snapshots
constexpr std::string_view kRemark = "演示数据";

// ---- randomness: the engine's raw bits only (std:: distributions differ between libraries) ----

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : eng_(seed) {}
  std::mt19937_64& engine() { return eng_; }
  double u01() { return static_cast<double>(eng_() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::int64_t between(std::int64_t lo, std::int64_t hi) {                // [lo, hi]
    const auto v = lo + static_cast<std::int64_t>(u01() * static_cast<double>(hi - lo + 1));
    return std::min(v, hi);
  }
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(between(0, n - 1)); }

 private:
  std::mt19937_64 eng_;
};

// ---- when orders are placed: a busy evening, a quiet night, busier weekends, a growing shop ----

constexpr std::array<double, 24> kHourly = {0.50, 0.30, 0.15, 0.10, 0.10, 0.15, 0.30, 0.60,
                                            0.90, 1.10, 1.20, 1.30, 1.40, 1.20, 1.00, 1.00,
                                            1.00, 1.10, 1.20, 1.50, 1.90, 2.00, 1.60, 1.00};

// Maps a quantile in [0, 1) to a time in [start, start + days), monotonically, so orders
// generated in index order are also in time order (ids ascend with created_at, as in a shop).
class TimeCurve {
 public:
  TimeCurve(EpochMs start, int days)
      : start_(start), cum_(static_cast<std::size_t>(days) * 24 + 1) {
    const std::size_t hours = cum_.size() - 1;
    for (std::size_t h = 0; h < hours; ++h) {
      const EpochMs local = start + static_cast<EpochMs>(h) * kHour + kHour / 2 + kChinaOffset;
      const EpochMs day = local / kDay;
      const int weekday = static_cast<int>((day + 4) % 7);  // 0 = Sunday (1970-01-01: Thursday)
      const double weekend = weekday == 0 || weekday == 6 ? 1.2 : 1.0;
      const double growth = 0.75 + 0.5 * static_cast<double>(h) / static_cast<double>(hours);
      cum_[h + 1] =
          cum_[h] + kHourly[static_cast<std::size_t>((local / kHour) % 24)] * weekend * growth;
    }
  }
  EpochMs at(double q) const {
    const double target = q * cum_.back();
    auto k =
        static_cast<std::size_t>(std::upper_bound(cum_.begin(), cum_.end(), target) - cum_.begin());
    k = std::clamp<std::size_t>(k, 1, cum_.size() - 1) - 1;
    const double w = cum_[k + 1] - cum_[k];
    const double frac = w > 0 ? std::clamp((target - cum_[k]) / w, 0.0, 1.0) : 0.0;
    return start_ + static_cast<EpochMs>(k) * kHour +
           static_cast<EpochMs>(frac * static_cast<double>(kHour - 1));
  }

 private:
  EpochMs start_;
  std::vector<double> cum_;
};

// ---- customers: a fixed population (independent of the seed), each with 1-3 phones ----------

struct Customer {
  std::string name, detail;
  const Place* place;
  int phones;
};

Customer customer(std::int64_t id) {
  std::uint64_t h = splitmix64(static_cast<std::uint64_t>(id) ^ 0x636f6c6474726b31ULL);
  auto next = [&h] { return h = splitmix64(h); };
  Customer c;
  c.name = std::string(demo::kSurnames[next() % demo::kSurnames.size()]) +
           demo::kGiven[next() % demo::kGiven.size()];
  c.place = &demo::kPlaces[next() % demo::kPlaces.size()];
  c.detail =
      fmt::format("演示路{}号{}栋{}室", 1 + next() % 999, 1 + next() % 30, 101 + next() % 2708);
  c.phones = 1 + static_cast<int>(next() % 3);
  return c;
}

// 170 (virtual operators) and 8 digits; ids below 10,000 give the demo's 1700000xxxx block.
std::string phone_number(std::int64_t customer_id, int which) {
  return fmt::format("170{:08}", customer_id * 3 + which);
}

// ---- rows, as the store writes them; ids are relative to the chunk until written -----------

struct OrderRow {
  std::string order_no;
  S status;
  std::string name_sealed, phone_sealed, phone_index, phone_last4, name_masked, phone_masked;
  const Place* place;
  std::string detail_sealed, items_json;
  std::int64_t amount_fen, shipping_fen, discount_fen;
  EpochMs created_at, updated_at;
  std::optional<EpochMs> finished_at;
};

struct EventRow {
  std::int64_t order;  // index in the chunk
  S status;
  std::optional<S> from;
  EpochMs at, recorded_at;
  bool carrier;
  std::string note;
};

struct ShipmentRow {
  std::int64_t order;  // index in the chunk
  EpochMs order_created_at;
  const CarrierPick* carrier;
  std::string waybill_no;
  EpochMs created_at;
  const char* temp_class;
  std::optional<EpochMs> next_poll_at;  // its shipment_polling row
};

struct TrackingRow {
  std::int64_t shipment;  // index in the chunk
  T status;
  std::string_view reason;
  std::string location;
  EpochMs last_event_at;
  std::int64_t trace_count;
  std::string traces_json;
  EpochMs heard_at, status_at;
};

struct TrackingEventRow {
  std::int64_t shipment;  // index in the chunk
  T status;
  std::string_view reason;
  std::optional<T> from;
  EpochMs at, recorded_at;
};

struct Chunk {
  std::vector<OrderRow> orders;
  std::vector<EventRow> events;
  std::vector<ShipmentRow> shipments;
  std::vector<TrackingRow> tracking;
  std::vector<TrackingEventRow> tracking_events;
  std::int64_t traces = 0;
};

// ---- JSON written by hand: byte for byte what boost::json::serialize makes of the same values
// (checked by the unit test); every string here is our own, with nothing to escape ----------

void append_item(std::string& out, const demo::Product& p, std::int64_t qty) {
  fmt::format_to(std::back_inserter(out),
                 R"({{"sku":"{}","name":"{}","category":"{}","quantity":{},"unit_price_fen":{}}})",
                 p.sku, p.name, p.category, qty, p.price_fen);
}

struct Trace {
  EpochMs at, recorded_at;
  std::string description;
  std::string_view location;
  T status;
  std::string_view reason;
};

void append_trace(std::string& out, const Trace& t) {
  fmt::format_to(std::back_inserter(out),
                 R"({{"time":{},"description":"{}","location":"{}","raw_code":""}})", t.at,
                 t.description, t.location);
}

// ---- one chunk of orders ---------------------------------------------------------------------

struct Plan {
  GenDemoOptions options;
  EpochMs now;
  std::int64_t customers;
  TimeCurve curve;
  const service::PiiCodec* pii;
};

struct Step {
  S status;
  EpochMs at, recorded_at;
  std::optional<T> tracking;  // caused by this carrier update (actor carrier:demo)
};

void generate_chunk(const Plan& plan, std::int64_t chunk, Chunk& out) {
  const auto& opt = plan.options;
  const EpochMs now = plan.now;
  Rng rng(splitmix64(splitmix64(opt.seed) + static_cast<std::uint64_t>(chunk)));
  const std::int64_t first = chunk * kChunk;
  const std::int64_t last = std::min(opt.orders, first + kChunk);
  out.orders.reserve(static_cast<std::size_t>(last - first));

  EpochMs day_of_no = -1;
  std::string date_of_no;
  std::vector<Step> steps;
  std::vector<Trace> traces;
  for (std::int64_t i = first; i < last; ++i) {
    const auto k = static_cast<std::int64_t>(out.orders.size());
    // Strictly increasing quantiles: order i is placed after order i - 1.
    const EpochMs created =
        plan.curve.at((static_cast<double>(i) + rng.u01()) / static_cast<double>(opt.orders));
    // Regulars and occasional buyers: 70 % of orders come from the first fifth of the
    // customers (about 23 orders each on average, whatever N), the rest from anyone.
    const auto cid = static_cast<std::int64_t>(
        rng.u01() < 0.7
            ? rng.index(static_cast<std::size_t>(std::max<std::int64_t>(1, plan.customers / 5)))
            : rng.index(static_cast<std::size_t>(plan.customers)));
    const Customer c = customer(cid);
    const std::string phone = phone_number(cid, static_cast<int>(rng.index(c.phones)));

    OrderRow o;
    if (const EpochMs day = (created + kChinaOffset) / kDay; day != day_of_no) {
      day_of_no = day;
      date_of_no = domain::format_rfc3339(created, 480).substr(0, 10);
      std::erase(date_of_no, '-');
    }
    o.order_no = fmt::format("GD{}-{}-{:08}", opt.seed, date_of_no, i);
    o.name_sealed = plan.pii->seal(c.name, "customer.name");
    o.phone_sealed = plan.pii->seal(phone, "customer.phone");
    o.phone_index = plan.pii->phone_index(phone);
    o.phone_last4 = phone.substr(7);
    o.name_masked = domain::mask_name(c.name);
    o.phone_masked = domain::mask_phone(phone);
    o.place = c.place;
    o.detail_sealed = plan.pii->seal(c.detail, "address.detail");
    std::int64_t total = 0;
    int coldest = 2;  // 0 frozen, 1 chilled, 2 ambient: the strictest item decides
    o.items_json.push_back('[');
    const auto lines = rng.between(1, 3);
    for (std::int64_t l = 0; l < lines; ++l) {
      const auto& p = demo::kProducts[rng.index(demo::kProducts.size())];
      const auto qty = rng.between(1, 4);
      total += qty * p.price_fen;
      if (l) o.items_json += ',';
      append_item(o.items_json, p, qty);
      const std::string_view cat = p.category;
      coldest = std::min(coldest, cat == "frozen" ? 0 : cat == "chilled" ? 1 : 2);
    }
    o.items_json += ']';
    o.shipping_fen = total >= 9900 ? 0 : 1200;  // free cold-chain shipping from 99 yuan
    o.discount_fen = rng.between(0, 4) == 0 ? 500 : 0;
    o.amount_fen = total + o.shipping_fen - o.discount_fen;
    o.created_at = created;

    // The order's whole life as it will happen, carrier traces included; what lies after `now`
    // is cut off below, so recent orders are still open and old ones are settled.
    steps.clear();
    traces.clear();
    const CarrierPick* carrier = nullptr;
    std::string waybill;
    auto step = [&](S s, EpochMs at) { steps.push_back({s, at, at, std::nullopt}); };
    auto trace = [&](EpochMs at, std::string text, std::string_view where, T st,
                     std::string_view reason = "") {
      // Pushes arrive a little after the scan.
      const EpochMs recorded = std::min(now, at + rng.between(20'000, 300'000));
      traces.push_back({at, recorded, std::move(text), where, st, reason});
    };
    // An order status change caused by the carrier update just traced.
    auto carrier_step = [&](S s) {
      steps.push_back({s, traces.back().at, traces.back().recorded_at, traces.back().status});
    };
    const std::string_view city = c.place->city;
    const std::string_view origin = demo::kOrigin;
    step(S::kCreated, created);
    const auto roll = rng.between(0, 999);
    if (roll < 60) {  // unpaid, cancelled
      step(S::kCancelled, created + rng.between(5 * kMinute, 2 * kHour));
    } else {
      const EpochMs paid = created + rng.between(kMinute, 30 * kMinute);
      step(S::kPaid, paid);
      if (roll < 85) {  // refunded before it shipped
        step(S::kRefunded, paid + rng.between(kHour, 2 * kDay));
      } else {
        const EpochMs shipped = paid + rng.between(2 * kHour, 30 * kHour);
        step(S::kShipped, shipped);
        carrier = &demo::kCarriers[rng.index(demo::kCarriers.size())];
        // Unique within a run: a bijection of the order index onto 12 digits.
        const auto serial = (static_cast<std::uint64_t>(i) * 387'420'489ULL +
                             splitmix64(opt.seed) % 1'000'000'000'000ULL) %
                            1'000'000'000'000ULL;
        waybill = fmt::format("{}{:012}", carrier->prefix, serial);
        const TransitTimes tt = draw_transit(rng.engine(), origin, city, carrier->code, shipped);
        const EpochMs picked = tt.picked_up_at, ofd = tt.out_for_delivery_at;
        const EpochMs span = ofd - picked;
        trace(picked, "快递员已揽收", origin, T::kPickedUp);
        carrier_step(S::kInTransit);
        const EpochMs sent = picked + std::min(3 * kHour, span / 4);
        trace(sent, fmt::format("快件已发往{}转运中心", city), origin, T::kInTransit);
        // At the destination hub about 5 hours before the delivery round (less on short trips).
        const EpochMs hub = std::clamp(ofd - 5 * kHour, sent + std::min(kHour, span / 4),
                                       ofd - std::min(30 * kMinute, span / 4));
        // Line-haul scans: carriers scan at every hub, a few hours apart.
        for (EpochMs at = picked + 9 * kHour; at < hub - 2 * kHour; at += 6 * kHour)
          trace(at, "快件在运输途中，已到达中转场", "", T::kInTransit);
        trace(hub, fmt::format("快件已到达{}转运中心", city), city, T::kInTransit);
        trace(ofd, "快递员正在派送", city, T::kOutForDelivery);
        if (roll < 100) {  // a failed delivery
          const EpochMs failed = ofd + rng.between(kHour, 3 * kHour);
          if (rng.index(5) < 3) {  // nobody answered: delivered the next day
            trace(failed, "派送失败，电话无人接听", city, T::kException, "UNREACHABLE");
            carrier_step(S::kException);
            const EpochMs again = failed + rng.between(16 * kHour, 22 * kHour);
            trace(again, "快递员正在派送", city, T::kOutForDelivery);
            const EpochMs delivered = again + rng.between(30 * kMinute, 3 * kHour);
            trace(delivered, "快件已签收，签收人：本人", city, T::kDelivered);
            carrier_step(S::kDelivered);
            step(S::kCompleted, delivered + rng.between(7 * kDay, 8 * kDay));
          } else {  // refused (thawed on arrival): sent back and refunded
            trace(failed, "收件人拒收", city, T::kException, "REJECTED");
            carrier_step(S::kException);
            const EpochMs back = failed + rng.between(4 * kHour, 10 * kHour);
            trace(back, "快件已退回，正在返回寄件人", city, T::kReturning);
            const EpochMs returned = back + rng.between(2 * kDay, 4 * kDay);
            for (EpochMs at = back + 6 * kHour; at < returned - 2 * kHour; at += 6 * kHour)
              trace(at, "退回件在运输途中，已到达中转场", "", T::kReturning);
            trace(returned, "退回件已签收", origin, T::kReturned);
            step(S::kRefunded, returned + rng.between(kHour, kDay));
          }
        } else {
          const EpochMs delivered = tt.delivered_at;
          trace(delivered, "快件已签收，签收人：本人", city, T::kDelivered);
          carrier_step(S::kDelivered);
          const EpochMs refund = delivered + rng.between(kHour, 2 * kDay);
          if (roll < 130) {  // after-sales refund
            step(S::kRefunding, refund);
            step(S::kRefunded, refund + rng.between(kHour, 2 * kDay));
          } else if (roll < 135) {  // refund refused
            step(S::kRefunding, refund);
            step(S::kCompleted, refund + rng.between(2 * kDay, 5 * kDay));
          } else {  // confirmed automatically after the after-sales window
            step(S::kCompleted, delivered + rng.between(7 * kDay, 8 * kDay));
          }
        }
      }
    }

    // Cut at now. The first step (CREATED) is never in the future.
    std::optional<S> prev;
    const Step* current = nullptr;
    for (const auto& s : steps) {
      if (s.at > now) break;
      std::string note;
      if (s.status == S::kShipped) {
        note = fmt::format("{} {}", carrier->code, waybill);
      } else if (s.tracking) {  // as apply_tracking notes it
        note = fmt::format("{} {} {}", carrier->code, waybill, carriers::to_string(*s.tracking));
      }
      out.events.push_back(
          {k, s.status, prev, s.at, s.recorded_at, s.tracking.has_value(), std::move(note)});
      prev = s.status;
      current = &s;
    }
    o.status = current->status;
    o.updated_at = current->recorded_at;
    if (domain::is_finished(o.status)) o.finished_at = current->at;

    if (carrier && steps[2].at <= now) {  // shipped
      const auto sid = static_cast<std::int64_t>(out.shipments.size());
      ShipmentRow sh{k,           created,
                     carrier,     std::move(waybill),
                     steps[2].at, coldest == 0 ? "frozen" : coldest == 1 ? "chilled" : "ambient",
                     std::nullopt};
      carriers::PollState poll;  // subscribed to pushes when the shipment was added
      poll.subscribed = true;
      poll.shipped_at = sh.created_at;
      std::size_t seen = 0;
      while (seen < traces.size() && traces[seen].at <= now) ++seen;
      if (seen > 0) {
        TrackingRow tr;
        tr.shipment = sid;
        tr.traces_json.push_back('[');
        std::optional<T> status;
        std::string_view reason;
        for (std::size_t t = 0; t < seen; ++t) {
          const auto& x = traces[t];
          if (t) tr.traces_json += ',';
          append_trace(tr.traces_json, x);
          if (!status || *status != x.status || reason != x.reason) {
            out.tracking_events.push_back({sid, x.status, x.reason, status, x.at, x.recorded_at});
            tr.status_at = x.at;
          }
          status = x.status;
          reason = x.reason;
        }
        tr.traces_json += ']';
        const auto& newest = traces[seen - 1];
        tr.status = newest.status;
        tr.reason = newest.reason;
        tr.location = std::string(newest.location);
        tr.last_event_at = newest.at;
        tr.trace_count = static_cast<std::int64_t>(seen);
        tr.heard_at = newest.recorded_at;
        out.traces += tr.trace_count;
        poll.tracked = true;
        poll.status = tr.status;
        poll.heard_at = tr.heard_at;
        out.tracking.push_back(std::move(tr));
      }
      sh.next_poll_at = carriers::next_poll_at(carriers::PollPolicy{}, poll);
      out.shipments.push_back(std::move(sh));
    }
    out.orders.push_back(std::move(o));
  }
}

// ---- the generator threads: chunks in any order, handed to the writer in order -------------

class Generator {
 public:
  Generator(const Plan& plan, int threads, std::int64_t chunks)
      : plan_(plan), chunks_(chunks), ahead_(2 * threads + 2) {
    for (int t = 0; t < threads; ++t) threads_.emplace_back([this] { work(); });
  }
  ~Generator() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    space_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Chunk `index` (taken in order 0, 1, ...); rethrows a generator thread's failure.
  Chunk take(std::int64_t index) {
    std::unique_lock lock(mu_);
    ready_cv_.wait(lock, [&] { return error_ || done_.contains(index); });
    if (!done_.contains(index)) std::rethrow_exception(error_);
    auto node = done_.extract(index);
    taken_ = index + 1;
    lock.unlock();
    space_cv_.notify_all();
    return std::move(node.mapped());
  }

 private:
  void work() {
    for (;;) {
      std::int64_t c;
      {
        std::unique_lock lock(mu_);
        // Bounded look-ahead: memory stays flat however many orders there are.
        space_cv_.wait(lock, [&] { return stop_ || next_ >= chunks_ || next_ < taken_ + ahead_; });
        if (stop_ || next_ >= chunks_) return;
        c = next_++;
      }
      Chunk chunk;
      try {
        generate_chunk(plan_, c, chunk);
      } catch (...) {
        std::lock_guard lock(mu_);
        if (!error_) error_ = std::current_exception();
        ready_cv_.notify_all();
        return;
      }
      {
        std::lock_guard lock(mu_);
        done_.emplace(c, std::move(chunk));
      }
      ready_cv_.notify_all();
    }
  }

  const Plan& plan_;
  const std::int64_t chunks_;
  const std::int64_t ahead_;
  std::mutex mu_;
  std::condition_variable ready_cv_, space_cv_;
  std::map<std::int64_t, Chunk> done_;
  std::int64_t next_ = 0, taken_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

// ---- writing ---------------------------------------------------------------------------------

struct Ids {
  std::int64_t order, event, shipment, tracking_event;
};

std::int64_t scalar(sql::Conn& db, const std::string& query) {
  auto s = db.prepare(query);
  return s.step() && !s.is_null(0) ? s.i64(0) : 0;
}

// The next ids: after the highest ever used, live or archived (SQLite's AUTOINCREMENT also
// remembers ids whose rows are gone). Read in each transaction, so a server writing between
// two of them cannot collide with us.
Ids next_ids(sql::Conn& db) {
  auto next = [&](std::string_view table, std::string_view archive) {
    std::int64_t top = scalar(db, fmt::format("SELECT MAX(id) FROM {}", table));
    if (!archive.empty())
      top = std::max(top, scalar(db, fmt::format("SELECT MAX(id) FROM {}", archive)));
    if (db.dialect() == sql::Dialect::sqlite)
      top = std::max(
          top, scalar(db, fmt::format("SELECT seq FROM sqlite_sequence WHERE name = '{}'", table)));
    return top + 1;
  };
  return {next("orders", "orders_archive"), next("order_events", "order_events_archive"),
          next("shipments", "shipments_archive"), next("tracking_events", "")};
}

struct Table {
  Table(std::string_view name, std::string_view columns, int count) {
    std::string row = "(";
    for (int i = 0; i < count; ++i) row += i ? ",?" : "?";
    row += ')';
    single = fmt::format("INSERT INTO {} ({}) VALUES {}", name, columns, row);
    multi = single;
    for (std::size_t i = 1; i < kRowsPerStatement; ++i) multi += "," + row;
  }
  std::string single, multi;
};

const Table kOrders(
    "orders",
    "id, order_no, status, name_sealed, phone_sealed, phone_index, phone_last4, openid, province, "
    "city, district, detail_sealed, items_json, amount_fen, shipping_fen, discount_fen, remark, "
    "body_hash, created_at, updated_at, finished_at, name_masked, phone_masked",
    23);
const Table kEvents("order_events",
                    "id, order_id, status, from_status, at, recorded_at, actor, note", 8);
const Table kShipments("shipments",
                       "id, order_id, order_created_at, carrier, waybill_no, created_at, "
                       "origin_city, service, temp_class",
                       9);
const Table kPolling("shipment_polling",
                     "shipment_id, provider, subscribed, next_poll_at, last_query_at, failures, "
                     "last_error, last_response",
                     8);
const Table kTracking("shipment_tracking",
                      "shipment_id, provider, status, reason, raw_state, raw_substate, location, "
                      "last_event_at, trace_count, traces_json, raw_payload, heard_at, "
                      "updated_at, status_at",
                      14);
const Table kTrackingEvents(
    "tracking_events", "id, shipment_id, status, reason, from_status, at, recorded_at, provider",
    8);

// Binds the parameters of one statement left to right.
class Binder {
 public:
  explicit Binder(sql::Stmt& s) : s_(s) {}
  void restart() { p_ = 1; }
  template <class V>
  Binder& operator<<(const V& v) {
    s_.bind(p_++, v);
    return *this;
  }
  // An empty view may have no data pointer, which SQLite would bind as NULL.
  Binder& operator<<(std::string_view v) {
    s_.bind(p_++, v.data() ? v : std::string_view(""));
    return *this;
  }
  Binder& blob(std::string_view v) {
    s_.bind_blob(p_++, v);
    return *this;
  }
  Binder& null() {
    s_.bind_null(p_++);
    return *this;
  }

 private:
  sql::Stmt& s_;
  int p_ = 1;
};

// Binds rows kRowsPerStatement at a time (one statement per group), the rest one by one.
template <class Row, class Bind>
void insert_rows(sql::Conn& db, const Table& table, const std::vector<Row>& rows, Bind bind) {
  std::size_t i = 0;
  if (rows.size() >= kRowsPerStatement) {
    auto s = db.prepare(table.multi);
    Binder b(s);
    for (; i + kRowsPerStatement <= rows.size(); i += kRowsPerStatement) {
      b.restart();
      for (std::size_t r = 0; r < kRowsPerStatement; ++r) bind(b, rows[i + r], i + r);
      s.run();
      s.reset();
    }
  }
  if (i < rows.size()) {
    auto s = db.prepare(table.single);
    Binder b(s);
    for (; i < rows.size(); ++i) {
      b.restart();
      bind(b, rows[i], i);
      s.run();
      s.reset();
    }
  }
}

void write_chunk(sql::Conn& db, const Chunk& c, Ids& ids) {
  const Ids base = ids;
  const auto n = [](std::size_t i) { return static_cast<std::int64_t>(i); };
  insert_rows(db, kOrders, c.orders, [&](Binder& b, const OrderRow& o, std::size_t i) {
    (b << base.order + n(i) << o.order_no << domain::to_string(o.status))
            .blob(o.name_sealed)
            .blob(o.phone_sealed)
        << o.phone_index << o.phone_last4;
    (b.null() << o.place->province << o.place->city << o.place->district).blob(o.detail_sealed)
        << o.items_json << o.amount_fen << o.shipping_fen << o.discount_fen << kRemark
        << "demo:" + o.order_no << o.created_at << o.updated_at << o.finished_at << o.name_masked
        << o.phone_masked;
  });
  insert_rows(db, kEvents, c.events, [&](Binder& b, const EventRow& e, std::size_t i) {
    b << base.event + n(i) << base.order + e.order << domain::to_string(e.status);
    if (e.from) {
      b << domain::to_string(*e.from);
    } else {
      b.null();
    }
    b << e.at << e.recorded_at << (e.carrier ? kCarrierActor : kActor) << e.note;
  });
  insert_rows(db, kShipments, c.shipments, [&](Binder& b, const ShipmentRow& sh, std::size_t i) {
    b << base.shipment + n(i) << base.order + sh.order << sh.order_created_at << sh.carrier->code
      << sh.waybill_no << sh.created_at << demo::kOrigin << "standard" << sh.temp_class;
  });
  insert_rows(db, kPolling, c.shipments, [&](Binder& b, const ShipmentRow& sh, std::size_t i) {
    (b << base.shipment + n(i) << kProvider << 1 << sh.next_poll_at).null() << 0 << ""
                                                                            << "";
  });
  insert_rows(db, kTracking, c.tracking, [&](Binder& b, const TrackingRow& t, std::size_t) {
    const auto status = carriers::to_string(t.status);
    b << base.shipment + t.shipment << kProvider << status << t.reason << status << "" << t.location
      << t.last_event_at << t.trace_count << t.traces_json << "{}" << t.heard_at << t.heard_at
      << t.status_at;
  });
  insert_rows(db, kTrackingEvents, c.tracking_events,
              [&](Binder& b, const TrackingEventRow& e, std::size_t i) {
                b << base.tracking_event + n(i) << base.shipment + e.shipment
                  << carriers::to_string(e.status) << e.reason;
                if (e.from) {
                  b << carriers::to_string(*e.from);
                } else {
                  b.null();
                }
                b << e.at << e.recorded_at << kProvider;
              });
  ids.order += n(c.orders.size());
  ids.event += n(c.events.size());
  ids.shipment += n(c.shipments.size());
  ids.tracking_event += n(c.tracking_events.size());
}

std::string seed_prefix(std::uint64_t seed) {
  return fmt::format("GD{}-", seed);
}

void check_target(sql::Conn& db, const GenDemoOptions& o) {
  const std::int64_t existing =
      scalar(db, "SELECT COUNT(*) FROM orders") + scalar(db, "SELECT COUNT(*) FROM orders_archive");
  if (existing > 0 && !o.append)
    throw GenDemoRefused(fmt::format(
        "the database already holds {} orders; gen-demo fills an empty database (add --append "
        "to add to this one, or point store.sqlite.path / COLDTRACK_STORE_SQLITE_PATH at a new "
        "file)",
        existing));
  if (existing == 0) return;
  // Order numbers are GD<seed>-<date>-<index>: a seed used before would collide.
  const std::string lo = seed_prefix(o.seed), hi = fmt::format("GD{}.", o.seed);  // '.' > '-'
  for (const char* table : {"orders", "orders_archive"}) {
    auto s = db.prepare(
        fmt::format("SELECT order_no FROM {} WHERE order_no >= ? AND order_no < ? LIMIT 1", table));
    s.bind(1, lo).bind(2, hi);
    if (s.step())
      throw GenDemoRefused(fmt::format(
          "orders of seed {} are in the database already ({}...); use another --seed with "
          "--append",
          o.seed, lo));
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void validate(const GenDemoOptions& o) {
  if (o.orders < 1 || o.orders > 100'000'000)
    throw std::invalid_argument("--orders must be 1..100000000");
  if (o.days < 1 || o.days > 3650) throw std::invalid_argument("--days must be 1..3650");
  if (o.batch < 1) throw std::invalid_argument("--batch must be at least 1");
}

}  // namespace

GenDemoStats generate_demo_data(sql::Conn& db, const service::PiiCodec& pii,
                                const GenDemoOptions& options, const GenDemoProgress& progress) {
  validate(options);
  const auto t0 = std::chrono::steady_clock::now();
  check_target(db, options);

  const EpochMs now = options.now_ms > 0 ? options.now_ms : now_ms();
  // About six orders per customer on average (regulars some 23), two to three per phone.
  const Plan plan{options, now, std::max<std::int64_t>(1, (options.orders + 5) / 6),
                  TimeCurve(now - options.days * kDay, options.days), &pii};
  const std::int64_t chunks = (options.orders + kChunk - 1) / kChunk;
  const int threads =
      options.threads > 0
          ? options.threads
          : static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1U, 16U));
  Generator generator(plan, static_cast<int>(std::min<std::int64_t>(threads, chunks)), chunks);

  GenDemoStats stats;
  std::optional<sql::Transaction> tx;
  Ids ids{};
  std::int64_t in_tx = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
    if (options.cancel && options.cancel->load()) {
      if (tx) {
        tx->commit();
        tx.reset();
      }
      stats.interrupted = true;
      break;
    }
    const Chunk chunk = generator.take(c);
    if (!tx) {
      tx.emplace(db);
      ids = next_ids(db);
    }
    write_chunk(db, chunk, ids);
    stats.orders += static_cast<std::int64_t>(chunk.orders.size());
    stats.order_events += static_cast<std::int64_t>(chunk.events.size());
    stats.shipments += static_cast<std::int64_t>(chunk.shipments.size());
    stats.polling += static_cast<std::int64_t>(chunk.shipments.size());
    stats.tracking += static_cast<std::int64_t>(chunk.tracking.size());
    stats.tracking_events += static_cast<std::int64_t>(chunk.tracking_events.size());
    stats.traces += chunk.traces;
    in_tx += static_cast<std::int64_t>(chunk.orders.size());
    if (in_tx >= options.batch || c + 1 == chunks) {
      tx->commit();
      tx.reset();
      in_tx = 0;
      stats.seconds = seconds_since(t0);
      if (progress) progress(stats);
    }
  }
  stats.seconds = seconds_since(t0);
  return stats;
}

GenDemoStats load_demo_data(const Config& config, const service::PiiCodec& pii,
                            const GenDemoOptions& options, const GenDemoProgress& progress) {
  validate(options);
  open_store(config)->close();  // creates the database and applies pending migrations
  if (config.store.backend == "mysql") {
    store::mysql::MysqlOptions m;
    m.url = store::mysql::parse_mysql_url(config.store.mysql.url);
    m.connect_timeout_ms = config.store.mysql.connect_timeout_ms;
    m.rw_timeout_ms = std::max(config.store.mysql.rw_timeout_ms, 600'000);  // big commits
    store::mysql::MysqlConn conn(m);
    return generate_demo_data(conn, pii, options, progress);
  }
  const auto& path = config.store.sqlite.path;
  store::sqlite::Db db(path, config.store.sqlite.busy_timeout_ms, false, false);
  // A benchmark load of synthetic data that can simply be generated again, so durability of the
  // load does not matter: commits do not wait for the disk (synchronous=OFF), and a 1 GiB page
  // cache keeps the growing ends of the tables and indexes in memory.
  db.exec("PRAGMA synchronous=OFF");
  db.exec("PRAGMA cache_size=-1048576");
  // Index builds at the end may sort on helper threads (the generator threads are done by then).
  db.exec(
      fmt::format("PRAGMA threads={}", std::clamp(std::thread::hardware_concurrency(), 1U, 4U)));
  // Into a database without orders, pages are written once, without a rollback journal or WAL
  // (about 1.4x faster). The price: a load that dies half-way (power cut, kill -9, disk full)
  // may leave a damaged file, which is then deleted and generated again; SIGINT and SIGTERM
  // stop cleanly after the current chunk (see GenDemoOptions::cancel). Adding to a database
  // that holds orders keeps WAL: each batch is then all or nothing.
  bool journal_off = false;
  if (scalar(db, "SELECT EXISTS (SELECT 1 FROM orders) OR EXISTS (SELECT 1 FROM orders_archive)") ==
      0) {
    auto s = db.prepare("PRAGMA journal_mode=OFF");
    journal_off = s.step() && s.text(0) == "off";  // stays WAL while another process has it open
  }
  // Into an empty database, the secondary indexes of the tables we fill are built once at the
  // end (sorted, bottom-up) instead of row by row: 1.4x faster over all at 4 M orders than
  // keeping all but the two with random keys (phone blind index, waybill), although the others
  // only grow at their ends (rows arrive in id and time order).
  // They are recreated from their own definitions in the schema, so they come back exactly as
  // the migrations made them; the UNIQUE constraints' indexes stay (they grow at their ends).
  std::vector<std::pair<std::string, std::string>> indexes;  // name, CREATE INDEX statement
  if (journal_off) {
    auto s = db.prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
        "tbl_name IN ('orders', 'order_events', 'shipments', 'shipment_polling', "
        "'shipment_tracking', 'tracking_events') ORDER BY name");
    while (s.step()) indexes.emplace_back(s.text(0), s.text(1));
  }
  GenDemoStats stats;
  try {
    for (const auto& [name, _] : indexes) db.exec(fmt::format("DROP INDEX \"{}\"", name));
    stats = generate_demo_data(db, pii, options, progress);
    // The sorter takes memory beside the page cache (hand it most of the cache's) and spills to
    // temporary files, not memory (the store's connections keep temp_store=MEMORY), so memory
    // stays flat however big the indexes are.
    db.exec("PRAGMA cache_size=-262144");
    db.exec("PRAGMA temp_store=FILE");
    for (const auto& [_, create] : indexes) db.exec(create);
    // Planner statistics now (otherwise the server's PRAGMA optimize at close would run a full
    // ANALYZE of the big tables), then back to WAL with everything in the main file.
    db.exec("ANALYZE");
    if (journal_off) {
      auto s = db.prepare("PRAGMA journal_mode=WAL");
      if (!s.step() || s.text(0) != "wal")
        throw std::runtime_error("could not switch the database back to WAL");
    }
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const GenDemoRefused&) {
    throw;
  } catch (const std::exception& e) {
    if (!journal_off) throw;
    throw std::runtime_error(fmt::format(
        "{} (the load wrote without a journal, so {} may be damaged: delete it and run again)",
        e.what(), path));
  }
  return stats;
}

namespace {
std::atomic<bool> stop_requested{false};
extern "C" void request_stop(int sig) {
  stop_requested.store(true);
  std::signal(sig, SIG_DFL);  // a second one ends the process at once
}
}  // namespace

int gen_demo(const Config& config, const GenDemoOptions& options_in) {
  const auto t0 = std::chrono::steady_clock::now();
  GenDemoOptions options = options_in;
  options.cancel = &stop_requested;
  stop_requested = false;
  struct Handlers {
    void (*old_int)(int) = std::signal(SIGINT, request_stop);
    void (*old_term)(int) = std::signal(SIGTERM, request_stop);
    ~Handlers() {
      std::signal(SIGINT, old_int);
      std::signal(SIGTERM, old_term);
    }
  } handlers;
  const bool mysql = config.store.backend == "mysql";
  const std::string target = mysql
                                 ? store::mysql::parse_mysql_url(config.store.mysql.url).redacted()
                                 : "sqlite:" + config.store.sqlite.path;
  try {
    bool created = false;
    const auto key = resolve_data_key(config, true, &created);
    if (created)
      std::cerr << "gen-demo: generated a new data key in the key file beside the database "
                   "(set security.data_key in production)\n";
    const service::PiiCodec pii(key);
    std::cerr << fmt::format("gen-demo: {} orders over the last {} days (seed {}) into {}\n",
                             thousands(options.orders), options.days, options.seed, target);
    auto last = std::chrono::steady_clock::now();
    const auto progress = [&](const GenDemoStats& s) {
      const auto at = std::chrono::steady_clock::now();
      if (s.orders < options.orders && at - last < std::chrono::seconds(2)) return;
      last = at;
      std::cerr << fmt::format("gen-demo: {}/{} orders ({}%), {} orders/s\n", thousands(s.orders),
                               thousands(options.orders), s.orders * 100 / options.orders,
                               thousands(static_cast<std::int64_t>(
                                   s.seconds > 0 ? static_cast<double>(s.orders) / s.seconds : 0)));
    };
    const auto stats = load_demo_data(config, pii, options, progress);
    const double total = seconds_since(t0);
    std::int64_t bytes = -1;
    if (!mysql) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(config.store.sqlite.path, ec);
      if (!ec) bytes = static_cast<std::int64_t>(size);
    }
    const double rate = total > 0 ? static_cast<double>(stats.orders) / total : 0;
    std::cerr << fmt::format(
        "gen-demo: {} orders, {} order events, {} shipments, {} tracking snapshots ({} traces), "
        "{} tracking events in {:.1f} s ({:.1f} s writing): {} orders/s{}\n",
        thousands(stats.orders), thousands(stats.order_events), thousands(stats.shipments),
        thousands(stats.tracking), thousands(stats.traces), thousands(stats.tracking_events), total,
        stats.seconds, thousands(static_cast<std::int64_t>(rate)),
        bytes >= 0 ? fmt::format("; database {:.1f} MB", static_cast<double>(bytes) / 1e6)
                   : std::string());
    std::cout << fmt::format(
                     R"({{"orders":{},"order_events":{},"shipments":{},"shipment_polling":{},)"
                     R"("tracking":{},"tracking_events":{},"traces":{},"seconds":{:.2f},)"
                     R"("orders_per_s":{},"database_bytes":{}}})",
                     stats.orders, stats.order_events, stats.shipments, stats.polling,
                     stats.tracking, stats.tracking_events, stats.traces, total,
                     static_cast<std::int64_t>(rate), bytes >= 0 ? std::to_string(bytes) : "null")
              << std::endl;
    if (stats.interrupted) {
      std::cerr << fmt::format(
          "gen-demo: interrupted: {} of {} orders written; the database is complete and usable "
          "with those\n",
          thousands(stats.orders), thousands(options.orders));
      return 1;
    }
    return 0;
  } catch (const GenDemoRefused& e) {
    std::cerr << "gen-demo: refused: " << e.what() << "\n";
    return 1;
  } catch (const ConfigError&) {
    throw;  // main prints it (exit 2)
  } catch (const std::exception& e) {
    std::cerr << "gen-demo: failed: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace coldtrack::app
