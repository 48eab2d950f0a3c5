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

void append_rfc3339(std::string& out, EpochMs t, int utc_offset_minutes) {
  using namespace std::chrono;
  const EpochMs local = t + static_cast<EpochMs>(utc_offset_minutes) * 60'000;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(local)));
  const year_month_day ymd(day);
  const auto ms_of_day = local - duration_cast<milliseconds>(day.time_since_epoch()).count();
  const int hh = static_cast<int>(ms_of_day / 3'600'000);
  const int mi = static_cast<int>(ms_of_day / 60'000 % 60);
  const int ss = static_cast<int>(ms_of_day / 1000 % 60);
  const int ms = static_cast<int>(ms_of_day % 1000);
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999 || utc_offset_minutes <= -6000 || utc_offset_minutes >= 6000) {
    // Outside RFC 3339's four-digit year (or a two-digit offset hour): the general, slow path.
    out +=
        fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", year, static_cast<unsigned>(ymd.month()),
                    static_cast<unsigned>(ymd.day()), hh, mi, ss);
    if (ms != 0) out += fmt::format(".{:03}", ms);
    const int a = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    out += utc_offset_minutes == 0
               ? std::string("Z")
               : fmt::format("{}{:02}:{:02}", utc_offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
    return;
  }
  // Written digit by digit into one buffer: this runs for every time in every API answer (a
  // list page has hundreds), and fmt with several appends cost 4-6 % of serving it.
  char buf[32];
  char* p = buf;
  auto put = [&p](int v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
    p += width;
  };
  put(year, 4), *p++ = '-', put(static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  *p++ = '-', put(static_cast<int>(static_cast<unsigned>(ymd.day())), 2), *p++ = 'T';
  put(hh, 2), *p++ = ':', put(mi, 2), *p++ = ':', put(ss, 2);
  if (ms != 0) *p++ = '.', put(ms, 3);
  if (utc_offset_minutes == 0) {
    *p++ = 'Z';
  } else {
    const int a = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    *p++ = utc_offset_minutes < 0 ? '-' : '+';
    put(a / 60, 2), *p++ = ':', put(a % 60, 2);
  }
  out.append(buf, static_cast<std::size_t>(p - buf));
}

std::string format_rfc3339(EpochMs t, int utc_offset_minutes) {
  std::string out;
  append_rfc3339(out, t, utc_offset_minutes);
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
