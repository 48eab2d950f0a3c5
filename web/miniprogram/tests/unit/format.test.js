import { describe, expect, it } from 'vitest'
import { formatFen, itemsSummary, itemsTotalFen, canCopyWaybill, carrierBadge, maskedAddress } from '../../src/utils/format'
import {
  formatDateTime,
  formatClock,
  parseTime,
  relativeDay,
  dayStartRfc3339,
  dayEndExclusiveRfc3339,
  todayDate,
} from '../../src/utils/time'
import { lifecycle, orderStatusView, STATUS_TABS } from '../../src/utils/status'
import { etaView, etaWindowText } from '../../src/utils/eta'
import { scaleSeries, thawRiskView } from '../../src/utils/coldchain'
import { handOff, takeHandOff } from '../../src/utils/handoff'

const NOW = parseTime('2026-11-26T13:55:00+08:00')

describe('money', () => {
  it.each([
    [1290, '¥12.90'],
    [7980, '¥79.80'],
    [0, '¥0.00'],
    [5, '¥0.05'],
    [100, '¥1.00'],
    [123456789, '¥1,234,567.89'],
    [-100, '-¥1.00'],
    [null, '¥0.00'],
    [undefined, '¥0.00'],
  ])('%s fen → %s', (fen, text) => {
    expect(formatFen(fen)).toBe(text)
  })

  it('sums items and summarises them for a card', () => {
    const items = [
      { name: '红油辣椒 200g', quantity: 3, unit_price_fen: 1290 },
      { name: '虾仁馄饨 500g', quantity: 3, unit_price_fen: 2890 },
      { name: '猪肉白菜水饺 1kg', quantity: 1, unit_price_fen: 3590 },
    ]
    expect(itemsTotalFen(items)).toBe(16130)
    expect(itemsSummary(items)).toEqual({ name: '红油辣椒 200g', extra: '等3种商品 共7件' })
    expect(itemsSummary([{ name: '三鲜水饺 1kg', quantity: 2 }])).toEqual({ name: '三鲜水饺 1kg', extra: '共2件' })
    expect(itemsSummary([])).toEqual({ name: '订单商品', extra: '' })
  })
})

describe('time in Asia/Shanghai whatever the machine zone', () => {
  it('runs in a zone other than China (guard for the tests below)', () => {
    expect(new Date(NOW).getTimezoneOffset()).not.toBe(-480)
  })

  it('formats RFC 3339 with any offset as China time', () => {
    expect(formatDateTime('2026-11-26T11:49:32.747+08:00', NOW)).toBe('11月26日 11:49')
    expect(formatDateTime('2026-11-26T03:49:32Z', NOW)).toBe('11月26日 11:49')
    expect(formatDateTime('2026-11-25T22:49:00-05:00', NOW)).toBe('11月26日 11:49')
    expect(formatDateTime('2026-11-26T00:05:00+08:00', NOW)).toBe('11月26日 00:05')
    expect(formatDateTime('2026-01-01T07:30:00+08:00', NOW)).toBe('1月1日 07:30')
    expect(formatDateTime('2025-12-31T23:59:00+08:00', NOW)).toBe('2025年12月31日 23:59')
    expect(formatDateTime(null)).toBe('')
    expect(formatDateTime('not a time')).toBe('')
  })

  it('parses to the right instant', () => {
    expect(parseTime('2026-11-26T11:49:32.747+08:00')).toBe(Date.UTC(2026, 10, 26, 3, 49, 32, 747))
    expect(parseTime('2026-11-26T11:49:32.7+08:00')).toBe(Date.UTC(2026, 10, 26, 3, 49, 32, 700))
    expect(parseTime('2026-11-26T11:49:32+0800')).toBe(Date.UTC(2026, 10, 26, 3, 49, 32))
    expect(formatClock('2026-11-26T16:00:00Z')).toBe('00:00')
  })

  it('names days relative to today in China', () => {
    expect(relativeDay('2026-11-26T23:59:00+08:00', NOW)).toBe('今天')
    expect(relativeDay('2026-11-27T00:00:00+08:00', NOW)).toBe('明天')
    expect(relativeDay('2026-11-28T08:00:00+08:00', NOW)).toBe('后天')
    expect(relativeDay('2026-11-25T08:00:00+08:00', NOW)).toBe('昨天')
    expect(relativeDay('2026-11-30T08:00:00+08:00', NOW)).toBe('11月30日')
    // 16:30 UTC on the 26th is already the 27th in China
    expect(relativeDay('2026-11-26T16:30:00Z', NOW)).toBe('明天')
  })

  it('date picker values ↔ range bounds', () => {
    expect(todayDate(parseTime('2026-11-26T23:30:00+08:00'))).toBe('2026-11-26')
    expect(todayDate(parseTime('2026-11-26T16:30:00Z'))).toBe('2026-11-27')
    expect(dayStartRfc3339('2026-02-28')).toBe('2026-02-28T00:00:00+08:00')
    expect(dayEndExclusiveRfc3339('2026-02-28')).toBe('2026-03-01T00:00:00+08:00')
    expect(dayEndExclusiveRfc3339('2028-02-28')).toBe('2028-02-29T00:00:00+08:00')
    expect(dayEndExclusiveRfc3339('')).toBe('')
  })
})

