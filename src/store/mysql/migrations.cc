#include "store/mysql/migrations.h"

#include <array>

// The MariaDB translation of store/sqlite/migrations.cc, step by step. Rules:
// - Every table is InnoDB, utf8mb4 with the binary collation utf8mb4_nopad_bin: comparisons, unique
//   keys and ORDER BY behave as in SQLite (byte order, case-sensitive).
// - INTEGER is BIGINT (times are epoch milliseconds), REAL is DOUBLE, BLOB stays BLOB.
// - Text that is a key, is indexed or is a short code is VARCHAR, sized from the input checks of
//   the service (STRICT_ALL_TABLES refuses a longer value instead of truncating it); free text
//   is TEXT and JSON documents MEDIUMTEXT.
// - INTEGER PRIMARY KEY AUTOINCREMENT is AUTO_INCREMENT; so is a plain INTEGER PRIMARY KEY whose
//   rows the store inserts without an id (outbox, audit_log, notifications). Archive tables and
//   tables keyed by a shipment id keep the ids they are given.
// - Column order is SQLite's: the archiver copies events and shipments with INSERT ... SELECT *
//   (orders by column name: orders_archive has archived_at before the columns added later).
// - WITHOUT ROWID is dropped: InnoDB clusters every table on its primary key.
// - Partial indexes do not exist in MariaDB. A partial index whose predicate is
//   "col IS NOT NULL" becomes a full index on the same columns (the queries it serves already
//   exclude NULL). One whose predicate selects the few live rows of a growing table
//   ("done_at IS NULL", "state = 'pending'") gets the predicate column as its first key part
//   instead, so the queries still read only live rows rather than the whole history. The partial
//   UNIQUE index anomalies_one_unresolved is a unique key over an invisible virtual column that is
//   NULL for resolved rows.
// - Statements are safe to run again (IF NOT EXISTS, no-op upserts): DDL commits implicitly, so a
//   step that failed half-way is simply run again from its first statement.
// - No ';' inside comments or literals: some runners split on it.

