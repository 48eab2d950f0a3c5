// Rows every write path of the SQL store adds inside its own transaction.
#pragma once

#include <string>
#include <string_view>

#include "store/records.h"

namespace coldtrack::store::sql {

class Conn;

void insert_audit(Conn& db, const AuditRecord& a);
// An outbox message; a second message with the same key is ignored (consumers dedupe on it).
void insert_outbox(Conn& db, std::string_view topic, const std::string& key,
                   const std::string& payload, EpochMs now);

}  // namespace coldtrack::store::sql
