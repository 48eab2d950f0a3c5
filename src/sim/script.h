// Deterministic cold-chain scripts for the carrier simulator. Pure: no clocks, no I/O.
//
// Every waybill gets a route (origin city -> destination city) and a list of scripted steps
// derived from a hash of its number and the simulator seed. Each step carries the texts and the
// status codes of both providers (Kdniao State/StateEx/Action, Kuaidi100 state/statusCode), so
// the same scripted parcel can be served through either protocol. Codes come from
// protocols/carriers-kdniao.md §6 and carriers-kuaidi100.md §3.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.h"

namespace coldtrack::sim {

using domain::EpochMs;

struct Step {
  std::int64_t offset_s = 0;  // simulated seconds after the waybill was first seen
  std::string context;        // trace text (Kdniao AcceptStation / Kuaidi100 context)
  std::string location;       // city, "杭州市"
  std::string area_code;      // Kuaidi100 areaCode, "CN330100000000"
  std::string area_name;      // Kuaidi100 areaName, "浙江,杭州市"
  // Kdniao (carriers-kdniao.md §6): summary State and detailed StateEx (also the trace Action).
  std::string kdn_state;
  std::string kdn_state_ex;
  // Kuaidi100 (carriers-kuaidi100.md §3): base state, detailed sub-state (resultv2=4) and the
  // human-readable trace status names for both result versions.
  std::string k100_state;
  std::string k100_sub;
  std::string k100_status;      // name of the base state ("在途")
  std::string k100_sub_status;  // name of the sub-state ("干线")
};

enum class Scenario {
  kNoInfo,         // number ends in "0000": never any trace
  kDelivered,      // picked up -> hubs -> out for delivery -> signed
  kRejected,       // receiver refuses at the door (Kdniao 404, Kuaidi100 14)
  kLockerOverdue,  // put into a locker, not collected within 18 h (Kdniao 412, Kuaidi100 205)
  kUnreachable,    // receiver cannot be contacted (Kdniao 416, Kuaidi100 206)
  kDelayed,        // stranded at the hub, then delivered (Kdniao 417 -> 302, Kuaidi100 208 -> 302)
};

std::string_view to_string(Scenario s);

struct Script {
  Scenario scenario = Scenario::kNoInfo;
  std::string origin;       // "上海市"
  std::string destination;  // "杭州市"
  std::vector<Step> steps;  // in time order; empty for kNoInfo
};

// `provider_carrier` only picks the brand text (Kdniao "SF" and Kuaidi100 "shunfeng" give the
// same brand); the route and timing depend on the number and the seed alone. About one waybill
// in eight gets a problem scenario.
Script make_script(std::string_view provider_carrier, std::string_view waybill_no,
                   std::uint64_t seed);

// Chinese brand used in trace texts ("顺丰冷运"); a generic name for unknown codes.
std::string_view brand_of(std::string_view provider_carrier);

// "yyyy-MM-dd HH:mm:ss" in China time (UTC+8), the format both providers use.
std::string format_china_time(EpochMs t);

// Whether a Kuaidi100 base state ends tracking (3 signed, 4 returned and signed).
bool k100_terminal(std::string_view base_state);

}  // namespace coldtrack::sim
