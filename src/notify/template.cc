#include "notify/template.h"

#include <algorithm>
#include <set>

namespace coldtrack::notify {
namespace {

constexpr const UnverifiedValueRules& U = kUnverifiedValueRules;

// Code points of a strictly valid UTF-8 string (no overlongs, surrogates or values past
// U+10FFFF), with the byte offset where each starts; offsets.back() == size.
struct Decoded {
  std::vector<char32_t> cps;
  std::vector<std::size_t> offsets;
};

std::optional<Decoded> decode_utf8(std::string_view s) {
  Decoded d;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len;
    char32_t cp;
    char32_t min;
    if (b0 < 0x80) {
      len = 1, cp = b0, min = 0;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      return std::nullopt;  // stray continuation byte or 0xF8..0xFF
    }
    if (i + len > s.size()) return std::nullopt;  // truncated sequence
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    d.cps.push_back(cp);
    d.offsets.push_back(i);
    i += len;
  }
  d.offsets.push_back(s.size());
  return d;
}

bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}
bool is_digit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool is_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool in_ascii_set(char32_t c, std::string_view set) {
  return c < 0x80 && set.find(static_cast<char>(c)) != std::string_view::npos;
}
bool is_symbol(char32_t c) {
  return in_ascii_set(c, U.symbols);
}
bool is_chinese(char32_t c) {
  return std::any_of(U.chinese_ranges.begin(), U.chinese_ranges.end(),
                     [c](const auto& r) { return c >= r.first && c <= r.second; });
}
// `c` is one of the code points spelled in the UTF-8 string `set`.
bool in_utf8_set(char32_t c, std::string_view set) {
  auto d = decode_utf8(set);
  return d && std::find(d->cps.begin(), d->cps.end(), c) != d->cps.end();
}
// Joiners and variation selectors only mean something before another code point.
bool is_dangling_after_cut(char32_t c) {
  return c == 0x200D || c == 0xFE0E || c == 0xFE0F;
}

template <class Pred>
bool all_of(const std::vector<char32_t>& cps, Pred p) {
  return std::all_of(cps.begin(), cps.end(), p);
}

// Error text never quotes the value: values may be personal data (names, phones).
std::string rule_error(KeywordType t, std::string_view detail) {
  const KeywordRule& r = rule_of(t);
  std::string out(r.prefix);
  out += ": ";
  out += r.doc;
  if (!detail.empty()) {
    out += " (";
    out += detail;
    out += ')';
  }
  return out;
}

std::string count_detail(std::size_t n, std::string_view unit) {
  return std::to_string(n) + " " + std::string(unit);
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Matches a layout of kUnverifiedValueRules: Y M D h m s are one ASCII digit each, every other
// byte is literal. Then checks the calendar and clock ranges.
bool matches_layout(std::string_view v, std::string_view layout) {
  if (v.size() != layout.size()) return false;
  int year = 0, month = -1, day = -1, hour = 0, minute = 0, second = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char p = layout[i];
    int* field = nullptr;
    switch (p) {
      case 'Y':
        field = &year;
        break;
      case 'M':
        field = &month;
        break;
      case 'D':
        field = &day;
        break;
      case 'h':
        field = &hour;
        break;
      case 'm':
        field = &minute;
        break;
      case 's':
        field = &second;
        break;
      default:
        if (v[i] != p) return false;
        continue;
    }
    if (v[i] < '0' || v[i] > '9') return false;
    if (*field < 0) *field = 0;
    *field = *field * 10 + (v[i] - '0');
  }
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (month >= 0) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1) return false;
    const int max_day = month == 2 && leap(year) ? 29 : kDays[month - 1];
    if (day > max_day) return false;
  }
  return true;
}

// "12", "12.50": digits, at most one '.', digits on both sides. Returns the digit count or 0.
std::size_t decimal_digits(std::string_view s) {
  std::size_t digits = 0;
  bool dot = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.' && !dot && i > 0 && i + 1 < s.size()) {
      dot = true;
    } else {
      return 0;
    }
  }
  return digits;
}

