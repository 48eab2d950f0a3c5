// SqlStore: the broker relay's and the broker consumers' view of the outbox (see RelayStore).
#include <cstdint>
#include <optional>
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

std::optional<OutboxRow> SqlStore::outbox_message(std::string_view msg_key) {
  return read([&](Conn& db) -> std::optional<OutboxRow> {
    // msg_key is unique (a unique index in both dialects): one row or none.
    auto s = db.prepare(
        "SELECT id, topic, msg_key, payload, attempts, created_at, available_at, done_at FROM "
        "outbox WHERE msg_key = ?");
    s.bind(1, msg_key);
    if (!s.step()) return std::nullopt;
    OutboxRow r;
    r.message = {s.i64(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.i64(4))};
    r.created_at = s.i64(5);
    r.available_at = s.i64(6);
    r.done_at = s.opt_i64(7);
    return r;
  });
}

bool SqlStore::lease_outbox(std::int64_t id, EpochMs seen_available_at, EpochMs until) {
  return write([&](Conn& db) -> bool {
    // One statement, so it is atomic on its own: SQLite runs one writer at a time, and MariaDB
    // locks the row, so a claim_outbox transaction that read the row either committed before
    // (available_at moved: no match here) or waits for this one (and then skips the lease).
    db.prepare(
          "UPDATE outbox SET available_at = ?, attempts = attempts + 1 WHERE id = ? AND "
          "available_at = ? AND done_at IS NULL")
        .bind(1, until)
        .bind(2, id)
        .bind(3, seen_available_at)
        .run();
    return db.changes() == 1;
  });
}

}  // namespace coldtrack::store::sql