const HISTORY = [
  { status: 'CREATED', status_label: '已下单', at: '2026-11-26T00:55:08.063+08:00' },
  { status: 'PAID', status_label: '已付款', at: '2026-11-26T00:59:02.209+08:00' },
  { status: 'SHIPPED', status_label: '已发货', at: '2026-11-26T05:38:41.454+08:00' },
  { status: 'IN_TRANSIT', status_label: '运输中', at: '2026-11-26T11:49:32.747+08:00' },
]

describe('lifecycle step bar', () => {
  it('marks reached steps with their time and the furthest one as current', () => {
    const { steps, currentIndex, halted } = lifecycle(HISTORY, 'IN_TRANSIT', NOW)
    expect(steps.map((s) => s.label)).toEqual(['已下单', '已付款', '已发货', '运输中', '已签收'])
    expect(steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'current', 'todo'])
    expect(steps.map((s) => s.atText)).toEqual(['11月26日 00:55', '11月26日 00:59', '11月26日 05:38', '11月26日 11:49', ''])
    expect(currentIndex).toBe(3)
    expect(halted).toBeNull()
  })

  it('a delivered order has every step done; a skipped transit step has no time', () => {
    const h = [...HISTORY.slice(0, 3), { status: 'DELIVERED', at: '2026-11-27T09:12:00+08:00' }]
    const { steps } = lifecycle(h, 'DELIVERED', NOW)
    expect(steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'done'])
    expect(steps[3].atText).toBe('')
    expect(steps[4].atText).toBe('11月27日 09:12')
  })

  it('a completed order shows 已签收 at the delivery time', () => {
    const h = [...HISTORY, { status: 'DELIVERED', at: '2026-11-27T09:12:00+08:00' }, { status: 'COMPLETED', at: '2026-12-04T09:12:00+08:00' }]
    const { steps, halted } = lifecycle(h, 'COMPLETED', NOW)
    expect(steps[4]).toMatchObject({ state: 'done', atText: '11月27日 09:12' })
    expect(halted).toBeNull()
  })

  it('a cancelled order stops after 已下单 and says so', () => {
    const h = [HISTORY[0], { status: 'CANCELLED', at: '2026-11-26T01:30:00+08:00' }]
    const { steps, halted } = lifecycle(h, 'CANCELLED', NOW)
    expect(steps.map((s) => s.state)).toEqual(['done', 'todo', 'todo', 'todo', 'todo'])
    expect(halted).toMatchObject({ status: 'CANCELLED', label: '已取消', atText: '11月26日 01:30' })
  })

  it('an exception in transit stops the bar at 运输中 with a red tag', () => {
    const h = [...HISTORY, { status: 'EXCEPTION', at: '2026-11-26T18:00:00+08:00' }]
    const { steps, halted } = lifecycle(h, 'EXCEPTION', NOW)
    expect(steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'todo'])
    expect(halted).toMatchObject({ label: '配送异常', tone: 'danger', atText: '11月26日 18:00' })
  })

  it('a refund after payment stops at 已付款', () => {
    const h = [HISTORY[0], HISTORY[1], { status: 'REFUNDED', at: '2026-11-26T02:00:00+08:00' }]
    const { steps, halted } = lifecycle(h, 'REFUNDED', NOW)
    expect(steps.map((s) => s.state)).toEqual(['done', 'done', 'todo', 'todo', 'todo'])
    expect(halted.label).toBe('已退款')
  })

  it('works without history (list entries) from the status alone', () => {
    const { steps } = lifecycle(undefined, 'PAID', NOW)
    expect(steps.map((s) => s.state)).toEqual(['done', 'current', 'todo', 'todo', 'todo'])
    expect(steps[1].atText).toBe('')
  })

  it('status views and tabs', () => {
    expect(orderStatusView('DELIVERED')).toMatchObject({ label: '已签收', tone: 'success' })
    expect(orderStatusView('EXCEPTION').tone).toBe('danger')
    expect(orderStatusView('SOMETHING_NEW', '新状态')).toMatchObject({ label: '新状态' })
    expect(STATUS_TABS.map((t) => [t.label, t.statuses.join(',')])).toEqual([
      ['全部', ''],
      ['待付款', 'CREATED'],
      ['待发货', 'PAID'],
      ['运输中', 'SHIPPED,IN_TRANSIT'],
      ['已签收', 'DELIVERED,COMPLETED'],
      ['异常', 'EXCEPTION,REFUNDING'],
    ])
  })
})