// The checked (and, when allowed and needed, cut) value.
FitResult fit_impl(KeywordType type, std::string_view value, bool allow_cut) {
  FitResult r;
  auto fail = [&r](std::string e) {
    r.error = std::move(e);
    return r;
  };
  auto d = decode_utf8(value);
  if (!d) return fail(std::string(to_string(type)) + ": not valid UTF-8");
  const std::vector<char32_t>& cps = d->cps;
  const std::size_t n = cps.size();
  if (n == 0) return fail(std::string(to_string(type)) + ": empty");
  if (std::any_of(cps.begin(), cps.end(), is_control))
    return fail(std::string(to_string(type)) + ": contains a control character");

  const KeywordRule& rule = rule_of(type);
  std::size_t limit = rule.max_chars;
  switch (type) {
    case KeywordType::kThing:
      break;
    case KeywordType::kCharacterString:
      if (!all_of(cps, [](char32_t c) { return is_digit(c) || is_letter(c) || is_symbol(c); }))
        return fail(rule_error(type, "other characters"));
      break;
    case KeywordType::kPhrase:
      if (!all_of(cps, is_chinese)) return fail(rule_error(type, "not all Chinese"));
      break;
    case KeywordType::kTime:
    case KeywordType::kDate: {
      const auto& layouts = type == KeywordType::kTime ? U.time_layouts : U.date_layouts;
      if (std::none_of(layouts.begin(), layouts.end(),
                       [&](std::string_view l) { return matches_layout(value, l); }))
        return fail(rule_error(type, "unrecognised or impossible date/time"));
      r.value = std::string(value);
      return r;
    }
    case KeywordType::kAmount: {
      std::string_view rest = value;
      const auto sign = std::find_if(U.currency_signs.begin(), U.currency_signs.end(),
                                     [&](std::string_view s) { return rest.starts_with(s); });
      if (sign == U.currency_signs.end()) return fail(rule_error(type, "no currency sign"));
      rest.remove_prefix(sign->size());
      if (rest.ends_with(U.amount_suffix)) rest.remove_suffix(U.amount_suffix.size());
      const std::size_t digits = decimal_digits(rest);
      if (digits == 0) return fail(rule_error(type, "not a plain decimal figure"));
      if (digits > rule.max_chars) return fail(rule_error(type, count_detail(digits, "digits")));
      r.value = std::string(value);
      return r;
    }
    case KeywordType::kName: {
      auto chinese = [](char32_t c) {
        return is_chinese(c) || in_utf8_set(c, U.name_chinese_extras);
      };
      auto latin = [](char32_t c) { return is_letter(c) || in_utf8_set(c, U.name_letter_extras); };
      if (std::none_of(cps.begin(), cps.end(),
                       [](char32_t c) { return is_chinese(c) || is_letter(c); }))
        return fail(rule_error(type, "no letters"));
      if (all_of(cps, chinese)) {
        limit = rule.max_chars;
      } else if (all_of(cps, latin)) {
        limit = kNameMaxLetters;
      } else {
        return fail(rule_error(type, "mixed or other characters"));
      }
      break;
    }
    case KeywordType::kNumber: {
      const std::size_t digits = decimal_digits(value);
      if (digits == 0) return fail(rule_error(type, "not a plain decimal figure"));
      if (digits > rule.max_chars) return fail(rule_error(type, count_detail(digits, "digits")));
      r.value = std::string(value);
      return r;
    }
    case KeywordType::kLetter:
      if (!all_of(cps, is_letter)) return fail(rule_error(type, "not all letters"));
      break;
    case KeywordType::kSymbol:
      if (!all_of(cps, is_symbol)) return fail(rule_error(type, "not all symbols"));
      break;
    case KeywordType::kPhoneNumber:
      if (!all_of(cps, [](char32_t c) { return is_digit(c) || in_ascii_set(c, U.phone_symbols); }))
        return fail(rule_error(type, "other characters"));
      if (std::none_of(cps.begin(), cps.end(), is_digit))
        return fail(rule_error(type, "no digits"));
      break;
    case KeywordType::kCarNumber:
      if (!all_of(cps, [](char32_t c) {
            return is_chinese(c) || is_digit(c) || (c >= 'A' && c <= 'Z');
          }))
        return fail(rule_error(type, "other characters"));
      break;
  }

  if (n <= limit) {
    r.value = std::string(value);
    return r;
  }
  if (!rule.truncate || !allow_cut) return fail(rule_error(type, count_detail(n, "characters")));
  // Plain cut at a code point boundary (no ellipsis rule is documented), then drop what would
  // dangle at the end: joiners/variation selectors, and a name's separators.
  std::size_t keep = limit;
  while (keep > 0 &&
         (is_dangling_after_cut(cps[keep - 1]) ||
          (type == KeywordType::kName && (in_utf8_set(cps[keep - 1], U.name_letter_extras) ||
                                          in_utf8_set(cps[keep - 1], U.name_chinese_extras)))))
    --keep;
  r.value = std::string(value.substr(0, d->offsets[keep]));
  r.truncated = true;
  return r;
}

}  // namespace

