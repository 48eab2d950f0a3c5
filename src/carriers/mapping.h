// Provider status codes -> unified taxonomy. The tables are data (mapping.cc), one row per code
// listed in protocols/carrier-codes.md §3-4, so an unverified entry is corrected in one place.
#pragma once

#include <string_view>

#include "carriers/tracking.h"

namespace coldtrack::carriers {

struct Mapped {
  Unified unified;
  bool known = true;  // false: no table row matched; `unified` is NO_INFO and must not be applied
};

// Kdniao: StateEx when present and known, else State, else unknown (§5 rule 1). Codes may
// arrive as "202" or 202 (callers pass the text). An unknown code is logged once (with the
// raw value) per process.
Mapped map_kdniao(std::string_view state, std::string_view state_ex);
// Kuaidi100: sub-state (resultv2=4) when present and known, else base state.
Mapped map_kuaidi100(std::string_view state, std::string_view sub_state);

}  // namespace coldtrack::carriers
