import { describe, it, expect } from 'vitest'
import { parseZone, zoneLabel, thresholdLines } from '../../src/utils/coldchain.js'
import { evidenceSummary } from '../../src/utils/evidence.js'
import { summarizeOverview } from '../../src/utils/overview.js'
import { mapLimit } from '../../src/utils/pool.js'
import { useCursorList } from '../../src/utils/cursorList.js'
import { NEXT_STATUSES, STATUSES } from '../../src/utils/labels.js'

describe('cold-chain zones', () => {
  it('parses zone names', () => {
    expect(parseZone('above_-18')).toEqual({ kind: 'above', limits: [-18], long: false })
    expect(parseZone('above_-15_long')).toEqual({ kind: 'above', limits: [-15], long: true })
    expect(parseZone('outside_-2_8')).toEqual({ kind: 'outside', limits: [-2, 8], long: false })
    expect(parseZone('weird')).toBeNull()
    expect(zoneLabel('above_-12')).toBe('高于 -12°C')
    expect(zoneLabel('outside_0_4')).toBe('超出 0~4°C')
  })
  it('draws one threshold per temperature with the worst severity', () => {
    const lines = thresholdLines([
      { zone: 'above_-18', severity: 'warning' }, { zone: 'above_-15', severity: 'major' },
      { zone: 'above_-12', severity: 'critical' }, { zone: 'above_-15_long', severity: 'critical' },
    ])
    expect(lines.map((l) => [l.temp, l.severity])).toEqual([[-18, 'warning'], [-15, 'major'], [-12, 'critical']])
  })
})

describe('anomaly evidence', () => {
  it('says why in Chinese', () => {
    expect(evidenceSummary({ kind: 'no_update', evidence: { silent_hours: 19.6, limit_hours: 12 } })).toBe('已 19.6 小时无变化，阈值 12 小时')
    expect(evidenceSummary({ kind: 'temperature', evidence: { zone_label: '高于 -12°C', peak_c: -5.3, duration_minutes: 164 } })).toBe('峰值 -5.3°C，持续 2小时44分')
    expect(evidenceSummary({ kind: 'late', evidence: { late_hours: 17.7, grace_hours: 2 } })).toBe('已晚 17.7 小时，宽限 2 小时')
    expect(evidenceSummary({ kind: 'unknown', evidence: {} })).toBe('')
  })
})

describe('overview', () => {
  it('fills missing parts defensively', () => {
    const s = summarizeOverview({ orders_today: { by_status: { PAID: 2, CREATED: 1 } } })
    expect(s.ordersToday.total).toBe(3)
    expect(s.anomalies).toEqual({ total: 0, bySeverity: {}, byKind: {} })
    expect(s.carrier).toBeNull()
    expect(s.last7).toEqual([])
    expect(summarizeOverview(null).ordersToday.total).toBe(0)
  })
})

describe('mapLimit', () => {
  it('keeps at most N calls in flight and the input order', async () => {
    let inFlight = 0
    let peak = 0
    const out = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (x) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      await new Promise((r) => setTimeout(r, 5))
      inFlight--
      if (x === 4) throw new Error('boom')
      return x * 10
    })
    expect(peak).toBe(3)
    expect(out.map((r) => (r.ok ? r.value : 'err'))).toEqual([10, 20, 30, 'err', 50, 60, 70])
  })
})

describe('cursor paging', () => {
  it('goes forward and back with a stack of cursors', async () => {
    const pages = { null: { items: ['a'], next_cursor: 'c1' }, c1: { items: ['b'], next_cursor: 'c2' }, c2: { items: ['c'], next_cursor: null } }
    const calls = []
    const list = useCursorList(async (cursor) => { calls.push(cursor); return pages[String(cursor)] })
    await list.reset()
    await list.next()
    await list.next()
    expect(list.state.items).toEqual(['c'])
    expect(list.state.stack.length).toBe(3)
    expect(await list.next()).toBe(false)
    await list.prev()
    expect(list.state.items).toEqual(['b'])
    await list.prev()
    expect(list.state.items).toEqual(['a'])
    expect(await list.prev()).toBe(false)
    expect(calls).toEqual([null, 'c1', 'c2', 'c1', null])
  })
})

describe('lifecycle table', () => {
  it('names only known statuses and ends at the terminal ones', () => {
    const known = new Set(STATUSES.map((s) => s.value))
    for (const [from, tos] of Object.entries(NEXT_STATUSES)) {
      expect(known.has(from)).toBe(true)
      for (const t of tos) expect(known.has(t)).toBe(true)
    }
    expect(NEXT_STATUSES.COMPLETED).toEqual([])
    expect(NEXT_STATUSES.IN_TRANSIT).toEqual(['DELIVERED', 'EXCEPTION', 'REFUNDING'])
  })
})
