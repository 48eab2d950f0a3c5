// One Chinese line saying why an anomaly was raised, from its evidence.
import { formatShort, formatMinutes } from './time.js'

const num = (v, digits = 1) => (typeof v === 'number' ? Number(v.toFixed(digits)).toString() : v)

export function evidenceSummary(anomaly) {
  const e = (anomaly && anomaly.evidence) || {}
  const parts = []
  switch (anomaly && anomaly.kind) {
    case 'temperature':
      if (e.peak_c !== undefined) parts.push(`峰值 ${num(e.peak_c)}°C`)
      if (e.duration_minutes !== undefined) parts.push(`持续 ${formatMinutes(e.duration_minutes)}`)
      if (e.device_id) parts.push(`记录仪 ${e.device_id}`)
      break
    case 'late':
      if (e.late_hours !== undefined) parts.push(`已晚 ${num(e.late_hours)} 小时`)
      if (e.eta_latest !== undefined) parts.push(`最晚预计 ${formatShort(e.eta_latest)}`)
      if (e.grace_hours !== undefined) parts.push(`宽限 ${num(e.grace_hours)} 小时`)
      break
    case 'no_update':
    case 'stuck_at_pickup':
    case 'not_signed':
      if (e.silent_hours !== undefined) parts.push(`已 ${num(e.silent_hours)} 小时无变化`)
      if (e.out_for_delivery_hours !== undefined) parts.push(`派送中 ${num(e.out_for_delivery_hours)} 小时`)
      if (e.at_pickup_hours !== undefined) parts.push(`在驿站 ${num(e.at_pickup_hours)} 小时`)
      if (e.limit_hours !== undefined) parts.push(`阈值 ${num(e.limit_hours)} 小时`)
      if (e.since) parts.push(`自 ${formatShort(e.since)}`)
      break
    default:
      break
  }
  if (parts.length === 0) {
    if (e.status_at) parts.push(`承运商报告于 ${formatShort(e.status_at)}`)
    if (e.latest) parts.push(`最晚预计 ${formatShort(e.latest)}`)
    if (e.overdue_hours !== undefined) parts.push(`已超时 ${num(e.overdue_hours)} 小时`)
    if (e.paid_at) parts.push(`付款于 ${formatShort(e.paid_at)}`)
    if (e.limit_hours !== undefined) parts.push(`阈值 ${num(e.limit_hours)} 小时`)
  }
  return parts.join('，')
}
