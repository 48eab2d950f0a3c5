// Time as UTC epoch milliseconds; RFC 3339 text at the edges. Pure: no clock reads.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace coldtrack::domain {

using EpochMs = std::int64_t;

// Saturating a + b and a - b: limits come from configuration and times from callers; neither
// may overflow into a wrapped time.
inline EpochMs sat_add(EpochMs a, EpochMs b) {
  EpochMs r;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return b > 0 ? std::numeric_limits<EpochMs>::max() : std::numeric_limits<EpochMs>::min();
}
inline EpochMs sat_sub(EpochMs a, EpochMs b) {
  EpochMs r;
  if (!__builtin_sub_overflow(a, b, &r)) return r;
  return b > 0 ? std::numeric_limits<EpochMs>::min() : std::numeric_limits<EpochMs>::max();
}

// Division rounding toward negative infinity (b > 0), so times before 1970 and negative offsets
// land in the right day, second or bucket.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// "2026-11-25T13:05:00+08:00" (".123" inserted when the milliseconds are not zero).
std::string format_rfc3339(EpochMs t, int utc_offset_minutes);
// The same, appended to `out` (answers written as text, without a string per time).
void append_rfc3339(std::string& out, EpochMs t, int utc_offset_minutes);

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" ('t'/' ' separators and 'z' too).
// A missing offset is rejected: an ambiguous local time is never guessed.
std::optional<EpochMs> parse_rfc3339(std::string_view text);

}  // namespace coldtrack::domain
