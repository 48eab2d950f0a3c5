#include "store/sql/dialect.h"

#include <fmt/format.h>

#include <cctype>

#include <stdexcept>

namespace coldtrack::store::sql {
namespace {

constexpr std::string_view kInsert = "INSERT INTO ";

// excluded.c -> VALUES(c): the value the INSERT offered for c.
std::string mysql_set(std::string_view set) {
  constexpr std::string_view kExcluded = "excluded.";
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto hit = set.find(kExcluded, pos);
    if (hit == std::string_view::npos) break;
    out.append(set.substr(pos, hit - pos));
    auto end = hit + kExcluded.size();
    while (end < set.size() && (std::isalnum(static_cast<unsigned char>(set[end])) ||
                                set[end] == '_' || set[end] == '"'))
      ++end;
    out += "VALUES(";
    out.append(set.substr(hit + kExcluded.size(), end - hit - kExcluded.size()));
    out += ")";
    pos = end;
  }
  out.append(set.substr(pos));
  return out;
}

}  // namespace

std::string upsert(Dialect d, std::string_view insert, std::string_view target,
                   std::string_view set) {
  if (d == Dialect::sqlite)
    return fmt::format("{} ON CONFLICT {} DO UPDATE SET {}", insert, target, set);
  return fmt::format("{} ON DUPLICATE KEY UPDATE {}", insert, mysql_set(set));
}

std::string insert_ignore(Dialect d, std::string_view insert, std::string_view target) {
  if (d == Dialect::sqlite) return fmt::format("{} ON CONFLICT {} DO NOTHING", insert, target);
  if (!insert.starts_with(kInsert)) throw std::logic_error("insert_ignore needs an INSERT INTO");
  return fmt::format("INSERT IGNORE INTO {}", insert.substr(kInsert.size()));
}

}  // namespace coldtrack::store::sql
