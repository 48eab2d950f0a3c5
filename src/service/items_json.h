// Order items as JSON text in the one form ColdTrack stores them (orders.items_json) and answers
// them in the API:
//   [{"sku":"…","name":"…","category":"…","quantity":N,"unit_price_fen":N}, …]
// without spaces, strings escaped as Boost.JSON escapes them. Because the stored text is already
// the answer's text, list pages copy it as it is instead of parsing and writing it again; the
// monitoring migrations' LIKE '%"category":"frozen"%' relies on the same form.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "domain/order.h"

namespace coldtrack::service {

void append_items_json(std::string& out, const std::vector<domain::OrderItem>& items);
std::string items_json(const std::vector<domain::OrderItem>& items);
// Items from stored text; text that is not an array of items gives what could be read.
std::vector<domain::OrderItem> parse_items_json(std::string_view text);
// Whether stored text may be copied into an answer as it is: an array, as every writer of the
// column writes it (a damaged value is parsed and written again instead).
bool is_items_array(std::string_view text);

}  // namespace coldtrack::service