namespace coldtrack::store::mysql {
namespace {

// Live and archive tables share one shape (same column order); archive rows keep their ids so
// cursors work across both. AUTO_INCREMENT on the live tables: InnoDB never hands out an id
// again (the counter is persistent since MariaDB 10.2.4), like SQLite's AUTOINCREMENT.
// Partial indexes orders_by_openid, orders_by_finished and orders_archive_by_openid
// ("... IS NOT NULL") are full indexes here. outbox_pending ("WHERE done_at IS NULL") leads with
// done_at.
constexpr std::string_view kInit = R"sql(
CREATE TABLE IF NOT EXISTS carriers (
  code VARCHAR(32) NOT NULL PRIMARY KEY,
  name_zh VARCHAR(64) NOT NULL,
  kdniao_code VARCHAR(64),
  kuaidi100_code VARCHAR(64),
  needs_phone BIGINT NOT NULL DEFAULT 0,
  cold_chain BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS categories (
  code VARCHAR(32) NOT NULL PRIMARY KEY,
  name_zh VARCHAR(64) NOT NULL,
  min_temp_c BIGINT,
  max_temp_c BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_no VARCHAR(64) NOT NULL,
  status VARCHAR(32) NOT NULL,
  name_sealed BLOB NOT NULL,
  phone_sealed BLOB NOT NULL,
  phone_index VARCHAR(128) NOT NULL,
  phone_last4 VARCHAR(16) NOT NULL,
  openid VARCHAR(128),
  province VARCHAR(100) NOT NULL,
  city VARCHAR(100) NOT NULL,
  district VARCHAR(100) NOT NULL,
  detail_sealed BLOB NOT NULL,
  items_json MEDIUMTEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  shipping_fen BIGINT NOT NULL,
  discount_fen BIGINT NOT NULL,
  remark TEXT NOT NULL,
  body_hash VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT,
  UNIQUE KEY orders_order_no (order_no),
  KEY orders_by_created (created_at DESC, id DESC),
  KEY orders_by_phone (phone_index, created_at DESC, id DESC),
  KEY orders_by_status (status, created_at DESC, id DESC),
  KEY orders_by_openid (openid, created_at DESC, id DESC),
  KEY orders_by_finished (finished_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS order_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  status VARCHAR(32) NOT NULL,
  from_status VARCHAR(32),
  at BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  actor VARCHAR(255) NOT NULL,
  note TEXT NOT NULL,
  KEY order_events_by_order (order_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS shipments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  order_created_at BIGINT NOT NULL,
  carrier VARCHAR(32) NOT NULL,
  waybill_no VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE KEY shipments_parcel (order_id, carrier, waybill_no),
  KEY shipments_by_waybill (waybill_no),
  KEY shipments_by_carrier (carrier, order_created_at DESC, order_id DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS orders_archive (
  id BIGINT NOT NULL PRIMARY KEY,
  order_no VARCHAR(64) NOT NULL,
  status VARCHAR(32) NOT NULL,
  name_sealed BLOB NOT NULL,
  phone_sealed BLOB NOT NULL,
  phone_index VARCHAR(128) NOT NULL,
  phone_last4 VARCHAR(16) NOT NULL,
  openid VARCHAR(128),
  province VARCHAR(100) NOT NULL,
  city VARCHAR(100) NOT NULL,
  district VARCHAR(100) NOT NULL,
  detail_sealed BLOB NOT NULL,
  items_json MEDIUMTEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  shipping_fen BIGINT NOT NULL,
  discount_fen BIGINT NOT NULL,
  remark TEXT NOT NULL,
  body_hash VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT,
  archived_at BIGINT NOT NULL,
  UNIQUE KEY orders_archive_order_no (order_no),
  KEY orders_archive_by_created (created_at DESC, id DESC),
  KEY orders_archive_by_phone (phone_index, created_at DESC, id DESC),
  KEY orders_archive_by_status (status, created_at DESC, id DESC),
  KEY orders_archive_by_openid (openid, created_at DESC, id DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS order_events_archive (
  id BIGINT NOT NULL PRIMARY KEY,
  order_id BIGINT NOT NULL,
  status VARCHAR(32) NOT NULL,
  from_status VARCHAR(32),
  at BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  actor VARCHAR(255) NOT NULL,
  note TEXT NOT NULL,
  KEY order_events_archive_by_order (order_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS shipments_archive (
  id BIGINT NOT NULL PRIMARY KEY,
  order_id BIGINT NOT NULL,
  order_created_at BIGINT NOT NULL,
  carrier VARCHAR(32) NOT NULL,
  waybill_no VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE KEY shipments_archive_parcel (order_id, carrier, waybill_no),
  KEY shipments_archive_by_waybill (waybill_no),
  KEY shipments_archive_by_carrier (carrier, order_created_at DESC, order_id DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  topic VARCHAR(64) NOT NULL,
  msg_key VARCHAR(255) NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  created_at BIGINT NOT NULL,
  available_at BIGINT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  done_at BIGINT,
  UNIQUE KEY outbox_msg_key (msg_key),
  KEY outbox_pending (done_at, available_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS api_keys (
  "key" VARCHAR(128) NOT NULL PRIMARY KEY,
  secret_sealed BLOB NOT NULL,
  role VARCHAR(32) NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor VARCHAR(255) NOT NULL,
  role VARCHAR(32) NOT NULL,
  action VARCHAR(64) NOT NULL,
  target VARCHAR(255) NOT NULL,
  request_id VARCHAR(128) NOT NULL,
  client_addr VARCHAR(255) NOT NULL,
  detail MEDIUMTEXT NOT NULL,
  KEY audit_by_actor (actor, id DESC),
  KEY audit_by_target (target, id DESC),
  KEY audit_by_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// Reference data, values exactly as in the SQLite step. ON DUPLICATE KEY UPDATE code = code
// makes a repeated run a no-op (INSERT IGNORE would also hide real errors).
constexpr std::string_view kSeed = R"sql(
INSERT INTO categories (code, name_zh, min_temp_c, max_temp_c) VALUES
  ('frozen', '冷冻', NULL, -18),
  ('chilled', '冷藏', 0, 4),
  ('ambient', '常温', NULL, NULL)
  ON DUPLICATE KEY UPDATE code = code;

INSERT INTO carriers (code, name_zh, kdniao_code, kuaidi100_code, needs_phone, cold_chain) VALUES
  ('SF', '顺丰', 'SF', 'shunfeng', 1, 0),
  ('ZTO', '中通', 'ZTO', 'zhongtong', 1, 0),
  ('YTO', '圆通', 'YTO', 'yuantong', 0, 0),
  ('STO', '申通', 'STO', 'shentong', 0, 0),
  ('YUNDA', '韵达', 'YD', 'yunda', 0, 0),
  ('JD', '京东', 'JD', 'jd', 0, 0),
  ('EMS', 'EMS', 'EMS', 'ems', 0, 0),
  ('CHINA_POST', '邮政快递包裹', 'YZPY', 'youzhengguonei', 0, 0),
  ('JT', '极兔', 'JTSD', 'jtexpress', 0, 0),
  ('DEPPON', '德邦', 'DBL', 'debangkuaidi', 0, 0),
  ('BEST', '百世', 'HTKY', 'huitongkuaidi', 0, 0),
  ('UC', '优速', 'UC', 'youshuwuliu', 0, 0),
  ('ZJS', '宅急送', 'ZJS', 'zhaijisong', 0, 0),
  ('TTKD', '天天', 'HHTT', 'tiantian', 0, 0),
  ('ANE', '安能', 'ANE', 'annengwuliu', 0, 0),
  ('JD_FREIGHT', '京东快运', 'JDKY', NULL, 0, 0),
  ('DEPPON_FREIGHT', '德邦快运', 'DBLKY', NULL, 0, 0),
  ('KUAYUE', '跨越', 'KYSY', 'kuayue', 1, 0),
  ('ZTO_FREIGHT', '中通快运', 'ZTOKY', 'zhongtongkuaiyun', 0, 0),
  ('SF_FREIGHT', '顺丰快运', NULL, 'shunfengkuaiyun', 1, 0),
  ('SF_COLD', '顺丰冷运', NULL, 'shunfenglengyun', 1, 1),
  ('ZTO_COLD', '中通冷链', NULL, 'ztocc', 0, 1),
  ('JIUYE', '九曳供应链', 'JIUYE', 'jiuyescm', 0, 1),
  ('HEIGOU', '黑狗冷链', 'HGLL', NULL, 0, 1),
  ('AXD', '安鲜达', 'AXD', NULL, 0, 1)
  ON DUPLICATE KEY UPDATE code = code;
)sql";

// Responses remembered for the Idempotency-Key header (kept 24 hours). The key is the caller
// ("apikey:" + up to 64) + "\n" + the header (up to 128): at most about 200 characters. The body
// is a whole response, possibly larger than TEXT's 64 KiB.
constexpr std::string_view kIdempotency = R"sql(
CREATE TABLE IF NOT EXISTS idempotency_keys (
  "key" VARCHAR(255) NOT NULL PRIMARY KEY,
  request_hash VARCHAR(128) NOT NULL,
  status BIGINT NOT NULL,
  body MEDIUMTEXT NOT NULL,
  created_at BIGINT NOT NULL,
  KEY idempotency_keys_by_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// Carrier tracking: the current snapshot per shipment and an event per change of unified
// tracking state. raw_payload is the provider's body byte for byte (kept for diagnosis): a BLOB,
// so bytes that are not valid UTF-8 are stored as SQLite stores them instead of failing the write
// under STRICT_ALL_TABLES. raw_state, raw_substate and location come from providers and are
// unbounded: TEXT.
constexpr std::string_view kTracking = R"sql(
CREATE TABLE IF NOT EXISTS shipment_tracking (
  shipment_id BIGINT NOT NULL PRIMARY KEY,
  provider VARCHAR(32) NOT NULL,
  status VARCHAR(32) NOT NULL,
  reason VARCHAR(64) NOT NULL,
  raw_state TEXT NOT NULL,
  raw_substate TEXT NOT NULL,
  location TEXT NOT NULL,
  last_event_at BIGINT,
  trace_count BIGINT NOT NULL,
  traces_json MEDIUMTEXT NOT NULL,
  raw_payload MEDIUMBLOB NOT NULL,
  heard_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS tracking_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  shipment_id BIGINT NOT NULL,
  status VARCHAR(32) NOT NULL,
  reason VARCHAR(64) NOT NULL,
  from_status VARCHAR(32),
  at BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  provider VARCHAR(32) NOT NULL,
  KEY tracking_events_by_shipment (shipment_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// Polling state per shipment. shipment_polling_due ("WHERE next_poll_at IS NOT NULL") is a full
// index. outbox_pending_by_topic ("WHERE done_at IS NULL") leads with done_at so that claiming
// reads only undone messages, not the topic's whole history. last_response holds the first 4000
// bytes of a provider's body, which may end inside a UTF-8 character: a BLOB (see raw_payload).
// The back-fill skips shipments that already have a row, so the step can run again.
constexpr std::string_view kPolling = R"sql(
CREATE TABLE IF NOT EXISTS shipment_polling (
  shipment_id BIGINT NOT NULL PRIMARY KEY,
  provider VARCHAR(32) NOT NULL DEFAULT '',
  subscribed BIGINT NOT NULL DEFAULT 0,
  next_poll_at BIGINT,
  last_query_at BIGINT,
  failures BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  last_response BLOB NOT NULL DEFAULT '',
  KEY shipment_polling_due (next_poll_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE INDEX IF NOT EXISTS outbox_pending_by_topic ON outbox (done_at, topic, available_at);

INSERT INTO shipment_polling (shipment_id, next_poll_at)
  SELECT s.id, s.created_at FROM shipments s JOIN orders o ON o.id = s.order_id
  WHERE o.status IN ('SHIPPED', 'IN_TRANSIT', 'EXCEPTION')
    AND NOT EXISTS (SELECT 1 FROM shipment_polling p WHERE p.shipment_id = s.id);
)sql";

// Monitoring. Items JSON is written by our own serializer (no spaces, lower-case keys), so the
// LIKE patterns are exact (LIKE is case-sensitive under utf8mb4_nopad_bin, unlike SQLite's, which
// changes nothing here). temp_class is back-filled with a multi-table UPDATE, status_at with a
// correlated subquery on tracking_events (NULL when a shipment has no event, as in SQLite).
//
// anomalies_one_unresolved: SQLite's "UNIQUE (subject, kind) WHERE state != 'resolved'" is a
// unique key over (subject, open_kind), open_kind being kind while the anomaly is unresolved and
// NULL once resolved (NULLs never collide). The column is VIRTUAL (computed, nothing stored but
// the index entry) and INVISIBLE (SELECT * and INSERT without a column list do not see it), and
// its type is kind's.
constexpr std::string_view kMonitoring = R"sql(
ALTER TABLE shipments
  ADD COLUMN IF NOT EXISTS origin_city VARCHAR(64) NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS service VARCHAR(32) NOT NULL DEFAULT 'standard',
  ADD COLUMN IF NOT EXISTS temp_class VARCHAR(32) NOT NULL DEFAULT 'ambient';
ALTER TABLE shipments_archive
  ADD COLUMN IF NOT EXISTS origin_city VARCHAR(64) NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS service VARCHAR(32) NOT NULL DEFAULT 'standard',
  ADD COLUMN IF NOT EXISTS temp_class VARCHAR(32) NOT NULL DEFAULT 'ambient';
UPDATE shipments s JOIN orders o ON o.id = s.order_id SET s.temp_class = CASE
    WHEN o.items_json LIKE '%"category":"frozen"%' THEN 'frozen'
    WHEN o.items_json LIKE '%"category":"chilled"%' THEN 'chilled' ELSE 'ambient' END;
ALTER TABLE shipment_tracking ADD COLUMN IF NOT EXISTS status_at BIGINT;
UPDATE shipment_tracking SET status_at = (SELECT MAX(e.at) FROM tracking_events e
  WHERE e.shipment_id = shipment_tracking.shipment_id);
CREATE INDEX IF NOT EXISTS tracking_events_by_status ON tracking_events (status, shipment_id);

CREATE TABLE IF NOT EXISTS anomalies (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(64) NOT NULL,
  subject VARCHAR(128) NOT NULL,
  order_no VARCHAR(64) NOT NULL,
  shipment_id BIGINT,
  carrier VARCHAR(32) NOT NULL,
  severity VARCHAR(32) NOT NULL,
  reason VARCHAR(64) NOT NULL,
  evidence MEDIUMTEXT NOT NULL,
  state VARCHAR(32) NOT NULL,
  opened_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  acknowledged_at BIGINT,
  acknowledged_by VARCHAR(255),
  resolved_at BIGINT,
  resolved_by VARCHAR(255),
  resolution TEXT,
  open_kind VARCHAR(64) AS (IF(state <> 'resolved', kind, NULL)) VIRTUAL INVISIBLE,
  UNIQUE KEY anomalies_one_unresolved (subject, open_kind),
  KEY anomalies_by_subject (subject, kind, id),
  KEY anomalies_by_state (state, id),
  KEY anomalies_by_order (order_no, id),
  KEY anomalies_by_kind (kind, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS temperature_readings (
  shipment_id BIGINT NOT NULL,
  device_id VARCHAR(64) NOT NULL,
  at BIGINT NOT NULL,
  temp_c DOUBLE NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (shipment_id, device_id, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS shipment_coldchain (
  shipment_id BIGINT NOT NULL PRIMARY KEY,
  profile VARCHAR(32) NOT NULL,
  readings BIGINT NOT NULL,
  thaw_risk VARCHAR(32) NOT NULL,
  worst VARCHAR(32) NOT NULL,
  mkt_c DOUBLE,
  summary_json MEDIUMTEXT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// Payments confirmed by a payment provider's notification: one row per provider transaction.
constexpr std::string_view kPayments = R"sql(
CREATE TABLE IF NOT EXISTS payments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_no VARCHAR(64) NOT NULL,
  provider VARCHAR(32) NOT NULL,
  transaction_id VARCHAR(128) NOT NULL,
  notify_id VARCHAR(255) NOT NULL,
  amount_fen BIGINT NOT NULL,
  payer_openid VARCHAR(128) NOT NULL,
  success_time BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  UNIQUE KEY payments_transaction (provider, transaction_id),
  KEY payments_by_order (order_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// Customer sessions after a WeChat login: only a hash of the bearer token is kept.
constexpr std::string_view kSessions = R"sql(
CREATE TABLE IF NOT EXISTS customer_sessions (
  token_hash VARCHAR(128) NOT NULL PRIMARY KEY,
  openid VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  KEY customer_sessions_by_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// One-time subscribe-message acceptances per customer and template (template ids: 1-64
// characters).
constexpr std::string_view kSubscriptions = R"sql(
CREATE TABLE IF NOT EXISTS subscriptions (
  openid VARCHAR(128) NOT NULL,
  template_id VARCHAR(128) NOT NULL,
  remaining BIGINT NOT NULL,
  accepted_total BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (openid, template_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// Notification jobs: one row per (event, recipient, channel). idem_key is
// event_key + "|" + recipient + "|" + channel (at most 255 + 1 + 255 + 1 + 32 characters),
// VARCHAR(768) being the longest single utf8mb4 column InnoDB can index (3072 bytes).
// notifications_due ("WHERE state = 'pending'") and notifications_sending ("WHERE state =
// 'sending'") lead with state, so the worker reads only the rows in that state.
constexpr std::string_view kNotifications = R"sql(
CREATE TABLE IF NOT EXISTS notifications (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  idem_key VARCHAR(768) NOT NULL,
  event_key VARCHAR(255) NOT NULL,
  event_kind VARCHAR(64) NOT NULL,
  order_no VARCHAR(64) NOT NULL,
  audience VARCHAR(32) NOT NULL,
  channel VARCHAR(32) NOT NULL,
  recipient VARCHAR(255) NOT NULL,
  state VARCHAR(32) NOT NULL,
  urgent BIGINT NOT NULL DEFAULT 0,
  payload MEDIUMTEXT NOT NULL,
  event_at BIGINT NOT NULL,
  send_at BIGINT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  lease_until BIGINT,
  last_error TEXT NOT NULL DEFAULT '',
  provider_ref VARCHAR(255) NOT NULL DEFAULT '',
  merged_into BIGINT,
  fallback_of BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  sent_at BIGINT,
  UNIQUE KEY notifications_idem_key (idem_key),
  KEY notifications_due (state, send_at),
  KEY notifications_sending (state, lease_until),
  KEY notifications_by_order (order_no, id),
  KEY notifications_by_recipient (recipient, send_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// WeChat shipping-info upload: WeChat's carrier ids as one more column of the carrier table
// (values as in the SQLite step), and each payment's upload ledger.
constexpr std::string_view kWechatShipping = R"sql(
ALTER TABLE carriers ADD COLUMN IF NOT EXISTS wechat_code VARCHAR(64) NOT NULL DEFAULT '';
UPDATE carriers SET wechat_code = CASE code
  WHEN 'SF' THEN 'SF' WHEN 'ZTO' THEN 'ZTO' WHEN 'YTO' THEN 'YTO' WHEN 'STO' THEN 'STO'
  WHEN 'YUNDA' THEN 'YD' WHEN 'JD' THEN 'JD' WHEN 'EMS' THEN 'EMS' WHEN 'CHINA_POST' THEN 'YZPY'
  WHEN 'JT' THEN 'JTSD' WHEN 'DEPPON' THEN 'DBL' WHEN 'BEST' THEN 'HTKY' WHEN 'UC' THEN 'UC'
  WHEN 'ZJS' THEN 'ZJS' WHEN 'TTKD' THEN 'HHTT' ELSE '' END;
CREATE TABLE IF NOT EXISTS wechat_shipping_ledger (
  transaction_id VARCHAR(128) NOT NULL PRIMARY KEY,
  used BIGINT NOT NULL,
  last_upload_time BIGINT,
  unresolved BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// Named leases: which replica runs the anomaly sweep and the archiver. Owners are
// "host:pid:random".
constexpr std::string_view kLeases = R"sql(
CREATE TABLE IF NOT EXISTS leases (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  owner VARCHAR(255) NOT NULL,
  until BIGINT NOT NULL,
  acquired_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// The RabbitMQ relay's own progress. outbox_unrelayed ("ON outbox (id) WHERE relayed_at IS
// NULL") is (relayed_at, id): the relay's "relayed_at IS NULL AND id > ? ORDER BY id" reads only
// the waiting rows, in id order.
constexpr std::string_view kOutboxRelay = R"sql(
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS relayed_at BIGINT;
CREATE INDEX IF NOT EXISTS outbox_unrelayed ON outbox (relayed_at, id);
)sql";

// Staff of the merchant console (usernames: 1-64 characters).
constexpr std::string_view kStaff = R"sql(
CREATE TABLE IF NOT EXISTS staff_users (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(64) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  role VARCHAR(16) NOT NULL,
  created_at BIGINT NOT NULL,
  failed_logins INT NOT NULL DEFAULT 0,
  locked_until BIGINT NOT NULL DEFAULT 0,
  disabled TINYINT NOT NULL DEFAULT 0,
  UNIQUE KEY staff_users_by_name (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
CREATE TABLE IF NOT EXISTS staff_sessions (
  token_hash VARCHAR(128) NOT NULL PRIMARY KEY,
  user_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  KEY staff_sessions_by_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
)sql";

// The console's overview counts deliveries by day: status changes by status and time.
constexpr std::string_view kEventsByStatus = R"sql(
CREATE INDEX IF NOT EXISTS order_events_by_status_at ON order_events (status, at);
)sql";

// The masked name (50 characters at most, masked) and phone beside their sealed forms. The
// archive gets them after archived_at: the archiver names its columns. The backlog as in
// SQLite (INSERT IGNORE: safe to run again).
constexpr std::string_view kMaskedForms = R"sql(
ALTER TABLE orders
  ADD COLUMN IF NOT EXISTS name_masked VARCHAR(64) NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS phone_masked VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE orders_archive
  ADD COLUMN IF NOT EXISTS name_masked VARCHAR(64) NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS phone_masked VARCHAR(16) NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS masked_forms_backlog (
  tbl VARCHAR(32) NOT NULL PRIMARY KEY,
  next_id BIGINT NOT NULL,
  max_id BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
INSERT IGNORE INTO masked_forms_backlog SELECT 'orders', 0, COALESCE(MAX(id), 0) FROM orders;
INSERT IGNORE INTO masked_forms_backlog
  SELECT 'orders_archive', 0, COALESCE(MAX(id), 0) FROM orders_archive;
)sql";

constexpr std::array<sql::Migration, 16> kMigrations = {{
    {1, "init", kInit},
    {2, "seed_reference_data", kSeed},
    {3, "idempotency_keys", kIdempotency},
    {4, "tracking", kTracking},
    {5, "shipment_polling", kPolling},
    {6, "monitoring", kMonitoring},
    {7, "payments", kPayments},
    {8, "customer_sessions", kSessions},
    {9, "subscriptions", kSubscriptions},
    {10, "notifications", kNotifications},
    {11, "wechat_shipping", kWechatShipping},
    {12, "leases", kLeases},
    {13, "outbox_relay", kOutboxRelay},
    {14, "staff", kStaff},
    {15, "events_by_status", kEventsByStatus},
    {16, "masked_forms", kMaskedForms},
}};

}  // namespace

std::span<const sql::Migration> migrations() {
  return kMigrations;
}

}  // namespace coldtrack::store::mysql