describe('ETA window', () => {
  const eta = {
    earliest: '2026-11-27T08:00:00+08:00',
    latest: '2026-11-27T21:00:00+08:00',
    most_likely: '2026-11-27T10:46:15+08:00',
    confidence: 0.78,
    samples: 65,
  }

  it('same day', () => {
    expect(etaWindowText(eta, NOW)).toBe('明天 08:00–21:00')
  })

  it('across days', () => {
    expect(etaWindowText({ earliest: '2026-11-27T20:00:00+08:00', latest: '2026-11-29T12:00:00+08:00' }, NOW)).toBe(
      '明天 20:00 – 11月29日 12:00',
    )
  })

  it('only one time, or none', () => {
    expect(etaWindowText({ most_likely: '2026-11-26T18:30:00+08:00' }, NOW)).toBe('今天 18:30 左右')
    expect(etaWindowText(null, NOW)).toBe('')
    expect(etaWindowText({}, NOW)).toBe('')
  })

  it('full view with most likely time, confidence and basis', () => {
    expect(etaView(eta, NOW)).toEqual({
      window: '明天 08:00–21:00',
      mostLikely: '明天 10:46',
      confidence: 78,
      basis: '根据近 65 单同线路包裹的送达时间估算',
      overdue: false,
    })
    expect(etaView(eta, parseTime('2026-11-28T09:00:00+08:00')).overdue).toBe(true)
  })
})

