// Cold-chain temperature chart geometry and thaw-risk wording. The chart is drawn with plain
// views positioned in percent, so it renders the same in the mini-program and in H5 without
// a canvas or a charting library.
import { formatClock, formatDateTime, parseTime } from './time'

/** The backend ignores the first 30 minutes of a logger's readings (it is still cooling down). */
export const SETTLE_MS = 30 * 60 * 1000

export const PROFILES = {
  frozen: { label: '冷冻', target: '≤ -18°C', lines: [{ value: -18, label: '-18°C' }], band: null, warnAbove: -18, badAbove: -15 },
  chilled: {
    label: '冷藏',
    target: '0 ~ 8°C',
    lines: [
      { value: 8, label: '8°C' },
      { value: 0, label: '0°C' },
    ],
    band: { lo: 0, hi: 8 },
    warnAbove: 8,
    badAbove: 10,
    warnBelow: 0,
    badBelow: -2,
  },
}

export function profileOf(coldChain, tempClass) {
  const p = (coldChain && coldChain.profile) || tempClass
  return PROFILES[p] ? p : null
}

function round1(v) {
  return Math.round(v * 10) / 10
}

function barState(profile, min, max) {
  const p = PROFILES[profile]
  if (!p) return 'ok'
  if (max > p.badAbove || (p.badBelow !== undefined && min < p.badBelow)) return 'bad'
  if (max > p.warnAbove || (p.warnBelow !== undefined && min < p.warnBelow)) return 'warn'
  return 'ok'
}

/**
 * Scale a temperature series ([{at,min_c,max_c}] oldest first) into chart geometry, all in
 * percent of the plot area: bars {left,width,top,height,state}, limit lines {top,label},
 * the chilled band {top,height}, y ticks and the first/last time labels.
 * The y range always contains the limit lines and is padded and rounded to whole degrees.
 * Buckets before options.settleUntil (ms) are the logger's settling time, which the backend
 * leaves out of its assessment: they are drawn as state 'settle' (grey) instead of as a breach.
 */
export function scaleSeries(series, profile, now = Date.now(), options = {}) {
  const settleUntil = Number(options.settleUntil) || 0
  const pts = (Array.isArray(series) ? series : [])
    .filter((p) => p && typeof p.min_c === 'number' && typeof p.max_c === 'number')
    .map((p) => ({ t: parseTime(p.at), min: p.min_c, max: p.max_c }))
    .filter((p) => !Number.isNaN(p.t) && Number.isFinite(p.min) && Number.isFinite(p.max))
    .map((p) => (p.min > p.max ? { t: p.t, min: p.max, max: p.min } : p))
    .sort((a, b) => a.t - b.t)
  if (pts.length === 0) return { empty: true }

  const conf = PROFILES[profile] || { lines: [], band: null }
  // The settling stretch (often room temperature) would squash the rest: it is left out of the
  // y range and its bars are clipped at the edge.
  const assessed = pts.filter((p) => p.t >= settleUntil)
  const ranged = assessed.length ? assessed : pts
  let lo = Math.min(...ranged.map((p) => p.min), ...conf.lines.map((l) => l.value))
  let hi = Math.max(...ranged.map((p) => p.max), ...conf.lines.map((l) => l.value))
  const pad = Math.max(1, (hi - lo) * 0.12)
  lo = Math.floor(lo - pad)
  hi = Math.ceil(hi + pad)
  const span = hi - lo
  const y = (v) => round1(((hi - v) / span) * 100)

  // Buckets are (nearly) regular; the step is the median gap, so a missing stretch shows as a gap.
  const t0 = pts[0].t
  const gaps = []
  for (let i = 1; i < pts.length; i++) if (pts[i].t > pts[i - 1].t) gaps.push(pts[i].t - pts[i - 1].t)
  gaps.sort((a, b) => a - b)
  const step = gaps.length ? gaps[Math.floor((gaps.length - 1) / 2)] : 60 * 60 * 1000
  const total = pts[pts.length - 1].t - t0 + step
  const bars = pts.map((p) => {
    const top = Math.min(Math.max(y(p.max), 0), 98.5)
    const bottom = Math.min(Math.max(y(p.min), 0), 100)
    const height = Math.max(round1(bottom - top), 1.5)
    return {
      left: round1(((p.t - t0) / total) * 100),
      width: Math.max(round1((step / total) * 100 * 0.7), 0.4),
      // (a bar never runs past the right edge: the last one starts at most one step before it)
      top,
      height,
      state: p.t < settleUntil ? 'settle' : barState(profile, p.min, p.max),
    }
  })
  const lines = conf.lines.map((l) => ({ value: l.value, label: l.label, top: y(l.value) }))
  const band = conf.band ? { top: y(conf.band.hi), height: round1(y(conf.band.lo) - y(conf.band.hi)) } : null
  const mid = Math.round((hi + lo) / 2)
  const yTicks = [hi, mid, lo].map((v) => ({ value: v, label: `${v}°`, top: y(v) }))
  const first = pts[0].t
  const last = pts[pts.length - 1].t
  const sameDay = formatDateTime(first, now).split(' ')[0] === formatDateTime(last, now).split(' ')[0]
  return {
    empty: false,
    lo,
    hi,
    bars,
    lines,
    band,
    yTicks,
    xStart: sameDay ? formatClock(first) : formatDateTime(first, now),
    xEnd: sameDay ? formatClock(last) : formatDateTime(last, now),
    outside: bars.filter((b) => b.state === 'warn' || b.state === 'bad').length,
    settling: bars.some((b) => b.state === 'settle'),
  }
}

