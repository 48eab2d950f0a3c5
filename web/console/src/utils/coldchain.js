// Cold-chain alarm zones (docs/MONITORING.md): "above_-18", "above_-15_long", "outside_0_4",
// "outside_-2_8", "above_10", "below_0" → Chinese labels and the temperatures to draw.
const NUM = '(-?\\d+(?:\\.\\d+)?)'
const ABOVE = new RegExp(`^above_${NUM}(_long)?$`)
const BELOW = new RegExp(`^below_${NUM}(_long)?$`)
const OUTSIDE = new RegExp(`^outside_${NUM}_${NUM}(_long)?$`)

export function parseZone(zone) {
  const z = String(zone || '')
  let m = ABOVE.exec(z)
  if (m) return { kind: 'above', limits: [Number(m[1])], long: Boolean(m[2]) }
  m = BELOW.exec(z)
  if (m) return { kind: 'below', limits: [Number(m[1])], long: Boolean(m[2]) }
  m = OUTSIDE.exec(z)
  if (m) return { kind: 'outside', limits: [Number(m[1]), Number(m[2])], long: Boolean(m[3]) }
  return null
}

export function zoneLabel(zone) {
  const p = parseZone(zone)
  if (!p) return zone || '—'
  const suffix = p.long ? '（累计时长）' : ''
  if (p.kind === 'above') return `高于 ${p.limits[0]}°C${suffix}`
  if (p.kind === 'below') return `低于 ${p.limits[0]}°C${suffix}`
  return `超出 ${p.limits[0]}~${p.limits[1]}°C${suffix}`
}

// Threshold lines for a chart: one per distinct temperature, with the most severe zone's
// severity (a "_long" zone repeats its twin's limit and is left out).
export function thresholdLines(zones = []) {
  const rank = { critical: 4, major: 3, warning: 2, info: 1 }
  const byTemp = new Map()
  for (const z of zones) {
    const p = parseZone(z.zone)
    if (!p || p.long) continue
    for (const t of p.limits) {
      const prev = byTemp.get(t)
      if (!prev || (rank[z.severity] || 0) > (rank[prev.severity] || 0)) byTemp.set(t, { temp: t, severity: z.severity, zone: z.zone })
    }
  }
  return [...byTemp.values()].sort((a, b) => a.temp - b.temp)
}

export const PROFILE_LABEL = { frozen: '冷冻（≤ -18°C）', chilled: '冷藏（0~4°C）', ambient: '常温' }

// The cold-chain board (GET /api/coldchain/parcels): one row per parcel that carried a data
// logger, as the server sorted them (worst thaw risk first, then the newest reading).
const SEVERITY_RANK = { critical: 4, major: 3, warning: 2, info: 1 }
const sevRank = (s) => SEVERITY_RANK[s] || 0

export const BOARD_SCOPES = [
  { value: 'on_the_road', label: '在途' },
  { value: 'all', label: '全部' },
]
export const BOARD_LIMITS = [50, 100, 200, 500]
export const BOARD_DEFAULT_LIMIT = 100

// The page's query from the address bar, with the API's defaults for anything else.
export function boardQueryFromRoute(query = {}) {
  const scope = BOARD_SCOPES.some((s) => s.value === query.scope) ? query.scope : 'on_the_road'
  const n = Number(query.limit)
  const limit = BOARD_LIMITS.includes(n) ? n : BOARD_DEFAULT_LIMIT
  return { scope, limit }
}

// ...and back: only what differs from the defaults.
export function boardQueryToRoute({ scope, limit }) {
  const q = {}
  if (scope !== 'on_the_road') q.scope = scope
  if (limit !== BOARD_DEFAULT_LIMIT) q.limit = String(limit)
  return q
}

export const isOngoing = (excursion) => !excursion.ended_at

// The most severe excursion; among equals one still going on, then the one that fired first
// (the zone the shipment's temperature anomaly names), then the longest.
const firedMs = (e) => {
  const t = Date.parse(e.fired_at || e.started_at || '')
  return Number.isNaN(t) ? Infinity : t
}
export function compareExcursions(a, b) {
  return sevRank(b.severity) - sevRank(a.severity) ||
    Number(isOngoing(b)) - Number(isOngoing(a)) ||
    (firedMs(a) < firedMs(b) ? -1 : firedMs(a) > firedMs(b) ? 1 : 0) ||
    (b.duration_minutes || 0) - (a.duration_minutes || 0)
}

export function worstExcursion(excursions = []) {
  const list = (excursions || []).slice().sort(compareExcursions)
  return list[0] || null
}

// Open anomalies by shipment id (as a string), the most severe first.
export function anomaliesByShipment(anomalies = []) {
  const out = new Map()
  for (const a of anomalies || []) {
    if (a.shipment_id === null || a.shipment_id === undefined) continue
    const key = String(a.shipment_id)
    if (!out.has(key)) out.set(key, [])
    out.get(key).push(a)
  }
  for (const list of out.values()) list.sort((a, b) => sevRank(b.severity) - sevRank(a.severity))
  return out
}

// A board row: the API item plus what the table shows (counts, worst zone, open anomalies).
export function boardRow(item, anomalyMap = new Map()) {
  const cc = item.cold_chain || null
  const excursions = (cc && cc.excursions) || []
  return {
    ...item,
    cc,
    hasData: Boolean(cc && cc.readings > 0),
    excursionCount: excursions.length,
    ongoingCount: excursions.filter(isOngoing).length,
    worst: worstExcursion(excursions),
    anomalies: anomalyMap.get(String(item.shipment_id)) || [],
  }
}

// The cards above the table, counted from the rows shown.
export function boardSummary(rows = []) {
  const risk = (r, level) => Boolean(r.cc && r.cc.thaw_risk === level)
  return {
    parcels: rows.length,
    withData: rows.filter((r) => r.hasData).length,
    high: rows.filter((r) => risk(r, 'high')).length,
    medium: rows.filter((r) => risk(r, 'medium')).length,
    ongoing: rows.filter((r) => r.ongoingCount > 0).length,
    openAnomalies: rows.reduce((n, r) => n + r.anomalies.length, 0),
  }
}
