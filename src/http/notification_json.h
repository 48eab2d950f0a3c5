// JSON of notification jobs (GET /api/notifications) and of a WeChat-paid order's shipping-info
// upload state (the order view).
#pragma once

#include <boost/json.hpp>
#include <optional>

#include "store/store.h"

namespace coldtrack::http {

boost::json::object notification_json(const store::NotificationJob& j, int tz);
// {"state","state_label","error","uploaded_at","attempts"} or null when nothing was planned.
boost::json::value wechat_shipping_json(const std::optional<store::NotificationJob>& upload,
                                        int tz);
std::string_view notification_state_label_zh(std::string_view state);

}  // namespace coldtrack::http
