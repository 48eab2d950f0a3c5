// GET /api/stats/overview, read defensively (missing parts become zeros or null), and a
// bounded stand-in counted from the lists for servers without that route.
import { dayRangeQuery } from './time.js'

const n = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {})
const numbers = (v) => Object.fromEntries(Object.entries(obj(v)).filter(([, x]) => typeof x === 'number'))

export function summarizeOverview(raw) {
  const r = obj(raw)
  const orders = obj(r.orders_today)
  const an = obj(r.anomalies_open)
  const byStatus = numbers(orders.by_status)
  const bySeverity = numbers(an.by_severity)
  const byKind = numbers(an.by_kind)
  return {
    date: typeof r.date === 'string' ? r.date : null,
    ordersToday: { total: typeof orders.total === 'number' ? orders.total : Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus },
    deliveredToday: typeof r.delivered_today === 'number' ? r.delivered_today : null,
    inTransit: typeof r.in_transit === 'number' ? r.in_transit : null,
    anomalies: { total: typeof an.total === 'number' ? an.total : Object.values(bySeverity).reduce((a, b) => a + b, 0), bySeverity, byKind },
    carrier: r.carrier && typeof r.carrier === 'object'
      ? { pushes: n(r.carrier.pushes), queries: n(r.carrier.queries), saved_by_push: n(r.carrier.saved_by_push), since: r.carrier.since || null }
      : null,
    last7: Array.isArray(r.last_7_days)
      ? r.last_7_days.filter((d) => d && typeof d.date === 'string').map((d) => ({ date: d.date, created: n(d.created), delivered: n(d.delivered) }))
      : [],
  }
}

export async function fallbackOverview(api, today, { maxPages = 5 } = {}) {
  const byStatus = {}
  let total = 0
  let cursor = null
  for (let i = 0; i < maxPages; i++) {
    const page = await api.orders({ ...dayRangeQuery(today, today), limit: 200, cursor })
    for (const o of page.items || []) {
      byStatus[o.status] = (byStatus[o.status] || 0) + 1
      total++
    }
    cursor = page.next_cursor
    if (!cursor) break
  }
  const open = await api.anomalies({ state: 'open', limit: 500 })
  const bySeverity = {}
  const byKind = {}
  for (const a of open.items || []) {
    bySeverity[a.severity] = (bySeverity[a.severity] || 0) + 1
    byKind[a.kind] = (byKind[a.kind] || 0) + 1
  }
  return {
    date: today,
    orders_today: { total, by_status: byStatus },
    anomalies_open: { total: (open.items || []).length, by_severity: bySeverity, by_kind: byKind },
  }
}
