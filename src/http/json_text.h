// JSON text for API responses. Boost.JSON writes doubles in exponent form ("-1.85E1"); people
// read these bodies (temperatures, confidences), so numbers with a fraction are rewritten in
// their shortest plain decimal form ("-18.5"). Integers are untouched.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace coldtrack::http {

std::string to_json_text(const boost::json::value& v);

}  // namespace coldtrack::http
