// SqliteStore: the broker relay's view of the outbox (see RelayStore).
#include <cstdint>
#include <vector>

#include "store/sqlite/db.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack::store::sqlite {

std::vector<OutboxMessage> SqliteStore::unrelayed(std::int64_t after_id, int limit) {
  auto db = lease_reader();
  // Served by the partial index outbox_unrelayed, which holds only the rows still waiting.
  auto s = db->prepare(
      "SELECT id, topic, msg_key, payload, attempts FROM outbox WHERE relayed_at IS NULL AND "
      "id > ? ORDER BY id LIMIT ?");
  s.bind(1, after_id).bind(2, limit);
  std::vector<OutboxMessage> out;
  while (s.step())
    out.push_back({s.i64(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.i64(4))});
  return out;
}

void SqliteStore::mark_relayed(const std::vector<std::int64_t>& ids, EpochMs now) {
  if (ids.empty()) return;
  std::lock_guard lock(write_mu_);
  Db& db = *writer_;
  Transaction tx(db);  // one commit for the whole confirmed batch
  for (auto id : ids) {
    db.prepare("UPDATE outbox SET relayed_at = ? WHERE id = ? AND relayed_at IS NULL")
        .bind(1, now)
        .bind(2, id)
        .run();
  }
  tx.commit();
}

}  // namespace coldtrack::store::sqlite
