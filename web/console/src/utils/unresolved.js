// Unresolved anomalies (open and acknowledged) by order number, read with two bounded
// requests and kept for a minute, so lists can say at a glance which orders need attention.
import { api } from '../api/index.js'
import { severityRank } from './labels.js'

const MAX_AGE_MS = 60000
let cached = null // {at, map, partial}
let inflight = null

export function groupByOrder(items) {
  const map = new Map()
  for (const a of items) {
    if (!a.order_no) continue
    if (!map.has(a.order_no)) map.set(a.order_no, [])
    map.get(a.order_no).push(a)
  }
  for (const list of map.values()) list.sort((x, y) => severityRank(y.severity) - severityRank(x.severity))
  return map
}

export async function unresolvedByOrder({ force = false } = {}) {
  if (!force && cached && Date.now() - cached.at < MAX_AGE_MS) return cached
  if (inflight) return inflight
  inflight = (async () => {
    const [open, acked] = await Promise.all([
      api.anomalies({ state: 'open', limit: 500 }),
      api.anomalies({ state: 'acknowledged', limit: 500 }),
    ])
    const items = [...(open.items || []), ...(acked.items || [])]
    cached = { at: Date.now(), map: groupByOrder(items), partial: Boolean(open.next_cursor || acked.next_cursor) }
    return cached
  })()
  try {
    return await inflight
  } finally {
    inflight = null
  }
}

export function forgetUnresolved() {
  cached = null
}
