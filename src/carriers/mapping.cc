// Provider code tables (protocols/carrier-codes.md §3-4). One row per listed code; correct an
// unverified entry by editing its row, never by adding logic.
#include "carriers/mapping.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>

namespace coldtrack::carriers {
namespace {

using S = TrackingStatus;

struct Row {
  std::string_view code;
  TrackingStatus status;
  std::string_view reason;  // "" = none
};

// ---- Kdniao (carrier-codes.md §3) --------------------------------------------------------------

// `State`: used only when `StateEx` is absent or unknown.
constexpr Row kKdniaoState[] = {
    {"0", S::kNoInfo, ""},    {"1", S::kPickedUp, ""},       {"2", S::kInTransit, ""},
    {"3", S::kDelivered, ""}, {"4", S::kException, "OTHER"}, {"5", S::kInTransit, "FORWARDED"},
    {"6", S::kCustoms, ""},
};

// `StateEx`. 405-423 names are approximate; the alternative readings (carrier-codes.md §3,
// carriers-kdniao.md §6) are noted per row so a confirmed reading is a one-row change.
constexpr Row kKdniaoStateEx[] = {
    {"0", S::kNoInfo, ""},
    {"1", S::kPickedUp, ""},
    {"2", S::kInTransit, ""},
    {"201", S::kInTransit, ""},       // arrived destination city
    {"202", S::kOutForDelivery, ""},  // out for delivery
    {"204", S::kInTransit, ""},       // arrived at transfer hub
    {"205", S::kInTransit, ""},       // arrived at delivery branch
    {"206", S::kInTransit, ""},       // left origin
    {"211", S::kAtPickupPoint, ""},   // placed in locker / station
    {"3", S::kDelivered, ""},
    {"301", S::kDelivered, ""},  // normal signed
    {"302", S::kDelivered, ""},  // signed after problem
    {"304", S::kDelivered, ""},  // signed by proxy
    {"311", S::kDelivered, ""},  // picked up from locker
    {"4", S::kException, "OTHER"},
    {"401", S::kException, "NO_TRACE"},
    {"402", S::kException, "NOT_SIGNED_TIMEOUT"},
    {"403", S::kException, "NO_UPDATE"},
    {"404", S::kException, "REJECTED"},
    {"405", S::kException, "DELIVERY_FAILED"},
    {"406", S::kReturned, ""},
    {"407", S::kReturning, ""},
    {"412", S::kException, "PICKUP_OVERDUE"},
    {"413", S::kException, "REDIRECTED"},  // alt: intercepted -> REDIRECTED
    {"414", S::kException, "DAMAGED"},
    {"415", S::kException, "CANCELLED"},
    {"416", S::kException, "UNREACHABLE"},
    {"417", S::kException, "DELAYED"},
    {"418", S::kException, "HELD"},               // alt: parcel withdrawn -> HELD
    {"419", S::kException, "ADDRESS_PROBLEM"},    // alt: re-delivery -> DELIVERY_FAILED
    {"420", S::kException, "COLLECTION_FAILED"},  // alt: address incomplete -> ADDRESS_PROBLEM
    {"421", S::kException, "DELAYED"},            // alt: wrong receiver phone -> UNREACHABLE
    {"422", S::kException, "LOST"},               // alt: mis-sorted -> MISSORTED
    {"423", S::kException, "OTHER"},              // alt: outside service area -> ADDRESS_PROBLEM
    {"5", S::kInTransit, "FORWARDED"},
    {"6", S::kCustoms, ""},
    {"601", S::kCustoms, ""},
    {"602", S::kCustoms, ""},
    {"603", S::kCustoms, ""},
    {"604", S::kCustoms, ""},  // unverified; if "clearance exception": EXCEPTION/CUSTOMS_PROBLEM
    {"10", S::kAwaitingPickup, ""},
};

// ---- Kuaidi100 (carrier-codes.md §4) -----------------------------------------------------------

constexpr Row kKuaidi100State[] = {
    {"0", S::kInTransit, ""},
    {"1", S::kPickedUp, ""},
    {"2", S::kException, "OTHER"},
    {"3", S::kDelivered, ""},
    {"4", S::kReturned, ""},
    {"5", S::kOutForDelivery, ""},
    {"6", S::kReturning, ""},
    {"7", S::kInTransit, "FORWARDED"},
    {"8", S::kCustoms, ""},
    {"10", S::kCustoms, ""},
    {"11", S::kCustoms, ""},
    {"12", S::kCustoms, ""},
    {"13", S::kException, "CUSTOMS_PROBLEM"},
    {"14", S::kException, "REJECTED"},
};

// Sub-states (resultv2=4).
constexpr Row kKuaidi100SubState[] = {
    {"101", S::kAwaitingPickup, ""},
    {"102", S::kAwaitingPickup, ""},
    {"103", S::kPickedUp, ""},
    {"1001", S::kInTransit, ""},
    {"1002", S::kInTransit, ""},
    {"1003", S::kInTransit, "FORWARDED"},
    {"501", S::kAtPickupPoint, ""},  // Kuaidi100's own table: into locker/station
    {"301", S::kDelivered, ""},
    {"302", S::kDelivered, ""},
    {"303", S::kDelivered, ""},
    {"304", S::kDelivered, ""},
    {"401", S::kException, "CANCELLED"},
    // Problem sub-states seen only in third-party code (unverified).
    {"201", S::kException, "NOT_SIGNED_TIMEOUT"},
    {"202", S::kException, "NO_UPDATE"},
    {"203", S::kException, "REJECTED"},
    {"204", S::kException, "DELIVERY_FAILED"},
    {"205", S::kException, "PICKUP_OVERDUE"},
    {"206", S::kException, "UNREACHABLE"},
    {"207", S::kException, "ADDRESS_PROBLEM"},
    {"208", S::kException, "DELAYED"},
    {"209", S::kException, "DAMAGED"},
    {"210", S::kException, "CANCELLED"},
};

// ---- lookup ------------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

std::optional<Unified> lookup(std::span<const Row> table, std::string_view code) {
  for (const auto& row : table) {
    if (row.code == code) return Unified{row.status, std::string(row.reason)};
  }
  return std::nullopt;
}

// Logs each distinct unknown (table, raw value) once per process. Bounded, so a stream of
// garbage codes cannot grow memory without limit.
void warn_unknown_once(std::string_view table, std::string_view raw) {
  constexpr std::size_t kMaxRemembered = 1024;
  constexpr std::size_t kMaxRawLogged = 64;
  static std::mutex mu;
  static std::unordered_set<std::string> seen;
  static bool cap_logged = false;

  // Printable ASCII only: the value comes from the network and must not forge log lines.
  std::string shown(raw.substr(0, kMaxRawLogged));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  std::string key;
  key.reserve(table.size() + 1 + shown.size());
  key.append(table).append(1, '|').append(shown);
  {
    std::lock_guard lock(mu);
    if (seen.count(key) != 0) return;
    if (seen.size() >= kMaxRemembered) {
      if (cap_logged) return;
      cap_logged = true;
      spdlog::warn("carrier mapping: more than {} distinct unknown codes; no longer logging each",
                   kMaxRemembered);
      return;
    }
    seen.insert(std::move(key));
  }
  spdlog::warn("carrier mapping: unknown {} code '{}' (kept previous status; add a table row)",
               table, shown);
}

Mapped map_two_level(std::span<const Row> general_table, std::string_view general_name,
                     std::string_view general_raw, std::span<const Row> specific_table,
                     std::string_view specific_name, std::string_view specific_raw) {
  const std::string_view specific = trim(specific_raw);
  const std::string_view general = trim(general_raw);
  if (!specific.empty()) {
    if (auto u = lookup(specific_table, specific)) return Mapped{std::move(*u), true};
    warn_unknown_once(specific_name, specific);
  }
  if (!general.empty()) {
    if (auto u = lookup(general_table, general)) return Mapped{std::move(*u), true};
    warn_unknown_once(general_name, general);
  }
  return Mapped{Unified{TrackingStatus::kNoInfo, ""}, false};
}

}  // namespace

Mapped map_kdniao(std::string_view state, std::string_view state_ex) {
  return map_two_level(kKdniaoState, "kdniao State", state, kKdniaoStateEx, "kdniao StateEx",
                       state_ex);
}

Mapped map_kuaidi100(std::string_view state, std::string_view sub_state) {
  return map_two_level(kKuaidi100State, "kuaidi100 state", state, kKuaidi100SubState,
                       "kuaidi100 sub-state", sub_state);
}

}  // namespace coldtrack::carriers
