#include "store/sqlite/migrations.h"

#include <array>

namespace coldtrack::store::sqlite {
namespace {

// Live and archive tables share one shape; archive rows keep their ids so cursors work across
// both. AUTOINCREMENT on the live tables: an id freed by archiving is never handed out again.
// Indexes serve every list filter in newest-first order (see docs/QUERY_PLANS.md).
constexpr std::string_view kInit = R"sql(
CREATE TABLE carriers (
  code TEXT PRIMARY KEY,
  name_zh TEXT NOT NULL,
  kdniao_code TEXT,
  kuaidi100_code TEXT,
  needs_phone INTEGER NOT NULL DEFAULT 0,
  cold_chain INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE categories (
  code TEXT PRIMARY KEY,
  name_zh TEXT NOT NULL,
  min_temp_c INTEGER,
  max_temp_c INTEGER
) WITHOUT ROWID;

CREATE TABLE orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  order_no TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  name_sealed BLOB NOT NULL,
  phone_sealed BLOB NOT NULL,
  phone_index TEXT NOT NULL,
  phone_last4 TEXT NOT NULL,
  openid TEXT,
  province TEXT NOT NULL,
  city TEXT NOT NULL,
  district TEXT NOT NULL,
  detail_sealed BLOB NOT NULL,
  items_json TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  shipping_fen INTEGER NOT NULL,
  discount_fen INTEGER NOT NULL,
  remark TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX orders_by_created ON orders (created_at DESC, id DESC);
CREATE INDEX orders_by_phone ON orders (phone_index, created_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_by_openid ON orders (openid, created_at DESC, id DESC) WHERE openid IS NOT NULL;
CREATE INDEX orders_by_finished ON orders (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE order_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  from_status TEXT,
  at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX order_events_by_order ON order_events (order_id, id);

CREATE TABLE shipments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id INTEGER NOT NULL,
  order_created_at INTEGER NOT NULL,
  carrier TEXT NOT NULL,
  waybill_no TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (order_id, carrier, waybill_no)
);
CREATE INDEX shipments_by_waybill ON shipments (waybill_no);
CREATE INDEX shipments_by_carrier ON shipments (carrier, order_created_at DESC, order_id DESC);

CREATE TABLE orders_archive (
  id INTEGER PRIMARY KEY,
  order_no TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  name_sealed BLOB NOT NULL,
  phone_sealed BLOB NOT NULL,
  phone_index TEXT NOT NULL,
  phone_last4 TEXT NOT NULL,
  openid TEXT,
  province TEXT NOT NULL,
  city TEXT NOT NULL,
  district TEXT NOT NULL,
  detail_sealed BLOB NOT NULL,
  items_json TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  shipping_fen INTEGER NOT NULL,
  discount_fen INTEGER NOT NULL,
  remark TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  archived_at INTEGER NOT NULL
);
CREATE INDEX orders_archive_by_created ON orders_archive (created_at DESC, id DESC);
CREATE INDEX orders_archive_by_phone ON orders_archive (phone_index, created_at DESC, id DESC);
CREATE INDEX orders_archive_by_status ON orders_archive (status, created_at DESC, id DESC);
CREATE INDEX orders_archive_by_openid ON orders_archive (openid, created_at DESC, id DESC)
  WHERE openid IS NOT NULL;

CREATE TABLE order_events_archive (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  from_status TEXT,
  at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX order_events_archive_by_order ON order_events_archive (order_id, id);

CREATE TABLE shipments_archive (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL,
  order_created_at INTEGER NOT NULL,
  carrier TEXT NOT NULL,
  waybill_no TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (order_id, carrier, waybill_no)
);
CREATE INDEX shipments_archive_by_waybill ON shipments_archive (waybill_no);
CREATE INDEX shipments_archive_by_carrier
  ON shipments_archive (carrier, order_created_at DESC, order_id DESC);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  msg_key TEXT NOT NULL UNIQUE,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  available_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  done_at INTEGER
);
CREATE INDEX outbox_pending ON outbox (available_at) WHERE done_at IS NULL;

CREATE TABLE api_keys (
  key TEXT PRIMARY KEY,
  secret_sealed BLOB NOT NULL,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  request_id TEXT NOT NULL,
  client_addr TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_by_actor ON audit_log (actor, id DESC);
CREATE INDEX audit_by_target ON audit_log (target, id DESC);
CREATE INDEX audit_by_at ON audit_log (at);
)sql";

// Reference data. Carrier codes from the protocol reference (carrier-codes.md); the
// cold-chain carriers' provider codes are unverified there and may be corrected later
// through the carriers table.
constexpr std::string_view kSeed = R"sql(
INSERT INTO categories (code, name_zh, min_temp_c, max_temp_c) VALUES
  ('frozen', '冷冻', NULL, -18),
  ('chilled', '冷藏', 0, 4),
  ('ambient', '常温', NULL, NULL);

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
  ('AXD', '安鲜达', 'AXD', NULL, 0, 1);
)sql";

// Responses remembered for the Idempotency-Key header (kept 24 hours).
constexpr std::string_view kIdempotency = R"sql(
CREATE TABLE idempotency_keys (
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_created ON idempotency_keys (created_at);
)sql";

// Carrier tracking: the current snapshot per shipment (raw payload kept for diagnosis) and an
// event per change of unified tracking state. Keyed by shipment id, which is never reused, so
// these rows stay valid when their order moves to the archive.
constexpr std::string_view kTracking = R"sql(
CREATE TABLE shipment_tracking (
  shipment_id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  raw_state TEXT NOT NULL,
  raw_substate TEXT NOT NULL,
  location TEXT NOT NULL,
  last_event_at INTEGER,
  trace_count INTEGER NOT NULL,
  traces_json TEXT NOT NULL,
  raw_payload TEXT NOT NULL,
  heard_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE tracking_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  shipment_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  from_status TEXT,
  at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  provider TEXT NOT NULL
);
CREATE INDEX tracking_events_by_shipment ON tracking_events (shipment_id, id);
)sql";

// Polling state per shipment: which provider, whether push is subscribed, and when to query
// next (NULL once terminal). Filled when a shipment is attached.
constexpr std::string_view kPolling = R"sql(
CREATE TABLE shipment_polling (
  shipment_id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL DEFAULT '',
  subscribed INTEGER NOT NULL DEFAULT 0,
  next_poll_at INTEGER,
  last_query_at INTEGER,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  last_response TEXT NOT NULL DEFAULT ''
);
CREATE INDEX shipment_polling_due ON shipment_polling (next_poll_at) WHERE next_poll_at IS NOT NULL;
CREATE INDEX outbox_pending_by_topic ON outbox (topic, available_at) WHERE done_at IS NULL;
INSERT INTO shipment_polling (shipment_id, next_poll_at)
  SELECT s.id, s.created_at FROM shipments s JOIN orders o ON o.id = s.order_id
  WHERE o.status IN ('SHIPPED', 'IN_TRANSIT', 'EXCEPTION');
)sql";

// Monitoring: the lane of each shipment (for ETA), its temperature class (the strictest
// category among the order's items, derived once here so sweeps never parse item JSON), when
// the current tracking status was reached, anomalies, and temperature readings with the latest
// cold-chain assessment. Items JSON is written by our own serializer (no spaces), so the LIKE
// patterns below are exact.
constexpr std::string_view kMonitoring = R"sql(
ALTER TABLE shipments ADD COLUMN origin_city TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN service TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE shipments ADD COLUMN temp_class TEXT NOT NULL DEFAULT 'ambient';
ALTER TABLE shipments_archive ADD COLUMN origin_city TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments_archive ADD COLUMN service TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE shipments_archive ADD COLUMN temp_class TEXT NOT NULL DEFAULT 'ambient';
UPDATE shipments SET temp_class = (SELECT CASE
    WHEN o.items_json LIKE '%"category":"frozen"%' THEN 'frozen'
    WHEN o.items_json LIKE '%"category":"chilled"%' THEN 'chilled' ELSE 'ambient' END
  FROM orders o WHERE o.id = shipments.order_id);
ALTER TABLE shipment_tracking ADD COLUMN status_at INTEGER;
UPDATE shipment_tracking SET status_at = (SELECT MAX(e.at) FROM tracking_events e
  WHERE e.shipment_id = shipment_tracking.shipment_id);
CREATE INDEX tracking_events_by_status ON tracking_events (status, shipment_id);

CREATE TABLE anomalies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  order_no TEXT NOT NULL,
  shipment_id INTEGER,
  carrier TEXT NOT NULL,
  severity TEXT NOT NULL,
  reason TEXT NOT NULL,
  evidence TEXT NOT NULL,
  state TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  resolved_at INTEGER,
  resolved_by TEXT,
  resolution TEXT
);
CREATE UNIQUE INDEX anomalies_one_unresolved ON anomalies (subject, kind) WHERE state != 'resolved';
CREATE INDEX anomalies_by_subject ON anomalies (subject, kind, id);
CREATE INDEX anomalies_by_state ON anomalies (state, id);
CREATE INDEX anomalies_by_order ON anomalies (order_no, id);
CREATE INDEX anomalies_by_kind ON anomalies (kind, id);

