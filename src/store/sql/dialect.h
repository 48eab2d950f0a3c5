// The few statements SQLite and MariaDB spell differently, built from one description so the
// store's queries stay written once.
#pragma once

#include <string>
#include <string_view>

#include "store/sql/conn.h"

namespace coldtrack::store::sql {

// `insert` ("INSERT INTO t (...) VALUES (...)") that updates the existing row when the unique
// key `target` ("(col, ...)") is taken. `set` is written SQLite-style, `excluded.c` meaning the
// value offered for c. MariaDB has no conflict target (ON DUPLICATE KEY fires on any unique key)
// and applies assignments left to right, so: `target` must be the table's only unique key besides
// an auto-increment id, and an assignment reading an old column must precede the one changing it.
std::string upsert(Dialect d, std::string_view insert, std::string_view target,
                   std::string_view set);

// `insert` that skips a row whose unique key `target` is taken (changes() is 0 for it).
std::string insert_ignore(Dialect d, std::string_view insert, std::string_view target);

}  // namespace coldtrack::store::sql