const KeywordRule& rule_of(KeywordType type) {
  for (const auto& r : kKeywordRules)
    if (r.type == type) return r;
  return kKeywordRules[0];  // unreachable: the table covers every enumerator
}

std::string_view to_string(KeywordType type) {
  return rule_of(type).prefix;
}

std::optional<KeywordType> keyword_type_from_key(std::string_view key) {
  std::size_t end = key.size();
  while (end > 0 && key[end - 1] >= '0' && key[end - 1] <= '9') --end;
  if (end == key.size() || end == 0) return std::nullopt;
  const std::string_view prefix = key.substr(0, end);
  for (const auto& r : kKeywordRules)
    if (r.prefix == prefix) return r.type;
  return std::nullopt;
}

FitResult try_fit(KeywordType type, std::string_view value) {
  return fit_impl(type, value, true);
}

std::string fit(KeywordType type, std::string_view value) {
  return try_fit(type, value).value;
}

std::optional<std::string> validate(KeywordType type, std::string_view value) {
  FitResult r = fit_impl(type, value, false);
  if (!r.ok()) return std::move(r.error);
  return std::nullopt;
}

std::optional<std::string> amount_value(std::int64_t fen) {
  if (fen < 0) return std::nullopt;
  const std::int64_t cents = fen % 100;
  std::string out(U.currency_signs[0]);
  out += std::to_string(fen / 100);
  out += '.';
  out += static_cast<char>('0' + cents / 10);
  out += static_cast<char>('0' + cents % 10);
  return out;
}

// format_rfc3339 gives "YYYY-MM-DDTHH:MM:SS..."; the rules want "YYYY-MM-DD HH:MM".
std::string time_value(domain::EpochMs t, int utc_offset_minutes) {
  const std::string s = domain::format_rfc3339(t, utc_offset_minutes);
  return s.substr(0, 10) + " " + s.substr(11, 5);
}

std::string date_value(domain::EpochMs t, int utc_offset_minutes) {
  return domain::format_rfc3339(t, utc_offset_minutes).substr(0, 10);
}

std::variant<TemplateDef, std::string> define_template(
    std::string template_id, const std::vector<std::pair<std::string, std::string>>& fields) {
  if (template_id.empty()) return std::string("template_id is empty");
  if (fields.empty()) return std::string("template has no keys");
  TemplateDef def;
  def.template_id = std::move(template_id);
  std::set<std::string_view> seen;
  for (const auto& [key, source] : fields) {
    auto type = keyword_type_from_key(key);
    if (!type) return "key '" + key + "' is not <type><N> with a known type";
    if (!seen.insert(key).second) return "key '" + key + "' repeats";
    def.fields.push_back({key, *type, source.empty() ? key : source});
  }
  return def;
}

FilledData fill(const TemplateDef& def,
                const std::map<std::string, std::string, std::less<>>& values) {
  FilledData out;
  for (const auto& f : def.fields) {
    auto it = values.find(f.source);
    if (it == values.end()) {
      out.problems.push_back({f.key, "no value named '" + f.source + "'"});
      continue;
    }
    FitResult r = try_fit(f.type, it->second);
    if (!r.ok()) {
      out.problems.push_back({f.key, std::move(r.error)});
      continue;
    }
    if (r.truncated) out.truncated.push_back(f.key);
    out.data.emplace_back(f.key, std::move(r.value));
  }
  if (!out.ok()) out.data.clear();
  return out;
}

}  // namespace coldtrack::notify