CREATE TABLE temperature_readings (
  shipment_id INTEGER NOT NULL,
  device_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  temp_c REAL NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (shipment_id, device_id, at)
) WITHOUT ROWID;
CREATE TABLE shipment_coldchain (
  shipment_id INTEGER PRIMARY KEY,
  profile TEXT NOT NULL,
  readings INTEGER NOT NULL,
  thaw_risk TEXT NOT NULL,
  worst TEXT NOT NULL,
  mkt_c REAL,
  summary_json TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql";

// Payments confirmed by a payment provider's notification: one row per provider transaction,
// so a repeated notification is recognised and changes nothing.
constexpr std::string_view kPayments = R"sql(
CREATE TABLE payments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  order_no TEXT NOT NULL,
  provider TEXT NOT NULL,
  transaction_id TEXT NOT NULL,
  notify_id TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  payer_openid TEXT NOT NULL,
  success_time INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  UNIQUE (provider, transaction_id)
);
CREATE INDEX payments_by_order ON payments (order_no);
)sql";

// Customer sessions after a WeChat login: only a hash of the bearer token is kept.
constexpr std::string_view kSessions = R"sql(
CREATE TABLE customer_sessions (
  token_hash TEXT PRIMARY KEY,
  openid TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX customer_sessions_by_expiry ON customer_sessions (expires_at);
)sql";

