// Versioned schema migrations for the MariaDB store (10.11+), compiled into the binary. Same
// versions and names as store/sqlite/migrations.h: a MariaDB database at version N has the
// tables, columns and indexes of a SQLite database at version N, so the shared queries of
// store/sql run on both.
//
// Each step's sql holds several statements separated by ';' for a multi-statement exec on a
// session with SET NAMES utf8mb4 COLLATE utf8mb4_bin, sql_mode 'ANSI_QUOTES,PIPES_AS_CONCAT,
// STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES,NO_AUTO_VALUE_ON_ZERO' and
// time_zone '+00:00' (identifiers are quoted with ", as in SQLite). DDL commits implicitly in
// MariaDB, so every statement can run again after a step failed half-way (IF NOT EXISTS, no-op
// upserts, recomputing back-fills). The version bookkeeping belongs to the runner.
#pragma once

#include <span>

#include "store/sql/engine.h"

namespace coldtrack::store::mysql {

std::span<const sql::Migration> migrations();

}  // namespace coldtrack::store::mysql
