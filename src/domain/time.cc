#include "domain/time.h"

#include <fmt/format.h>
#include <chrono>

namespace coldtrack::domain {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::string format_rfc3339(EpochMs t, int utc_offset_minutes) {
  using namespace std::chrono;
  const EpochMs local = t + static_cast<EpochMs>(utc_offset_minutes) * 60'000;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(local)));
  const year_month_day ymd(day);
  const auto ms_of_day = local - duration_cast<milliseconds>(day.time_since_epoch()).count();
  const int hh = static_cast<int>(ms_of_day / 3'600'000);
  const int mi = static_cast<int>(ms_of_day / 60'000 % 60);
  const int ss = static_cast<int>(ms_of_day / 1000 % 60);
  const int ms = static_cast<int>(ms_of_day % 1000);
  std::string out =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hh, mi, ss);
  if (ms != 0) out += fmt::format(".{:03}", ms);
  if (utc_offset_minutes == 0) {
    out += "Z";
  } else {
    const int a = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    out += fmt::format("{}{:02}:{:02}", utc_offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
  }
  return out;
}

std::optional<EpochMs> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || s.size() > 40) return std::nullopt;
  if (!digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  if (!digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, sec))
    return std::nullopt;
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;  // 60: leap second, folded below
  std::size_t pos = 19;
  int frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 14 || om > 59)
      return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  if (sec == 60) sec = 59;
  const EpochMs days_ms = duration_cast<milliseconds>(sys_days(ymd).time_since_epoch()).count();
  return days_ms + (static_cast<EpochMs>(h) * 3600 + mi * 60 + sec) * 1000 + frac_ms -
         static_cast<EpochMs>(offset_min) * 60'000;
}

}  // namespace coldtrack::domain
