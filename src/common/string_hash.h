// A hash for unordered maps keyed by std::string that also looks up by std::string_view
// (with std::equal_to<>), so a lookup builds no std::string.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace coldtrack {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

}  // namespace coldtrack
