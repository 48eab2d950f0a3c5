// JSON bodies the simulator sends: a waybill's scripted snapshot in Kdniao's query/push shape
// (carriers-kdniao.md §5/§7), Kuaidi100's query-result shape (carriers-kuaidi100.md §1/§2) and
// Cainiao's PLACEHOLDER query shape (carriers-cainiao.md §5), plus the failure bodies. Pure:
// times are passed in.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "sim/script.h"

namespace coldtrack::sim {

// A scripted waybill frozen at `count` steps (the first `count` steps of `script`).
struct WaybillView {
  const Script& script;
  std::size_t count = 0;
  EpochMs start = 0;  // simulated time the waybill was first seen
  std::string_view carrier;
  std::string_view number;
};

// Kdniao query response / push Data item: EBusinessID, OrderCode, ShipperCode, LogisticCode,
// Success:true, Reason, State, StateEx, Location, Traces (oldest first). No traces: State "0",
// empty Traces, Reason "暂无轨迹信息" (doc §5: Success:true with empty Traces is NO_INFO).
boost::json::object kdniao_waybill(const WaybillView& w, std::string_view ebusiness_id,
                                   std::string_view order_code);
// {"EBusinessID","ShipperCode","LogisticCode","Success":false,"Reason"}; empty fields left out.
boost::json::object kdniao_failure(std::string_view ebusiness_id, std::string_view shipper_code,
                                   std::string_view logistic_code, std::string_view reason);
// Subscription reply: {"EBusinessID","UpdateTime","Success","Reason"} (doc §7, unverified).
boost::json::object kdniao_subscribe_reply(std::string_view ebusiness_id, EpochMs now, bool success,
                                           std::string_view reason);

// Kuaidi100 query result (also a push's lastResult): message, nu, ischeck, condition, com,
// status "200", state, data. `substates` (resultv2=4/8) puts sub-states into state/statusCode;
// otherwise base states. `ascending` follows order=asc; the default is newest first.
// Requires w.count > 0 (no traces is answered with a failure body instead).
boost::json::object kuaidi100_result(const WaybillView& w, bool substates, bool ascending);
// {"result":false,"returnCode":code,"message":message} (also used for subscription replies
// other than 200).
boost::json::object kuaidi100_failure(std::string_view return_code, std::string_view message);

// Cainiao query response in ColdTrack's own PLACEHOLDER schema (the real Cainiao tracking
// schema is unknown; this is what cainiao::CainiaoMapping's defaults parse):
//   {"success":true,"data":{"cpCode","mailNo","status","reason"?,"traces":[
//     {"time":"yyyy-MM-dd HH:mm:ss","desc","city","status"}]}}   (traces oldest first)
// Status codes are ColdTrack's own unified names ("IN_TRANSIT", "EXCEPTION", ...), derived from
// the same scripted step as the other providers (via the Kdniao codes); `reason` is sent for
// EXCEPTION. No traces: status "NO_INFO", empty traces.
boost::json::object cainiao_waybill(const WaybillView& w);
// The LINK gateway failure shape: {"success":false,"errorCode":code,"errorMsg":message}.
boost::json::object cainiao_failure(std::string_view error_code, std::string_view message);

}  // namespace coldtrack::sim
