// SqlStore: named leases. BEGIN IMMEDIATE takes SQLite's write lock, so the read and the
// write of one try_lease are atomic across every process on the database file.
#include <optional>
#include <string>

#include "store/sql/conn.h"
#include "store/sql/dialect.h"
#include "store/sql/sql_store.h"

namespace coldtrack::store::sql {

LeaseResult SqlStore::try_lease(std::string_view name, std::string_view owner, EpochMs now,
                                EpochMs ttl_ms) {
  return write([&](Conn& db) -> LeaseResult {
    Transaction tx(db);
    std::optional<std::string> holder;
    EpochMs until = 0;
    {
      auto s = db.prepare("SELECT owner, until FROM leases WHERE name = ?");
      s.bind(1, name);
      if (s.step()) {
        holder = s.text(0);
        until = s.i64(1);
      }
    }
    LeaseResult r;
    if (holder && *holder != owner && until > now) return r;  // someone else's, still valid
    if (holder && *holder == owner) {
      db.prepare("UPDATE leases SET until = ? WHERE name = ?")
          .bind(1, now + ttl_ms)
          .bind(2, name)
          .run();
    } else {
      if (holder) r.taken_from = *holder;  // expired: its owner died or stalled
      db.prepare(upsert(db.dialect(),
                        "INSERT INTO leases (name, owner, until, acquired_at) VALUES (?, ?, ?, ?)",
                        "(name)",
                        "owner = excluded.owner, until = excluded.until, acquired_at = "
                        "excluded.acquired_at"))
          .bind(1, name)
          .bind(2, owner)
          .bind(3, now + ttl_ms)
          .bind(4, now)
          .run();
    }
    tx.commit();
    r.held = true;
    return r;
  });
}

void SqlStore::release_lease(std::string_view name, std::string_view owner) {
  return write([&](Conn& db) -> void {
    db.prepare("DELETE FROM leases WHERE name = ? AND owner = ?")
        .bind(1, name)
        .bind(2, owner)
        .run();
  });
}

}  // namespace coldtrack::store::sql
