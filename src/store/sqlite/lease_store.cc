// SqliteStore: named leases. BEGIN IMMEDIATE takes SQLite's write lock, so the read and the
// write of one try_lease are atomic across every process on the database file.
#include <optional>
#include <string>

#include "store/sqlite/db.h"
#include "store/sqlite/sqlite_store.h"

namespace coldtrack::store::sqlite {

LeaseResult SqliteStore::try_lease(std::string_view name, std::string_view owner, EpochMs now,
                                   EpochMs ttl_ms) {
  std::lock_guard lock(write_mu_);
  Db& db = *writer_;
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
    db.prepare(
          "INSERT INTO leases (name, owner, until, acquired_at) VALUES (?, ?, ?, ?) ON "
          "CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until, "
          "acquired_at = excluded.acquired_at")
        .bind(1, name)
        .bind(2, owner)
        .bind(3, now + ttl_ms)
        .bind(4, now)
        .run();
  }
  tx.commit();
  r.held = true;
  return r;
}

void SqliteStore::release_lease(std::string_view name, std::string_view owner) {
  std::lock_guard lock(write_mu_);
  writer_->prepare("DELETE FROM leases WHERE name = ? AND owner = ?")
      .bind(1, name)
      .bind(2, owner)
      .run();
}

}  // namespace coldtrack::store::sqlite
