// Subscribe-message template values (protocols/wechat.md §3). WeChat refuses a whole message
// (47003) when one value breaks its key type's rule, so every value is checked and, where that
// is harmless, truncated here before anything is sent. Lengths are Unicode code points, never
// bytes, and a cut never splits a UTF-8 sequence. Pure: no I/O, no clocks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "domain/time.h"

namespace coldtrack::notify {

// A data key is "<type><N>" ("thing2", "character_string1"); the type fixes the value rule.
enum class KeywordType {
  kThing,
  kCharacterString,
  kPhrase,
  kTime,
  kDate,
  kAmount,
  kName,
  kNumber,
  kLetter,
  kSymbol,
  kPhoneNumber,
  kCarNumber,
};

// The documented rule of one key type.
struct KeywordRule {
  KeywordType type;
  std::string_view prefix;  // key prefix, e.g. "thing"
  // Code points; for amount and number the digits; for name the Chinese form (Latin names may
  // have kNameMaxLetters). 0: a date/time layout, no count.
  std::size_t max_chars;
  // Too long: cut it (free text, where a shorter value still says the same) or refuse it
  // (identifiers, codes, figures and times, where a cut value would be wrong).
  bool truncate;
  std::string_view doc;  // the rule as wechat.md states it, used in error messages
};

inline constexpr std::size_t kNameMaxLetters = 20;

// wechat.md §3 "Value rules per key type". No ellipsis rule is documented: cuts are plain.
inline constexpr std::array<KeywordRule, 12> kKeywordRules{{
    {KeywordType::kThing, "thing", 20, true, "≤ 20 characters (Chinese, digits, letters, symbols)"},
    {KeywordType::kCharacterString, "character_string", 32, false,
     "≤ 32 digits, letters or symbols"},
    {KeywordType::kPhrase, "phrase", 5, false, "≤ 5 Chinese characters only"},
    {KeywordType::kTime, "time", 0, false, "24-hour time, optionally with date"},
    {KeywordType::kDate, "date", 0, false, "date, optionally with time"},
    {KeywordType::kAmount, "amount", 10, false,
     "one currency sign + ≤ 10 digits, decimals allowed, may end in 元"},
    {KeywordType::kName, "name", 10, true, "≤ 10 Chinese characters or ≤ 20 letters"},
    {KeywordType::kNumber, "number", 32, false, "≤ 32 digits, decimals allowed"},
    {KeywordType::kLetter, "letter", 32, false, "≤ 32 letters"},
    {KeywordType::kSymbol, "symbol", 5, false, "≤ 5 symbols"},
    {KeywordType::kPhoneNumber, "phone_number", 17, false, "≤ 17 digits/symbols"},
    {KeywordType::kCarNumber, "car_number", 8, false, "≤ 8 characters (plate number)"},
}};

// (unverified) Every detail below is our reading of the rules above, not documented by WeChat.
// Correct it here; nothing else hard-codes these choices.
struct UnverifiedValueRules {
  // "symbols" (character_string, symbol): ASCII punctuation.
  std::string_view symbols = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  // phone_number symbols besides digits.
  std::string_view phone_symbols = "+-() ";
  // amount: the currency signs accepted as "one currency sign" (first = ours, amount_value()).
  std::array<std::string_view, 5> currency_signs{"¥", "￥", "$", "€", "£"};
  std::string_view amount_suffix = "元";
  // amount/number limits count digits only (not the decimal point, sign or 元).
  // name: Latin names may contain spaces; Chinese names the middle dot (阿卜杜·热合曼).
  std::string_view name_letter_extras = " ";
  std::string_view name_chinese_extras = "·";
  // What counts as a Chinese character: CJK ideographs (basic, extensions, compatibility, 〇).
  std::array<std::pair<char32_t, char32_t>, 7> chinese_ranges{{{0x3007, 0x3007},
                                                               {0x3400, 0x4DBF},
                                                               {0x4E00, 0x9FFF},
                                                               {0xF900, 0xFAFF},
                                                               {0x20000, 0x2A6DF},
                                                               {0x2A700, 0x2EBEF},
                                                               {0x30000, 0x3134F}}};
  // car_number: Chinese characters (province, 警/学/挂...), uppercase letters and digits.
  // Accepted time/date layouts: Y M D h m s stand for one digit each, the rest is literal.
  std::array<std::string_view, 6> time_layouts{"hh:mm",
                                               "hh:mm:ss",
                                               "YYYY-MM-DD hh:mm",
                                               "YYYY-MM-DD hh:mm:ss",
                                               "YYYY年MM月DD日 hh:mm",
                                               "YYYY年MM月DD日 hh:mm:ss"};
  std::array<std::string_view, 6> date_layouts{"YYYY-MM-DD",           "YYYY年MM月DD日",
                                               "YYYY-MM-DD hh:mm",     "YYYY-MM-DD hh:mm:ss",
                                               "YYYY年MM月DD日 hh:mm", "YYYY年MM月DD日 hh:mm:ss"};
};
inline constexpr UnverifiedValueRules kUnverifiedValueRules{};

const KeywordRule& rule_of(KeywordType type);
std::string_view to_string(KeywordType type);  // the key prefix
// "thing1" -> kThing, "character_string12" -> kCharacterString; nullopt without a known type
// prefix followed by a decimal index.
std::optional<KeywordType> keyword_type_from_key(std::string_view key);

struct FitResult {
  std::string value;  // what to send; "" when !ok()
  bool truncated = false;
  std::string error;  // why the value cannot be sent ("" when ok)
  bool ok() const { return error.empty(); }
};

// Checks `value` against the type's rule and cuts it to the limit where the rule allows.
// Refused: invalid UTF-8, control characters, empty, characters outside the type's set, a bad
// layout, or too long for a type that is never cut.
FitResult try_fit(KeywordType type, std::string_view value);
// The fitted value, or "" when it cannot be fitted (try_fit says why).
std::string fit(KeywordType type, std::string_view value);
// Why `value` cannot be sent exactly as it is, or nullopt (no truncation considered).
std::optional<std::string> validate(KeywordType type, std::string_view value);

// Values in the forms the rules accept. Money is integer fen: 1250 -> "¥12.50" (nullopt when
// negative). Times in the given UTC offset: "2026-11-25 13:00" and "2026-11-25".
std::optional<std::string> amount_value(std::int64_t fen);
std::string time_value(domain::EpochMs t, int utc_offset_minutes);
std::string date_value(domain::EpochMs t, int utc_offset_minutes);

// ---- Template definitions ---------------------------------------------------------------------

// One data key of a template and the named value that fills it. Keys differ per shop (each
// picks templates from WeChat's library), so the mapping is configuration.
struct TemplateField {
  std::string key;     // "thing2", fixed by the template
  KeywordType type;    // from the key's prefix
  std::string source;  // the named value, e.g. "items"
};

struct TemplateDef {
  std::string template_id;
  std::vector<TemplateField> fields;  // in template order
};

// From (key, source) pairs; an empty source means the key itself. The string is the error: an
// empty template_id, no keys, a key without a known type prefix and index, or a repeated key.
std::variant<TemplateDef, std::string> define_template(
    std::string template_id, const std::vector<std::pair<std::string, std::string>>& fields);

struct FieldProblem {
  std::string key;
  std::string reason;
};

struct FilledData {
  // key -> fitted value in template order (the shape of wechat::TemplateData). Empty unless
  // every field fitted: a message is all or nothing.
  std::vector<std::pair<std::string, std::string>> data;
  std::vector<std::string> truncated;  // keys whose value was cut
  std::vector<FieldProblem> problems;
  bool ok() const { return problems.empty(); }
};

// Fills every field from `values` by its source name, applying try_fit().
FilledData fill(const TemplateDef& def,
                const std::map<std::string, std::string, std::less<>>& values);

}  // namespace coldtrack::notify