const RISK = {
  none: { tone: 'success', frozen: '全程温度保持在 -18°C 及以下，商品冻结状态良好。', chilled: '全程温度保持在 0~8°C 之间，新鲜度有保障。' },
  low: {
    tone: 'active',
    frozen: '途中有短暂升温（如装卸时开门），累计时间很短，一般不影响品质。',
    chilled: '途中温度有短暂波动，累计时间很短，一般不影响品质。',
  },
  medium: {
    tone: 'warning',
    frozen: '途中有一段时间温度高于 -18°C。收货时请检查商品是否仍冻得结实，如有软化请及时联系商家。',
    chilled: '途中有一段时间温度超出 0~8°C。收货时请检查商品状态，如有异常请及时联系商家。',
  },
  high: {
    tone: 'danger',
    frozen: '途中温度明显超标，商品可能已部分解冻。收货时请仔细检查，如有问题可拒收或联系商家处理。',
    chilled: '途中温度明显超标，商品新鲜度可能受影响。收货时请仔细检查，如有问题可拒收或联系商家处理。',
  },
}
const RISK_LABEL = { none: '无', low: '低', medium: '中', high: '高' }

/** Thaw-risk line under the chart: {level,label,tone,text}, or null without data. */
export function thawRiskView(coldChain, fallbackRisk) {
  const level = (coldChain && coldChain.thaw_risk) || fallbackRisk
  const r = RISK[level]
  if (!r) return null
  const profile = (coldChain && coldChain.profile) === 'chilled' ? 'chilled' : 'frozen'
  const label = (coldChain && coldChain.thaw_risk_label) || RISK_LABEL[level]
  const title = profile === 'chilled' ? `变质风险：${label}` : `解冻风险：${label}`
  return { level, label, title, tone: r.tone, text: r[profile] }
}

/** Summary numbers under the chart. */
export function coldChainStats(coldChain) {
  if (!coldChain) return null
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${round1(v)}°C` : '—')
  return {
    min: num(coldChain.min_c),
    max: num(coldChain.max_c),
    readings: Number(coldChain.readings) || 0,
    gap: Number(coldChain.data_gap_minutes) > 0 ? `有 ${Math.round(coldChain.data_gap_minutes)} 分钟未收到温度数据` : '',
  }
}
