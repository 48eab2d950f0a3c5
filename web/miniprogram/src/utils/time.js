// Time helpers. The backend speaks RFC 3339 with an offset (+08:00); customers read China time.
// Everything here computes in Asia/Shanghai (UTC+8, no daylight saving) with plain arithmetic,
// so the result never depends on the phone's or the build machine's time zone, and parsing
// does not rely on Date.parse (older iOS JavaScriptCore rejects some RFC 3339 forms).

export const SHANGHAI_OFFSET_MIN = 480
const MINUTE = 60 * 1000
export const DAY_MS = 24 * 60 * MINUTE

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

function pad2(n) {
  return n < 10 ? '0' + n : String(n)
}

/** Milliseconds since the epoch, or NaN when the value is not a time. A missing offset is China time. */
export function parseTime(value) {
  if (value === null || value === undefined || value === '') return NaN
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN
  if (value instanceof Date) return value.getTime()
  const m = RFC3339.exec(String(value).trim())
  if (!m) return NaN
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', off] = m
  let offsetMin = SHANGHAI_OFFSET_MIN
  if (off && off !== 'Z' && off !== 'z') {
    const sign = off[0] === '-' ? -1 : 1
    const digits = off.slice(1).replace(':', '')
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0))
  } else if (off) {
    offsetMin = 0
  }
  const ms = Number((frac + '000').slice(0, 3))
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms)
  return utc - offsetMin * MINUTE
}

/** Calendar fields of an instant as seen in China. */
export function shanghaiParts(ms) {
  const d = new Date(ms + SHANGHAI_OFFSET_MIN * MINUTE)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  }
}

/** "2026-11-26" (China date) of an instant. */
export function dateKey(ms) {
  const p = shanghaiParts(ms)
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}`
}

/** "11:49" */
export function formatClock(value) {
  const ms = parseTime(value)
  if (Number.isNaN(ms)) return ''
  const p = shanghaiParts(ms)
  return `${pad2(p.hour)}:${pad2(p.minute)}`
}

/** "11月26日", with the year in front when it is not the current year. */
export function formatDate(value, now = Date.now()) {
  const ms = parseTime(value)
  if (Number.isNaN(ms)) return ''
  const p = shanghaiParts(ms)
  const year = shanghaiParts(now).year === p.year ? '' : `${p.year}年`
  return `${year}${p.month}月${p.day}日`
}

/** "11月26日 11:49" (year added when it is not the current year); '' for a missing time. */
export function formatDateTime(value, now = Date.now()) {
  const ms = parseTime(value)
  if (Number.isNaN(ms)) return ''
  return `${formatDate(ms, now)} ${formatClock(ms)}`
}

/** "今天" / "明天" / "后天" / "昨天" or "11月27日". */
export function relativeDay(value, now = Date.now()) {
  const ms = parseTime(value)
  if (Number.isNaN(ms)) return ''
  const dayIndex = (t) => Math.floor((t + SHANGHAI_OFFSET_MIN * MINUTE) / DAY_MS)
  const diff = dayIndex(ms) - dayIndex(now)
  if (diff === 0) return '今天'
  if (diff === 1) return '明天'
  if (diff === 2) return '后天'
  if (diff === -1) return '昨天'
  return formatDate(ms, now)
}

/** "今天 11:49" / "11月24日 11:49": for times close to now. */
export function formatRelativeDateTime(value, now = Date.now()) {
  const ms = parseTime(value)
  if (Number.isNaN(ms)) return ''
  return `${relativeDay(ms, now)} ${formatClock(ms)}`
}

/** Today's China date as "YYYY-MM-DD" (the value format of <picker mode="date">). */
export function todayDate(now = Date.now()) {
  return dateKey(now)
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/

/** "2026-11-01" → "2026-11-01T00:00:00+08:00" (start of that China day), or '' when invalid. */
export function dayStartRfc3339(date) {
  const m = DATE_ONLY.exec(date || '')
  if (!m) return ''
  return `${m[1]}-${m[2]}-${m[3]}T00:00:00+08:00`
}

/** "2026-11-30" → "2026-12-01T00:00:00+08:00": the exclusive end of a date range that includes that day. */
export function dayEndExclusiveRfc3339(date) {
  const m = DATE_ONLY.exec(date || '')
  if (!m) return ''
  const next = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1))
  return `${next.getUTCFullYear()}-${pad2(next.getUTCMonth() + 1)}-${pad2(next.getUTCDate())}T00:00:00+08:00`
}
