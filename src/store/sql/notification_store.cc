// SqlStore: notification jobs (the rows behind the notification worker).
#include <fmt/format.h>

#include <set>

#include "store/sql/conn.h"
#include "store/sql/dialect.h"
#include "store/sql/sql_store.h"
#include "store/sql/writes.h"

namespace coldtrack::store::sql {
namespace {

constexpr std::string_view kColumns =
    "id, idem_key, event_key, event_kind, order_no, audience, channel, recipient, state, urgent, "
    "payload, event_at, send_at, attempts, lease_until, last_error, provider_ref, merged_into, "
    "fallback_of, created_at, updated_at, sent_at";

NotificationJob read_job(const Stmt& s) {
  NotificationJob j;
  j.id = s.i64(0);
  j.idem_key = s.text(1);
  j.event_key = s.text(2);
  j.event_kind = s.text(3);
  j.order_no = s.text(4);
  j.audience = s.text(5);
  j.channel = s.text(6);
  j.recipient = s.text(7);
  j.state = s.text(8);
  j.urgent = s.i64(9) != 0;
  j.payload = s.text(10);
  j.event_at = s.i64(11);
  j.send_at = s.i64(12);
  j.attempts = static_cast<int>(s.i64(13));
  j.lease_until = s.opt_i64(14).value_or(0);
  j.last_error = s.text(15);
  j.provider_ref = s.text(16);
  j.merged_into = s.opt_i64(17).value_or(0);
  j.fallback_of = s.opt_i64(18).value_or(0);
  j.created_at = s.i64(19);
  j.updated_at = s.i64(20);
  j.sent_at = s.opt_i64(21).value_or(0);
  return j;
}

std::optional<NotificationJob> find_job(Conn& db, std::int64_t id) {
  auto s = db.prepare(fmt::format("SELECT {} FROM notifications WHERE id = ?", kColumns));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_job(s);
}

// Returns true when a row was inserted. A job whose key exists is left alone, or (with
// replace_pending) refreshed while it is still pending: the newest of close changes is sent.
// Looked up first rather than upserted: the write transaction makes the two steps atomic, and
// it tells an insert from an update the same way on both databases.
bool insert_job(Conn& db, const NotificationJob& j, bool replace_pending, EpochMs now) {
  std::optional<std::string> state;
  {
    auto s = db.prepare("SELECT state FROM notifications WHERE idem_key = ?");
    s.bind(1, j.idem_key);
    if (s.step()) state = s.text(0);
  }
  if (state) {
    if (replace_pending && *state == "pending") {
      db.prepare(
            "UPDATE notifications SET send_at = ?, payload = ?, event_at = ?, updated_at = ? "
            "WHERE idem_key = ?")
          .bind(1, j.send_at)
          .bind(2, j.payload.empty() ? std::string("{}") : j.payload)
          .bind(3, j.event_at)
          .bind(4, now)
          .bind(5, j.idem_key)
          .run();
    }
    return false;
  }
  db.prepare(
        "INSERT INTO notifications (idem_key, event_key, event_kind, order_no, audience, "
        "channel, recipient, state, urgent, payload, event_at, send_at, fallback_of, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, j.idem_key)
      .bind(2, j.event_key)
      .bind(3, j.event_kind)
      .bind(4, j.order_no)
      .bind(5, j.audience)
      .bind(6, j.channel)
      .bind(7, j.recipient)
      .bind(8, j.state.empty() ? std::string("pending") : j.state)
      .bind(9, j.urgent ? 1 : 0)
      .bind(10, j.payload.empty() ? std::string("{}") : j.payload)
      .bind(11, j.event_at)
      .bind(12, j.send_at)
      .bind(13, j.fallback_of ? std::optional<std::int64_t>(j.fallback_of) : std::nullopt)
      .bind(14, now)
      .bind(15, now)
      .run();
  return true;
}

}  // namespace

int SqlStore::plan_notifications(std::int64_t outbox_id, const std::vector<NotificationJob>& jobs,
                                 bool replace_pending, EpochMs now) {
  return write([&](Conn& db) -> int {
    Transaction tx(db);
    int inserted = 0;
    for (const auto& j : jobs) inserted += insert_job(db, j, replace_pending, now) ? 1 : 0;
    if (outbox_id != 0) {
      db.prepare("UPDATE outbox SET done_at = ? WHERE id = ?")
          .bind(1, now)
          .bind(2, outbox_id)
          .run();
    }
    tx.commit();
    return inserted;
  });
}

std::vector<EpochMs> SqlStore::recipient_sends(std::string_view recipient, EpochMs since) {
  return read([&](Conn& db) -> std::vector<EpochMs> {
    auto s = db.prepare(
        "SELECT COALESCE(sent_at, send_at) FROM notifications WHERE recipient = ? AND send_at >= ? "
        "AND audience = 'customer' AND state IN ('pending', 'sending', 'sent', 'uncertain')");
    s.bind(1, recipient).bind(2, since);
    std::vector<EpochMs> out;
    while (s.step()) out.push_back(s.i64(0));
    return out;
  });
}

int SqlStore::expire_sending(EpochMs now) {
  return write([&](Conn& db) -> int {
    db.prepare(
          "UPDATE notifications SET state = 'uncertain', last_error = 'the sender stopped before "
          "the provider answered: it may have been delivered, so it is not sent again "
          "automatically', updated_at = ? WHERE state = 'sending' AND lease_until < ?")
        .bind(1, now)
        .bind(2, now)
        .run();
    return db.changes();
  });
}

std::vector<ClaimedNotification> SqlStore::claim_notifications(EpochMs now, int limit,
                                                               EpochMs lease_ms,
                                                               EpochMs digest_ms) {
  return write([&](Conn& db) -> std::vector<ClaimedNotification> {
    Transaction tx(db);
    std::vector<NotificationJob> due;
    {
      auto s = db.prepare(fmt::format(
          "SELECT {} FROM notifications WHERE state = 'pending' AND send_at <= ? ORDER BY send_at, "
          "id LIMIT ?",
          kColumns));
      s.bind(1, now).bind(2, limit);
      while (s.step()) due.push_back(read_job(s));
    }
    std::vector<ClaimedNotification> out;
    std::set<std::int64_t> taken;
    for (auto& j : due) {
      if (taken.count(j.id)) continue;
      taken.insert(j.id);
      ClaimedNotification c;
      if (!j.urgent && digest_ms > 0) {
        auto s = db.prepare(fmt::format(
            "SELECT {} FROM notifications WHERE state = 'pending' AND urgent = 0 AND order_no = ? "
            "AND recipient = ? AND channel = ? AND id != ? AND send_at <= ? ORDER BY send_at, id",
            kColumns));
        s.bind(1, j.order_no)
            .bind(2, j.recipient)
            .bind(3, j.channel)
            .bind(4, j.id)
            .bind(5, j.send_at + digest_ms);
        while (s.step()) {
          auto m = read_job(s);
          if (taken.count(m.id)) continue;
          taken.insert(m.id);
          c.merged.push_back(std::move(m));
        }
        for (auto& m : c.merged) {
          db.prepare(
                "UPDATE notifications SET state = 'merged', merged_into = ?, updated_at = ? WHERE "
                "id = ?")
              .bind(1, j.id)
              .bind(2, now)
              .bind(3, m.id)
              .run();
          m.state = "merged";
          m.merged_into = j.id;
        }
      }
      db.prepare(
            "UPDATE notifications SET state = 'sending', attempts = attempts + 1, lease_until = ?, "
            "updated_at = ? WHERE id = ?")
          .bind(1, now + lease_ms)
          .bind(2, now)
          .bind(3, j.id)
          .run();
      j.state = "sending";
      ++j.attempts;
      j.lease_until = now + lease_ms;
      c.job = std::move(j);
      out.push_back(std::move(c));
    }
    tx.commit();
    return out;
  });
}

void SqlStore::finish_notification(const NotificationOutcome& o) {
  return write([&](Conn& db) -> void {
    Transaction tx(db);
    const bool sent = o.state == "sent";
    db.prepare(
          "UPDATE notifications SET state = ?, send_at = CASE WHEN ? = 'pending' THEN ? ELSE "
          "send_at END, last_error = ?, provider_ref = CASE WHEN ? != '' THEN ? ELSE provider_ref "
          "END, sent_at = ?, lease_until = NULL, updated_at = ? WHERE id = ? AND state = "
          "'sending'")
        .bind(1, o.state)
        .bind(2, o.state)
        .bind(3, o.retry_at)
        .bind(4, o.error)
        .bind(5, o.provider_ref)
        .bind(6, o.provider_ref)
        .bind(7, sent ? std::optional<std::int64_t>(o.at) : std::nullopt)
        .bind(8, o.at)
        .bind(9, o.id)
        .run();
    // A job no longer ours (its lease ran out and it was declared uncertain) keeps that state,
    // and then no follow-up is made either.
    if (db.changes() == 1 && o.follow_up) insert_job(db, *o.follow_up, false, o.at);
    tx.commit();
  });
}

NotificationPage SqlStore::list_notifications(const NotificationFilter& f) {
  return read([&](Conn& db) -> NotificationPage {
    std::string sql = fmt::format("SELECT {} FROM notifications WHERE 1 = 1", kColumns);
    std::vector<std::string> args;
    const auto add = [&](const std::optional<std::string>& v, std::string_view column) {
      if (!v) return;
      sql += fmt::format(" AND {} = ?", column);
      args.push_back(*v);
    };
    add(f.order_no, "order_no");
    add(f.recipient, "recipient");
    add(f.channel, "channel");
    add(f.state, "state");
    add(f.audience, "audience");
    if (f.before_id) sql += fmt::format(" AND id < {}", *f.before_id);
    sql += fmt::format(" ORDER BY id DESC LIMIT {}", f.limit + 1);
    auto s = db.prepare(sql);
    for (std::size_t i = 0; i < args.size(); ++i) s.bind(static_cast<int>(i + 1), args[i]);
    NotificationPage page;
    while (s.step()) page.items.push_back(read_job(s));
    if (static_cast<int>(page.items.size()) > f.limit) {
      page.items.pop_back();
      page.next_before_id = page.items.back().id;
    }
    return page;
  });
}

std::optional<NotificationJob> SqlStore::get_notification(std::int64_t id) {
  return read([&](Conn& db) -> std::optional<NotificationJob> { return find_job(db, id); });
}

ResendResult SqlStore::resend_notification(std::int64_t id, EpochMs now, const AuditRecord& audit) {
  return write([&](Conn& db) -> ResendResult {
    Transaction tx(db);
    auto job = find_job(db, id);
    if (!job) return ResendResult::kNotFound;
    if (job->state != "dead" && job->state != "uncertain") return ResendResult::kNotResendable;
    db.prepare(
          "UPDATE notifications SET state = 'pending', send_at = ?, attempts = 0, last_error = "
          "'', updated_at = ? WHERE id = ?")
        .bind(1, now)
        .bind(2, now)
        .bind(3, id)
        .run();
    insert_audit(db, audit);
    tx.commit();
    return ResendResult::kQueued;
  });
}

std::optional<PaymentRecord> SqlStore::payment_for(std::string_view order_no) {
  return read([&](Conn& db) -> std::optional<PaymentRecord> {
    auto s = db.prepare(
        "SELECT order_no, provider, transaction_id, notify_id, amount_fen, payer_openid, "
        "success_time, received_at FROM payments WHERE order_no = ? ORDER BY id DESC LIMIT 1");
    s.bind(1, order_no);
    if (!s.step()) return std::nullopt;
    return PaymentRecord{s.text(0), s.text(1), s.text(2), s.text(3),
                         s.i64(4),  s.text(5), s.i64(6),  s.i64(7)};
  });
}

ShippingLedgerRecord SqlStore::shipping_ledger(std::string_view transaction_id) {
  return read([&](Conn& db) -> ShippingLedgerRecord {
    auto s = db.prepare(
        "SELECT used, last_upload_time, unresolved FROM wechat_shipping_ledger WHERE "
        "transaction_id = ?");
    s.bind(1, transaction_id);
    if (!s.step()) return {};
    return {static_cast<int>(s.i64(0)), s.opt_i64(1), s.i64(2) != 0};
  });
}

void SqlStore::save_shipping_ledger(std::string_view transaction_id, const ShippingLedgerRecord& l,
                                    EpochMs now) {
  return write([&](Conn& db) -> void {
    db.prepare(upsert(db.dialect(),
                      "INSERT INTO wechat_shipping_ledger (transaction_id, used, "
                      "last_upload_time, unresolved, updated_at) VALUES (?, ?, ?, ?, ?)",
                      "(transaction_id)",
                      "used = excluded.used, last_upload_time = excluded.last_upload_time, "
                      "unresolved = excluded.unresolved, updated_at = excluded.updated_at"))
        .bind(1, transaction_id)
        .bind(2, l.used)
        .bind(3, l.last_upload_time)
        .bind(4, l.unresolved ? 1 : 0)
        .bind(5, now)
        .run();
  });
}

}  // namespace coldtrack::store::sql