// One-time subscribe-message acceptances per customer and template (wx.requestSubscribeMessage):
// each acceptance allows one message; WeChat's 43101 says the count was spent elsewhere.
constexpr std::string_view kSubscriptions = R"sql(
CREATE TABLE subscriptions (
  openid TEXT NOT NULL,
  template_id TEXT NOT NULL,
  remaining INTEGER NOT NULL,
  accepted_total INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (openid, template_id)
) WITHOUT ROWID;
)sql";

// Notification jobs: one row per (event, recipient, channel), the exactly-once key; the worker
// claims due rows with a lease and records every outcome on the row.
constexpr std::string_view kNotifications = R"sql(
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  idem_key TEXT NOT NULL UNIQUE,
  event_key TEXT NOT NULL,
  event_kind TEXT NOT NULL,
  order_no TEXT NOT NULL,
  audience TEXT NOT NULL,
  channel TEXT NOT NULL,
  recipient TEXT NOT NULL,
  state TEXT NOT NULL,
  urgent INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  event_at INTEGER NOT NULL,
  send_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  provider_ref TEXT NOT NULL DEFAULT '',
  merged_into INTEGER,
  fallback_of INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX notifications_due ON notifications (send_at) WHERE state = 'pending';
CREATE INDEX notifications_sending ON notifications (lease_until) WHERE state = 'sending';
CREATE INDEX notifications_by_order ON notifications (order_no, id);
CREATE INDEX notifications_by_recipient ON notifications (recipient, send_at);
)sql";

