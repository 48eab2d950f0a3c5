// Versioned schema migrations for the SQLite store, compiled into the binary so that a
// deployed executable never depends on files beside it.
#pragma once

#include <span>
#include <string_view>

namespace coldtrack::store::sqlite {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

std::span<const Migration> migrations();

}  // namespace coldtrack::store::sqlite
