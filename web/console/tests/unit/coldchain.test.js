// The cold-chain board: its helpers and the page against a stubbed fetch.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createRouter, createMemoryHistory } from 'vue-router'
import {
  worstExcursion, anomaliesByShipment, boardRow, boardSummary,
  boardQueryFromRoute, boardQueryToRoute,
} from '../../src/utils/coldchain.js'

const exc = (zone, severity, { ended = null, fired = '2026-11-26T12:00:00+08:00', minutes = 10 } = {}) => ({
  device_id: 'LOG-1', zone, severity, trigger: zone.endsWith('_long') ? 'cumulative' : 'single',
  started_at: '2026-11-26T11:50:00+08:00', fired_at: fired, ended_at: ended, peak_c: -5.3, duration_minutes: minutes,
})

// As GET /api/coldchain/parcels sends them (shapes from the demo server).
const parcel = (id, orderNo, risk, excursions = [], extra = {}) => ({
  shipment_id: id, order_no: orderNo, order_status: 'IN_TRANSIT', order_status_label: '运输中',
  carrier: 'SF_COLD', carrier_name: '顺丰冷运', waybill_no: 'SF80******4944', temp_class: 'frozen',
  shipped_at: '2026-11-26T04:24:01+08:00', tracking: { status: 'IN_TRANSIT', status_label: '运输中' },
  cold_chain: {
    profile: 'frozen', readings: 360, first_at: '2026-11-26T09:27:33+08:00', last_at: '2026-11-26T15:26:33+08:00',
    min_c: -21.8, max_c: -5.3, mkt_c: -10.85, exposure_degree_minutes: 1874.9, thaw_risk: risk,
    thaw_risk_label: { high: '高', medium: '中', low: '低', none: '无' }[risk], worst: excursions.length ? 'critical' : null,
    data_gap_minutes: 0, zones: [], excursions,
  },
  ...extra,
})

const failing = [
  exc('above_-15', 'major', { minutes: 185, fired: '2026-11-26T12:31:33+08:00' }),
  exc('above_-18', 'warning', { minutes: 202 }),
  exc('above_-12', 'critical', { minutes: 164, fired: '2026-11-26T12:57:33+08:00' }),
  exc('above_-15_long', 'critical', { minutes: 185, fired: '2026-11-26T14:20:33+08:00' }),
]

const anomaly = (id, shipmentId, orderNo, severity, label) => ({
  id, kind: 'temperature', kind_label: '温度超标', order_no: orderNo, shipment_id: shipmentId, severity,
  severity_label: label, reason: 'above_-12', reason_label: '高于 -12°C', state: 'open', state_label: '待处理',
  opened_at: '2026-11-26T15:27:33+08:00',
})

describe('cold-chain board helpers', () => {
  it('picks the most severe excursion, the ongoing and first-fired one among equals', () => {
    expect(worstExcursion(failing).zone).toBe('above_-12')
    expect(worstExcursion([
      exc('above_-12', 'critical', { ended: '2026-11-26T13:00:00+08:00', minutes: 300 }),
      exc('above_-15_long', 'critical', { minutes: 20 }),
    ]).zone).toBe('above_-15_long')
    expect(worstExcursion([exc('above_-18', 'warning'), exc('above_-15', 'major')]).zone).toBe('above_-15')
    expect(worstExcursion([])).toBeNull()
    expect(worstExcursion(undefined)).toBeNull()
  })

  it('groups open anomalies by shipment, the most severe first', () => {
    const map = anomaliesByShipment([
      anomaly(1, 7, 'A', 'major', '严重'), anomaly(2, 7, 'A', 'critical', '紧急'),
      anomaly(3, 8, 'B', 'warning', '警告'), { id: 4, severity: 'info' },
    ])
    expect([...map.keys()]).toEqual(['7', '8'])
    expect(map.get('7').map((a) => a.id)).toEqual([2, 1])
  })

  it('builds rows and the summary cards from the API items', () => {
    const map = anomaliesByShipment([anomaly(1, 2184, 'DEMO1', 'critical', '紧急')])
    const rows = [
      parcel(2184, 'DEMO1', 'high', failing),
      parcel(300, 'DEMO2', 'medium', [exc('above_-18', 'warning', { ended: '2026-11-26T13:00:00+08:00' })]),
      parcel(257, 'DEMO3', 'low'),
      parcel(206, 'DEMO4', 'none', [], { tracking: null }),
      { ...parcel(100, 'DEMO5', 'none'), cold_chain: null },
    ].map((p) => boardRow(p, map))
    expect(rows[0]).toMatchObject({ excursionCount: 4, ongoingCount: 4, hasData: true })
    expect(rows[0].worst.zone).toBe('above_-12')
    expect(rows[0].anomalies.map((a) => a.id)).toEqual([1])
    expect(rows[1]).toMatchObject({ excursionCount: 1, ongoingCount: 0 })
    expect(rows[2]).toMatchObject({ excursionCount: 0, ongoingCount: 0, worst: null, anomalies: [] })
    expect(rows[4]).toMatchObject({ cc: null, hasData: false, excursionCount: 0 })
    expect(boardSummary(rows)).toEqual({ parcels: 5, withData: 4, high: 1, medium: 1, ongoing: 1, openAnomalies: 1 })
    expect(boardSummary([])).toEqual({ parcels: 0, withData: 0, high: 0, medium: 0, ongoing: 0, openAnomalies: 0 })
  })

  it('keeps scope and limit in the address with the API defaults left out', () => {
    expect(boardQueryFromRoute({})).toEqual({ scope: 'on_the_road', limit: 100 })
    expect(boardQueryFromRoute({ scope: 'all', limit: '500' })).toEqual({ scope: 'all', limit: 500 })
    expect(boardQueryFromRoute({ scope: 'some', limit: '7' })).toEqual({ scope: 'on_the_road', limit: 100 })
    expect(boardQueryToRoute({ scope: 'on_the_road', limit: 100 })).toEqual({})
    expect(boardQueryToRoute({ scope: 'all', limit: 200 })).toEqual({ scope: 'all', limit: '200' })
  })
})