// WeChat shipping-info upload: WeChat's own carrier ids (get_delivery_list) as one more column of
// the carrier table, and each payment's upload ledger (one upload + one re-upload).
// (unverified) The ids below are our reading of get_delivery_list, which wechat-shipping.md does
// not reproduce; admins correct them with PUT /api/carriers/{code}.
constexpr std::string_view kWechatShipping = R"sql(
ALTER TABLE carriers ADD COLUMN wechat_code TEXT NOT NULL DEFAULT '';
UPDATE carriers SET wechat_code = CASE code
  WHEN 'SF' THEN 'SF' WHEN 'ZTO' THEN 'ZTO' WHEN 'YTO' THEN 'YTO' WHEN 'STO' THEN 'STO'
  WHEN 'YUNDA' THEN 'YD' WHEN 'JD' THEN 'JD' WHEN 'EMS' THEN 'EMS' WHEN 'CHINA_POST' THEN 'YZPY'
  WHEN 'JT' THEN 'JTSD' WHEN 'DEPPON' THEN 'DBL' WHEN 'BEST' THEN 'HTKY' WHEN 'UC' THEN 'UC'
  WHEN 'ZJS' THEN 'ZJS' WHEN 'TTKD' THEN 'HHTT' ELSE '' END;
CREATE TABLE wechat_shipping_ledger (
  transaction_id TEXT PRIMARY KEY,
  used INTEGER NOT NULL,
  last_upload_time INTEGER,
  unresolved INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Named leases: which replica runs the anomaly sweep and the archiver (see LeaseStore).
constexpr std::string_view kLeases = R"sql(
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// The RabbitMQ relay's own progress, independent of the internal consumers' done_at: the outbox
// stays the source of truth, so rows wait here while the broker is down.
constexpr std::string_view kOutboxRelay = R"sql(
ALTER TABLE outbox ADD COLUMN relayed_at INTEGER;
CREATE INDEX outbox_unrelayed ON outbox (id) WHERE relayed_at IS NULL;
)sql";

// Staff of the merchant console: a slow salted password hash (never the password), failed
// attempts for the lockout, and sessions kept as a hash of their bearer token.
constexpr std::string_view kStaff = R"sql(
CREATE TABLE staff_users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE staff_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX staff_sessions_by_expiry ON staff_sessions (expires_at);
)sql";

// The console's overview counts deliveries by day: status changes by status and time.
constexpr std::string_view kEventsByStatus = R"sql(
CREATE INDEX order_events_by_status_at ON order_events (status, at);
)sql";

// The masked name and phone beside their sealed forms, so masked lists open no ciphertext.
// Older rows keep '' (opened and masked on read) until serve fills them in the background;
// masked_forms_backlog is that fill's position per table, up to the highest id there was when
// this ran (every later row is written with its masked forms), so a finished fill costs nothing
// at the next start.
constexpr std::string_view kMaskedForms = R"sql(
ALTER TABLE orders ADD COLUMN name_masked TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN phone_masked TEXT NOT NULL DEFAULT '';
ALTER TABLE orders_archive ADD COLUMN name_masked TEXT NOT NULL DEFAULT '';
ALTER TABLE orders_archive ADD COLUMN phone_masked TEXT NOT NULL DEFAULT '';
CREATE TABLE masked_forms_backlog (
  tbl TEXT PRIMARY KEY,
  next_id INTEGER NOT NULL,
  max_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO masked_forms_backlog SELECT 'orders', 0, COALESCE(MAX(id), 0) FROM orders;
INSERT INTO masked_forms_backlog SELECT 'orders_archive', 0, COALESCE(MAX(id), 0) FROM orders_archive;
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

}  // namespace coldtrack::store::sqlite
