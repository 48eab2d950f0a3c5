#include "sim/payloads.h"

#include <algorithm>

#include "carriers/mapping.h"

namespace coldtrack::sim {

namespace json = boost::json;

namespace {

EpochMs step_time(const WaybillView& w, std::size_t i) {
  return w.start + w.script.steps[i].offset_s * 1000;
}

}  // namespace

json::object kdniao_waybill(const WaybillView& w, std::string_view ebusiness_id,
                            std::string_view order_code) {
  json::object o;
  o["EBusinessID"] = ebusiness_id;
  o["OrderCode"] = order_code;
  o["ShipperCode"] = w.carrier;
  o["LogisticCode"] = w.number;
  o["Success"] = true;
  const std::size_t n = std::min(w.count, w.script.steps.size());
  if (n == 0) {
    o["Reason"] = "暂无轨迹信息";
    o["State"] = "0";
    o["Traces"] = json::array();
    return o;
  }
  const Step& last = w.script.steps[n - 1];
  o["Reason"] = nullptr;
  o["State"] = last.kdn_state;
  o["StateEx"] = last.kdn_state_ex;
  o["Location"] = last.location;
  json::array traces;
  for (std::size_t i = 0; i < n; ++i) {
    const Step& s = w.script.steps[i];
    traces.push_back(json::object{{"AcceptTime", format_china_time(step_time(w, i))},
                                  {"AcceptStation", s.context},
                                  {"Location", s.location},
                                  {"Action", s.kdn_state_ex}});
  }
  o["Traces"] = std::move(traces);
  return o;
}

json::object kdniao_failure(std::string_view ebusiness_id, std::string_view shipper_code,
                            std::string_view logistic_code, std::string_view reason) {
  json::object o;
  o["EBusinessID"] = ebusiness_id;
  if (!shipper_code.empty()) o["ShipperCode"] = shipper_code;
  if (!logistic_code.empty()) o["LogisticCode"] = logistic_code;
  o["Success"] = false;
  o["Reason"] = reason;
  return o;
}

json::object kdniao_subscribe_reply(std::string_view ebusiness_id, EpochMs now, bool success,
                                    std::string_view reason) {
  return json::object{{"EBusinessID", ebusiness_id},
                      {"UpdateTime", format_china_time(now)},
                      {"Success", success},
                      {"Reason", reason}};
}

json::object kuaidi100_result(const WaybillView& w, bool substates, bool ascending) {
  const std::size_t n = std::min(w.count, w.script.steps.size());
  const Step& last = w.script.steps[n - 1];
  json::object o;
  o["message"] = "ok";
  o["nu"] = w.number;
  o["ischeck"] = k100_terminal(last.k100_state) ? "1" : "0";
  o["condition"] = "F00";
  o["com"] = w.carrier;
  o["status"] = "200";
  o["state"] = substates ? last.k100_sub : last.k100_state;
  json::array data;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = ascending ? k : n - 1 - k;
    const Step& s = w.script.steps[i];
    const std::string when = format_china_time(step_time(w, i));
    json::object item{{"time", when},
                      {"ftime", when},
                      {"context", s.context},
                      {"location", s.location},
                      {"areaCode", s.area_code},
                      {"areaName", s.area_name},
                      {"status", substates ? s.k100_sub_status : s.k100_status}};
    if (substates) item["statusCode"] = s.k100_sub;
    data.push_back(std::move(item));
  }
  o["data"] = std::move(data);
  return o;
}

json::object kuaidi100_failure(std::string_view return_code, std::string_view message) {
  return json::object{{"result", false}, {"returnCode", return_code}, {"message", message}};
}

json::object cainiao_waybill(const WaybillView& w) {
  const std::size_t n = std::min(w.count, w.script.steps.size());
  json::object data;
  data["cpCode"] = w.carrier;
  data["mailNo"] = w.number;
  json::array traces;
  carriers::Unified last{carriers::TrackingStatus::kNoInfo, ""};
  for (std::size_t i = 0; i < n; ++i) {
    const Step& s = w.script.steps[i];
    const carriers::Mapped m = carriers::map_kdniao(s.kdn_state, s.kdn_state_ex);
    last = m.unified;
    traces.push_back(json::object{{"time", format_china_time(step_time(w, i))},
                                  {"desc", s.context},
                                  {"city", s.location},
                                  {"status", carriers::to_string(m.unified.status)}});
  }
  data["status"] = carriers::to_string(last.status);
  if (!last.reason.empty()) data["reason"] = last.reason;
  data["traces"] = std::move(traces);
  return json::object{{"success", true}, {"data", std::move(data)}};
}

json::object cainiao_failure(std::string_view error_code, std::string_view message) {
  return json::object{{"success", false}, {"errorCode", error_code}, {"errorMsg", message}};
}

}  // namespace coldtrack::sim
