#include "service/items_json.h"

#include <boost/json.hpp>

#include <charconv>

#include "common/json_text.h"

namespace coldtrack::service {

namespace json = boost::json;

namespace {

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace

void append_items_json(std::string& out, const std::vector<domain::OrderItem>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    out += i ? R"(,{"sku":)" : R"({"sku":)";
    common::append_json_string(out, it.sku);
    out += R"(,"name":)";
    common::append_json_string(out, it.name);
    out += R"(,"category":)";
    common::append_json_string(out, it.category);
    out += R"(,"quantity":)";
    append_int(out, it.quantity);
    out += R"(,"unit_price_fen":)";
    append_int(out, it.unit_price_fen);
    out += '}';
  }
  out += ']';
}

std::string items_json(const std::vector<domain::OrderItem>& items) {
  std::string out;
  out.reserve(2 + items.size() * 96);
  append_items_json(out, items);
  return out;
}

std::vector<domain::OrderItem> parse_items_json(std::string_view text) {
  std::vector<domain::OrderItem> out;
  boost::system::error_code ec;
  // The parsed DOM lives in a buffer on the stack (a few items fit), not in many allocations.
  unsigned char buf[4096];
  json::monotonic_resource mr(buf, sizeof buf);
  auto v = json::parse(json::string_view(text.data(), text.size()), ec, &mr);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    const auto* o = e.if_object();
    if (!o) continue;
    auto str = [o](std::string_view k) {
      const auto* s = o->if_contains(k);
      return s && s->is_string() ? std::string(s->get_string()) : std::string();
    };
    auto num = [o](std::string_view k) {
      const auto* n = o->if_contains(k);
      return n && n->is_int64() ? n->get_int64() : std::int64_t{0};
    };
    out.push_back(
        {str("sku"), str("name"), str("category"), num("quantity"), num("unit_price_fen")});
  }
  return out;
}

bool is_items_array(std::string_view text) {
  return text.size() >= 2 && text.front() == '[' && text.back() == ']';
}

}  // namespace coldtrack::service
