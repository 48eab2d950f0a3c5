// Times as shop staff read them: always in China time (UTC+8), whatever the laptop's zone.
export const SHOP_OFFSET_MIN = 8 * 60
const DAY_MS = 86400000

function pad(n, w = 2) {
  return String(n).padStart(w, '0')
}

// The wall-clock parts of an instant in UTC+8.
function shopParts(ms) {
  const d = new Date(ms + SHOP_OFFSET_MIN * 60000)
  return {
    y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(),
    hh: d.getUTCHours(), mm: d.getUTCMinutes(), ss: d.getUTCSeconds(),
  }
}

export function toMs(value) {
  if (value === null || value === undefined || value === '') return NaN
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'number') return value
  return Date.parse(value)
}

// "2026-11-26 14:41:34" (or without seconds).
export function formatTime(value, { seconds = true } = {}) {
  const ms = toMs(value)
  if (Number.isNaN(ms)) return '—'
  const p = shopParts(ms)
  const base = `${p.y}-${pad(p.m)}-${pad(p.d)} ${pad(p.hh)}:${pad(p.mm)}`
  return seconds ? `${base}:${pad(p.ss)}` : base
}

export function formatShort(value) {
  const ms = toMs(value)
  if (Number.isNaN(ms)) return '—'
  const p = shopParts(ms)
  return `${pad(p.m)}-${pad(p.d)} ${pad(p.hh)}:${pad(p.mm)}`
}

export function formatClock(value) {
  const ms = toMs(value)
  if (Number.isNaN(ms)) return '—'
  const p = shopParts(ms)
  return `${pad(p.hh)}:${pad(p.mm)}:${pad(p.ss)}`
}

// "YYYY-MM-DD" of an instant in China time.
export function shopDate(value = Date.now()) {
  const p = shopParts(toMs(value))
  return `${p.y}-${pad(p.m)}-${pad(p.d)}`
}

export function addDays(date, days) {
  const [y, m, d] = date.split('-').map(Number)
  const t = new Date(Date.UTC(y, m - 1, d) + days * DAY_MS)
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`
}

// Midnight of a China date as RFC 3339 with its offset.
export function dayStart(date) {
  return `${date}T00:00:00+08:00`
}

// The API's created-time filter for a range of whole days [first, last]: `to` is exclusive,
// so it is the midnight after the last day.
export function dayRangeQuery(first, last) {
  if (!first || !last) return { from: undefined, to: undefined }
  return { from: dayStart(first), to: dayStart(addDays(last, 1)) }
}

// Shortcuts for the date pickers: [first, last] day strings.
export function rangeShortcut(kind, now = Date.now()) {
  const today = shopDate(now)
  if (kind === 'today') return [today, today]
  if (kind === '7d') return [addDays(today, -6), today]
  if (kind === '30d') return [addDays(today, -29), today]
  throw new Error(`unknown range ${kind}`)
}

// "3天2小时", "5小时12分", "8分钟", "刚刚".
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—'
  if (ms < 0) ms = 0
  const min = Math.floor(ms / 60000)
  if (min < 1) return '刚刚'
  if (min < 60) return `${min}分钟`
  const h = Math.floor(min / 60)
  if (h < 24) return `${h}小时${min % 60 ? `${min % 60}分` : ''}`
  const d = Math.floor(h / 24)
  return `${d}天${h % 24 ? `${h % 24}小时` : ''}`
}

export function ageOf(value, now = Date.now()) {
  const ms = toMs(value)
  return Number.isNaN(ms) ? NaN : now - ms
}

export function formatMinutes(min) {
  if (min === null || min === undefined || Number.isNaN(Number(min))) return '—'
  return formatDuration(Number(min) * 60000)
}
