// Input rules for orders. Each failure names the offending field (JSON path) and the problem.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "domain/order.h"

namespace coldtrack::domain {

struct FieldError {
  std::string field;    // e.g. "items[2].quantity"
  std::string message;  // human-readable, English
};

inline constexpr std::size_t kMaxOrderNoLength = 64;
inline constexpr std::size_t kMaxItems = 200;

// 1-64 characters of [A-Za-z0-9_-].
bool is_valid_order_no(std::string_view s);
// Returns the 11-digit form of a mainland China mobile number (optionally prefixed "+86" or
// "86"), or nullopt. Mobile numbers are 1[3-9]xxxxxxxxx.
std::optional<std::string> normalize_mobile(std::string_view s);
// Valid UTF-8 without control characters, 1..max_chars code points.
bool is_clean_text(std::string_view s, std::size_t max_chars);
std::size_t utf8_length(std::string_view s);

// Validates and normalizes (phone) a new order. `now` bounds created_at (at most 5 minutes in
// the future). `categories` are the known category codes.
std::optional<FieldError> validate_new_order(NewOrder& order,
                                             const std::set<std::string>& categories, EpochMs now);

// Waybill numbers: 4-40 characters of [A-Za-z0-9-].
bool is_valid_waybill_no(std::string_view s);

// Note on a status change: up to 500 characters of clean text (may be empty).
bool is_valid_note(std::string_view s);

}  // namespace coldtrack::domain
