// Cold-chain alarm zones (docs/MONITORING.md): "above_-18", "above_-15_long", "outside_0_4",
// "outside_-2_8", "above_10", "below_0" → Chinese labels and the temperatures to draw.
const NUM = '(-?\\d+(?:\\.\\d+)?)'
const ABOVE = new RegExp(`^above_${NUM}(_long)?$`)
const BELOW = new RegExp(`^below_${NUM}(_long)?$`)
const OUTSIDE = new RegExp(`^outside_${NUM}_${NUM}(_long)?$`)

export function parseZone(zone) {
  const z = String(zone || '')
  let m = ABOVE.exec(z)
  if (m) return { kind: 'above', limits: [Number(m[1])], long: Boolean(m[2]) }
  m = BELOW.exec(z)
  if (m) return { kind: 'below', limits: [Number(m[1])], long: Boolean(m[2]) }
  m = OUTSIDE.exec(z)
  if (m) return { kind: 'outside', limits: [Number(m[1]), Number(m[2])], long: Boolean(m[3]) }
  return null
}

export function zoneLabel(zone) {
  const p = parseZone(zone)
  if (!p) return zone || '—'
  const suffix = p.long ? '（累计时长）' : ''
  if (p.kind === 'above') return `高于 ${p.limits[0]}°C${suffix}`
  if (p.kind === 'below') return `低于 ${p.limits[0]}°C${suffix}`
  return `超出 ${p.limits[0]}~${p.limits[1]}°C${suffix}`
}

// Threshold lines for a chart: one per distinct temperature, with the most severe zone's
// severity (a "_long" zone repeats its twin's limit and is left out).
export function thresholdLines(zones = []) {
  const rank = { critical: 4, major: 3, warning: 2, info: 1 }
  const byTemp = new Map()
  for (const z of zones) {
    const p = parseZone(z.zone)
    if (!p || p.long) continue
    for (const t of p.limits) {
      const prev = byTemp.get(t)
      if (!prev || (rank[z.severity] || 0) > (rank[prev.severity] || 0)) byTemp.set(t, { temp: t, severity: z.severity, zone: z.zone })
    }
  }
  return [...byTemp.values()].sort((a, b) => a.temp - b.temp)
}

export const PROFILE_LABEL = { frozen: '冷冻（≤ -18°C）', chilled: '冷藏（0~4°C）', ambient: '常温' }
