#include "domain/validation.h"

#include <fmt/format.h>

#include <limits>

namespace coldtrack::domain {
namespace {

constexpr std::int64_t kMaxQuantity = 100'000;
constexpr std::int64_t kMaxFen = 100'000'000'00;  // 100 million yuan: far above any real order
constexpr EpochMs kFutureSlackMs = 5 * 60 * 1000;

bool is_code_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::optional<FieldError> check_text(std::string_view field, std::string_view value,
                                     std::size_t max_chars, bool required) {
  if (value.empty()) {
    if (!required) return std::nullopt;
    return FieldError{std::string(field), "is required"};
  }
  if (!is_clean_text(value, max_chars))
    return FieldError{std::string(field),
                      fmt::format("must be 1-{} characters of valid UTF-8 text without control "
                                  "characters",
                                  max_chars)};
  return std::nullopt;
}

}  // namespace

bool is_valid_order_no(std::string_view s) {
  if (s.empty() || s.size() > kMaxOrderNoLength) return false;
  for (char c : s)
    if (!is_code_char(c)) return false;
  return true;
}

bool is_valid_waybill_no(std::string_view s) {
  if (s.size() < 4 || s.size() > 40) return false;
  for (char c : s)
    if (!is_code_char(c) || c == '_') return false;
  return true;
}

std::optional<std::string> normalize_mobile(std::string_view s) {
  if (s.starts_with("+86")) {
    s.remove_prefix(3);
  } else if (s.size() == 13 && s.starts_with("86")) {
    s.remove_prefix(2);
  }
  if (s.size() != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9') return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  return std::string(s);
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_clean_text(std::string_view s, std::size_t max_chars) {
  if (s.empty()) return false;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) return false;
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates, out-of-range and C1 controls.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0))
      return false;
    i += len;
    if (++chars > max_chars) return false;
  }
  return true;
}

bool is_valid_note(std::string_view s) {
  return s.empty() || is_clean_text(s, 500);
}

std::optional<FieldError> validate_new_order(NewOrder& o, const std::set<std::string>& categories,
                                             EpochMs now) {
  if (!o.order_no.empty() && !is_valid_order_no(o.order_no))
    return FieldError{"order_no", "must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"};

  if (auto e = check_text("customer.name", o.customer.name, 50, true)) return e;
  if (o.customer.phone.empty()) return FieldError{"customer.phone", "is required"};
  auto phone = normalize_mobile(o.customer.phone);
  if (!phone)
    return FieldError{"customer.phone",
                      "must be a mainland China mobile number (11 digits starting 13-19)"};
  o.customer.phone = *phone;
  if (!o.customer.openid.empty()) {
    if (o.customer.openid.size() > 128)
      return FieldError{"customer.openid", "must be at most 128 characters"};
    for (char c : o.customer.openid)
      if (!is_code_char(c))
        return FieldError{"customer.openid", "must contain only A-Z, a-z, 0-9, '_' or '-'"};
  }

  if (auto e = check_text("address.province", o.address.province, 20, true)) return e;
  if (auto e = check_text("address.city", o.address.city, 30, true)) return e;
  if (auto e = check_text("address.district", o.address.district, 30, false)) return e;
  if (auto e = check_text("address.detail", o.address.detail, 200, true)) return e;

  if (o.items.empty()) return FieldError{"items", "must contain at least one item"};
  if (o.items.size() > kMaxItems)
    return FieldError{"items", fmt::format("must contain at most {} items", kMaxItems)};
  std::int64_t total = 0;
  for (std::size_t i = 0; i < o.items.size(); ++i) {
    const auto& it = o.items[i];
    const auto f = [i](std::string_view name) { return fmt::format("items[{}].{}", i, name); };
    if (auto e = check_text(f("sku"), it.sku, 64, true)) return e;
    if (auto e = check_text(f("name"), it.name, 100, true)) return e;
    if (it.category.empty()) return FieldError{f("category"), "is required"};
    if (!categories.contains(it.category))
      return FieldError{f("category"), fmt::format("unknown category \"{}\" (known: {})",
                                                   it.category, fmt::join(categories, ", "))};
    if (it.quantity <= 0 || it.quantity > kMaxQuantity)
      return FieldError{f("quantity"), fmt::format("must be an integer in 1..{}", kMaxQuantity)};
    if (it.unit_price_fen < 0 || it.unit_price_fen > kMaxFen)
      return FieldError{f("unit_price_fen"),
                        fmt::format("must be an integer number of fen in 0..{}", kMaxFen)};
    total += it.quantity * it.unit_price_fen;  // both bounded: no overflow
    if (total > kMaxFen) return FieldError{"items", "total value exceeds the maximum order amount"};
  }
  if (o.shipping_fen < 0 || o.shipping_fen > kMaxFen)
    return FieldError{"shipping_fen", "must be a non-negative integer number of fen"};
  if (o.discount_fen < 0 || o.discount_fen > total + o.shipping_fen)
    return FieldError{"discount_fen",
                      "must be a non-negative integer not above the items total plus shipping"};
  if (o.amount_fen < 0) return FieldError{"amount_fen", "must be a non-negative integer"};
  const std::int64_t expected = total + o.shipping_fen - o.discount_fen;
  if (o.amount_fen != expected)
    return FieldError{"amount_fen",
                      fmt::format("is {} but items total {} + shipping_fen {} - discount_fen {} "
                                  "= {}",
                                  o.amount_fen, total, o.shipping_fen, o.discount_fen, expected)};
  if (auto e = check_text("remark", o.remark, 500, false)) return e;
  if (o.created_at && *o.created_at > now + kFutureSlackMs)
    return FieldError{"created_at", "is in the future"};
  if (o.created_at && *o.created_at < 946684800000)  // 2000-01-01: older means a unit mistake
    return FieldError{"created_at", "is before 2000-01-01"};
  return std::nullopt;
}

}  // namespace coldtrack::domain
