import { describe, it, expect } from 'vitest'
import { formatTime, shopDate, addDays, dayRangeQuery, rangeShortcut, formatDuration, formatShort } from '../../src/utils/time.js'
import { fenToYuan, formatMoney } from '../../src/utils/money.js'

describe('times in China time', () => {
  it('formats any offset as UTC+8 wall clock', () => {
    expect(formatTime('2026-11-25T13:05:00+08:00')).toBe('2026-11-25 13:05:00')
    expect(formatTime('2026-11-25T17:30:00Z')).toBe('2026-11-26 01:30:00')
    expect(formatTime('2026-11-25T13:05:09.123+08:00', { seconds: false })).toBe('2026-11-25 13:05')
    expect(formatShort(1795611600000)).toBe(formatShort(new Date(1795611600000).toISOString()))
    expect(formatTime(null)).toBe('—')
    expect(formatTime('garbage')).toBe('—')
  })
  it('knows the shop date across UTC midnight', () => {
    expect(shopDate('2026-11-25T16:30:00Z')).toBe('2026-11-26')
    expect(shopDate('2026-11-25T15:59:59Z')).toBe('2026-11-25')
  })
  it('adds days across months and years', () => {
    expect(addDays('2026-11-30', 1)).toBe('2026-12-01')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
  })
  it('turns whole days into the API range with an exclusive end', () => {
    expect(dayRangeQuery('2026-11-20', '2026-11-26')).toEqual({ from: '2026-11-20T00:00:00+08:00', to: '2026-11-27T00:00:00+08:00' })
    expect(dayRangeQuery(null, null)).toEqual({ from: undefined, to: undefined })
  })
  it('has shortcuts for today, 7 and 30 days', () => {
    const now = Date.parse('2026-11-26T02:00:00Z') // 10:00 in Shanghai
    expect(rangeShortcut('today', now)).toEqual(['2026-11-26', '2026-11-26'])
    expect(rangeShortcut('7d', now)).toEqual(['2026-11-20', '2026-11-26'])
    expect(rangeShortcut('30d', now)).toEqual(['2026-10-28', '2026-11-26'])
  })
  it('says durations in Chinese', () => {
    expect(formatDuration(30 * 1000)).toBe('刚刚')
    expect(formatDuration(8 * 60000)).toBe('8分钟')
    expect(formatDuration((5 * 60 + 12) * 60000)).toBe('5小时12分')
    expect(formatDuration(3 * 3600000)).toBe('3小时')
    expect(formatDuration((3 * 24 + 2) * 3600000)).toBe('3天2小时')
    expect(formatDuration(NaN)).toBe('—')
  })
})

describe('money', () => {
  it('shows fen as yuan', () => {
    expect(fenToYuan(9180)).toBe('91.80')
    expect(fenToYuan(5)).toBe('0.05')
    expect(fenToYuan(-120)).toBe('-1.20')
    expect(formatMoney(3990)).toBe('¥39.90')
    expect(formatMoney(null)).toBe('—')
  })
})
