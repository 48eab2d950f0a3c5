// JSON text written directly, for answers built without a DOM (list pages, stored items).
#pragma once

#include <string>
#include <string_view>

namespace coldtrack::common {

// Appends `v` as a JSON string (quotes included), escaped exactly as Boost.JSON's serializer
// escapes it, so text written here equals json::serialize of the same value.
void append_json_string(std::string& out, std::string_view v);

// Whether `v` needs any escape in JSON ('"', '\\' or a control character).
bool json_needs_escape(std::string_view v);

}  // namespace coldtrack::common
