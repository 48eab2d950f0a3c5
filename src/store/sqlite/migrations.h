// Versioned schema migrations for the SQLite store, compiled into the binary so that a
// deployed executable never depends on files beside it.
#pragma once

#include <span>
#include <string_view>

#include "store/sql/engine.h"

namespace coldtrack::store::sqlite {

std::span<const sql::Migration> migrations();

}  // namespace coldtrack::store::sqlite
