// Delivery estimate ("ETA window") text.
import { formatClock, parseTime, relativeDay } from './time'

/**
 * "明天 08:00–21:00" when earliest and latest fall on the same China day,
 * "明天 20:00 – 11月29日 12:00" otherwise; "明天 10:46 左右" with only one time; '' without any.
 */
export function etaWindowText(eta, now = Date.now()) {
  if (!eta) return ''
  const a = parseTime(eta.earliest)
  const b = parseTime(eta.latest)
  if (!Number.isNaN(a) && !Number.isNaN(b)) {
    const lo = Math.min(a, b)
    const hi = Math.max(a, b)
    const dayLo = relativeDay(lo, now)
    const dayHi = relativeDay(hi, now)
    if (formatClock(lo) === formatClock(hi) && dayLo === dayHi) return `${dayLo} ${formatClock(lo)} 左右`
    if (dayLo === dayHi) return `${dayLo} ${formatClock(lo)}–${formatClock(hi)}`
    return `${dayLo} ${formatClock(lo)} – ${dayHi} ${formatClock(hi)}`
  }
  const one = !Number.isNaN(a) ? a : !Number.isNaN(b) ? b : parseTime(eta.most_likely)
  if (Number.isNaN(one)) return ''
  return `${relativeDay(one, now)} ${formatClock(one)} 左右`
}

/** Everything the ETA block shows, or null when there is no estimate. */
export function etaView(eta, now = Date.now()) {
  const window = etaWindowText(eta, now)
  if (!window) return null
  const ml = parseTime(eta.most_likely)
  const samples = Number(eta.samples) || 0
  const confidence = Number(eta.confidence)
  const latest = parseTime(eta.latest)
  return {
    window,
    mostLikely: Number.isNaN(ml) ? '' : `${relativeDay(ml, now)} ${formatClock(ml)}`,
    confidence: Number.isFinite(confidence) && confidence > 0 ? Math.round(confidence * 100) : null,
    basis: samples > 0 ? `根据近 ${samples} 单同线路包裹的送达时间估算` : '根据快递时效估算',
    overdue: !Number.isNaN(latest) && latest < now,
  }
}