describe('temperature chart scaling', () => {
  const series = [
    { at: '2026-11-26T08:00:00+08:00', min_c: -21.5, max_c: -20.9 },
    { at: '2026-11-26T08:15:00+08:00', min_c: -21.0, max_c: -17.0 },
    { at: '2026-11-26T08:30:00+08:00', min_c: -20.0, max_c: -12.0 },
    { at: '2026-11-26T09:00:00+08:00', min_c: -21.0, max_c: -20.5 },
  ]

  it('frozen: y range covers the data and the -18 °C line, padded to whole degrees', () => {
    const g = scaleSeries(series, 'frozen', NOW)
    expect(g.empty).toBe(false)
    expect(g.hi).toBeGreaterThanOrEqual(-12)
    expect(g.lo).toBeLessThanOrEqual(-21.5)
    expect(Number.isInteger(g.hi) && Number.isInteger(g.lo)).toBe(true)
    expect(g.lines).toHaveLength(1)
    expect(g.lines[0].value).toBe(-18)
    expect(g.lines[0].top).toBeCloseTo(((g.hi + 18) / (g.hi - g.lo)) * 100, 1)
    expect(g.band).toBeNull()
  })

  it('bars: colder is lower, states by limit, time gaps kept', () => {
    const g = scaleSeries(series, 'frozen', NOW)
    expect(g.bars.map((b) => b.state)).toEqual(['ok', 'warn', 'bad', 'ok'])
    // higher max → smaller top (closer to the top edge)
    expect(g.bars[2].top).toBeLessThan(g.bars[0].top)
    // the 30-minute gap before the last bucket is twice the regular step
    const d1 = g.bars[1].left - g.bars[0].left
    const d3 = g.bars[3].left - g.bars[2].left
    expect(d3).toBeCloseTo(2 * d1, 0)
    for (const b of g.bars) {
      expect(b.top).toBeGreaterThanOrEqual(0)
      expect(b.top + b.height).toBeLessThanOrEqual(100.1)
      expect(b.left + b.width).toBeLessThanOrEqual(100)
    }
    expect(g.xStart).toBe('08:00')
    expect(g.xEnd).toBe('09:00')
    expect(g.outside).toBe(2)
  })

  it('chilled: 0–8 °C band and two lines', () => {
    const g = scaleSeries([{ at: '2026-11-26T08:00:00+08:00', min_c: 3, max_c: 4 }, { at: '2026-11-26T08:15:00+08:00', min_c: 5, max_c: 9.5 }], 'chilled', NOW)
    expect(g.lines.map((l) => l.value)).toEqual([8, 0])
    expect(g.lo).toBeLessThanOrEqual(0)
    expect(g.hi).toBeGreaterThanOrEqual(9.5)
    expect(g.band.top).toBeCloseTo(g.lines[0].top, 5)
    expect(g.band.top + g.band.height).toBeCloseTo(g.lines[1].top, 0)
    expect(g.bars.map((b) => b.state)).toEqual(['ok', 'warn'])
  })

  it('buckets in the logger settling time are drawn as such, not as breaches', () => {
    const warm = [{ at: '2026-11-26T07:30:00+08:00', min_c: 2, max_c: 15 }, ...series]
    const g = scaleSeries(warm, 'frozen', NOW, { settleUntil: parseTime('2026-11-26T07:30:00+08:00') + 30 * 60e3 })
    expect(g.bars.map((b) => b.state)).toEqual(['settle', 'ok', 'warn', 'bad', 'ok'])
    expect(g.settling).toBe(true)
    expect(g.outside).toBe(2)
    expect(scaleSeries(warm, 'frozen', NOW).bars[0].state).toBe('bad')
    // the settling stretch does not stretch the y range; its bar is clipped at the top
    expect(g.hi).toBe(scaleSeries(series, 'frozen', NOW).hi)
    expect(g.bars[0].top).toBe(0)
  })

  it('absent or empty series → empty', () => {
    expect(scaleSeries(undefined, 'frozen').empty).toBe(true)
    expect(scaleSeries([], 'frozen').empty).toBe(true)
    expect(scaleSeries([{ at: 'x', min_c: null, max_c: null }], 'frozen').empty).toBe(true)
  })

  it('thaw-risk wording per level and profile', () => {
    expect(thawRiskView({ profile: 'frozen', thaw_risk: 'none', thaw_risk_label: '无' })).toMatchObject({
      title: '解冻风险：无',
      tone: 'success',
    })
    expect(thawRiskView({ profile: 'frozen', thaw_risk: 'high' }).text).toContain('可能已部分解冻')
    expect(thawRiskView({ profile: 'chilled', thaw_risk: 'medium' }).title).toBe('变质风险：中')
    expect(thawRiskView(null)).toBeNull()
  })
})

describe('small helpers', () => {
  it('masked waybills are not copyable', () => {
    expect(canCopyWaybill('JDV5*******6069')).toBe(false)
    expect(canCopyWaybill('SF202611260009')).toBe(true)
    expect(canCopyWaybill('')).toBe(false)
  })

  it('carrier badge and address', () => {
    expect(carrierBadge('JD', '京东')).toMatchObject({ char: '京', color: '#D93026' })
    expect(carrierBadge('XYZ', '小鱼快运').char).toBe('小')
    expect(maskedAddress({ province: '浙江省', city: '杭州市', detail: '演示路88号' })).toBe('浙江省 杭州市')
  })

  it('hand-off between pages is one-shot and expires', () => {
    handOff('k', { a: 1 }, 1000)
    expect(takeHandOff('k', 2000)).toEqual({ a: 1 })
    expect(takeHandOff('k', 2000)).toBeNull()
    handOff('old', { a: 1 }, 1000)
    expect(takeHandOff('old', 1000 + 61000)).toBeNull()
  })
})
