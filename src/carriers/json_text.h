// Providers send codes as strings or numbers ("2" or 2): one reading of a JSON scalar as text.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace coldtrack::carriers {

// String as is; integers (and integral doubles below 1e15) in decimal; booleans as
// "true"/"false"; other doubles as JSON; "" for null, absent (nullptr), arrays and objects.
std::string scalar_text(const boost::json::value* v);

}  // namespace coldtrack::carriers