describe('ColdChainView', () => {
  const stub = { template: '<div/>' }
  const makeRouter = () => createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/cold-chain', name: 'cold-chain', component: stub },
      { path: '/orders/:no', name: 'order', component: stub },
      { path: '/anomalies', name: 'anomalies', component: stub },
    ],
  })
  const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

  async function mountView(handler, path = '/cold-chain') {
    const fetchMock = vi.fn(async (url) => handler(String(url)))
    vi.stubGlobal('fetch', fetchMock)
    const router = makeRouter()
    router.push(path)
    await router.isReady()
    const { default: ColdChainView } = await import('../../src/views/ColdChainView.vue')
    const w = mount(ColdChainView, { global: { plugins: [router] }, attachTo: document.body })
    await flushPromises()
    return { w, fetchMock, router }
  }

  beforeEach(() => { document.body.innerHTML = '' })
  afterEach(() => vi.unstubAllGlobals())

  it('reads the board in one request plus the open temperature anomalies', async () => {
    const { w, fetchMock } = await mountView((url) => {
      if (url.startsWith('/api/coldchain/parcels')) return json({ items: [parcel(2184, 'DEMO2026112602463', 'high', failing), parcel(257, 'DEMO2026112500287', 'low')] })
      if (url.startsWith('/api/anomalies')) return json({ items: [anomaly(1, 2184, 'DEMO2026112602463', 'critical', '紧急')], next_cursor: null })
      return json({ error: { code: 'not_found', message: 'no such route' } }, 404)
    })
    const urls = fetchMock.mock.calls.map(([u]) => String(u)).sort()
    expect(urls).toEqual(['/api/anomalies?state=open&kind=temperature&limit=200', '/api/coldchain/parcels?scope=on_the_road&limit=100'])
    const text = w.text()
    expect(text).not.toContain('运输中订单较多时只检查')
    expect(w.findAll('[data-test=thaw-risk]').map((t) => t.text())).toEqual(['高', '低'])
    expect(w.findAll('[data-test=coldchain-order]').map((a) => a.attributes('href'))).toEqual(['/orders/DEMO2026112602463', '/orders/DEMO2026112500287'])
    expect(text).toContain('高于 -12°C')
    expect(text).toContain('4 次')
    expect(text).toContain('-10.85°C')
    expect(text).toContain('SF80******4944')
    expect(w.findAll('[data-test=coldchain-anomaly]')).toHaveLength(1)
    const cards = w.find('[data-test=coldchain-summary]').text()
    expect(cards).toMatch(/2\s*有温度数据的包裹/)
    expect(cards).toMatch(/1\s*解冻风险高/)
    expect(cards).toMatch(/0\s*解冻风险中/)
    expect(cards).toMatch(/1\s*超温仍在持续/)
    expect(w.find('[data-test=coldchain-capped]').exists()).toBe(false)
    w.unmount()
  })

  it('says so in Chinese when the board fails, and still shows parcels when only anomalies fail', async () => {
    const { w } = await mountView((url) => {
      if (url.startsWith('/api/coldchain/parcels')) return json({ error: { code: 'unavailable', message: 'down' } }, 503)
      return json({ items: [] })
    })
    expect(w.find('[data-test=error]').text()).toContain('服务暂不可用')
    w.unmount()

    const second = await mountView((url) => {
      if (url.startsWith('/api/coldchain/parcels')) return json({ items: [parcel(257, 'DEMO3', 'low')] })
      return json({ error: { code: 'unavailable', message: 'down' } }, 503)
    })
    expect(second.w.find('[data-test=error]').exists()).toBe(false)
    expect(second.w.findAll('[data-test=thaw-risk]')).toHaveLength(1)
    expect(second.w.text()).toContain('温度异常读取失败')
    second.w.unmount()
  })

  it('shows an empty state and re-reads with the chosen scope', async () => {
    const { w, fetchMock, router } = await mountView((url) => (url.startsWith('/api/coldchain/parcels') ? json({ items: [] }) : json({ items: [] })))
    expect(w.text()).toContain('当前没有在途的带温度记录仪的包裹')
    await w.findAll('[data-test=coldchain-scope] input')[1].setValue(true)
    await flushPromises()
    expect(fetchMock.mock.calls.map(([u]) => String(u))).toContain('/api/coldchain/parcels?scope=all&limit=100')
    expect(router.currentRoute.value.query).toEqual({ scope: 'all' })
    expect(w.text()).toContain('还没有带温度记录仪的包裹')
    w.unmount()
  })

  it('takes the limit from the address and says when the page is full', async () => {
    const many = Array.from({ length: 50 }, (_, i) => parcel(1000 + i, `DEMO${1000 + i}`, 'none'))
    const { w, fetchMock } = await mountView((url) => (url.startsWith('/api/coldchain/parcels') ? json({ items: many }) : json({ items: [] })), '/cold-chain?scope=all&limit=50')
    expect(fetchMock.mock.calls.map(([u]) => String(u))).toContain('/api/coldchain/parcels?scope=all&limit=50')
    expect(w.find('[data-test=coldchain-capped]').text()).toContain('已显示 50 单，可能还有更多')
    expect(w.findAll('[data-test=thaw-risk]')).toHaveLength(50)
    w.unmount()
  })
})
