// SqlStore: the broker relay's view of the outbox (see RelayStore).
#include <cstdint>
#include <vector>

#include "store/sql/conn.h"
#include "store/sql/sql_store.h"

namespace coldtrack::store::sql {

std::vector<OutboxMessage> SqlStore::unrelayed(std::int64_t after_id, int limit) {
  return read([&](Conn& db) -> std::vector<OutboxMessage> {
    // Served by the partial index outbox_unrelayed, which holds only the rows still waiting.
    auto s = db.prepare(
        "SELECT id, topic, msg_key, payload, attempts FROM outbox WHERE relayed_at IS NULL AND "
        "id > ? ORDER BY id LIMIT ?");
    s.bind(1, after_id).bind(2, limit);
    std::vector<OutboxMessage> out;
    while (s.step())
      out.push_back({s.i64(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.i64(4))});
    return out;
  });
}

void SqlStore::mark_relayed(const std::vector<std::int64_t>& ids, EpochMs now) {
  return write([&](Conn& db) -> void {
    if (ids.empty()) return;
    Transaction tx(db);  // one commit for the whole confirmed batch
    for (auto id : ids) {
      db.prepare("UPDATE outbox SET relayed_at = ? WHERE id = ? AND relayed_at IS NULL")
          .bind(1, now)
          .bind(2, id)
          .run();
    }
    tx.commit();
  });
}

}  // namespace coldtrack::store::sql
