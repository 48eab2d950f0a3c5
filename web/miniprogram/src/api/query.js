// Query strings for the API (mini-programs have no URLSearchParams).
import { dayEndExclusiveRfc3339, dayStartRfc3339 } from '../utils/time'

/** "a=1&b=x%2By" from an object; null / undefined / '' values are left out. */
export function toQuery(params) {
  return Object.keys(params)
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)
    .join('&')
}

/**
 * Query of GET /api/me/orders.
 * filters: { limit, cursor, statuses: ['SHIPPED','IN_TRANSIT'], orderNo, fromDate: 'YYYY-MM-DD', toDate: 'YYYY-MM-DD' }
 * from/to are China-time day bounds; `to` is exclusive, so toDate's whole day is included.
 */
export function buildOrdersQuery(filters = {}) {
  const parts = [`limit=${filters.limit || 20}`]
  if (filters.cursor) parts.push(`cursor=${encodeURIComponent(filters.cursor)}`)
  const statuses = (filters.statuses || []).filter((s) => /^[A-Z_]+$/.test(s))
  if (statuses.length) parts.push(`status=${statuses.join(',')}`)
  const orderNo = (filters.orderNo || '').trim()
  if (orderNo) parts.push(`order_no=${encodeURIComponent(orderNo)}`)
  const from = dayStartRfc3339(filters.fromDate)
  if (from) parts.push(`from=${encodeURIComponent(from)}`)
  const to = dayEndExclusiveRfc3339(filters.toDate)
  if (to) parts.push(`to=${encodeURIComponent(to)}`)
  return parts.join('&')
}

export const ORDER_NO_RE = /^[A-Za-z0-9_-]{1,64}$/
export const LAST4_RE = /^\d{4}$/

/** Chinese validation message for the public lookup form, or '' when valid. */
export function validateLookup(orderNo, last4) {
  const no = (orderNo || '').trim()
  const digits = (last4 || '').trim()
  if (!no) return '请输入订单号'
  if (no.length > 64) return '订单号最长 64 位，请核对后重新输入'
  if (!ORDER_NO_RE.test(no)) return '订单号只能包含字母、数字、下划线或短横线'
  if (!digits) return '请输入手机号后四位'
  if (!LAST4_RE.test(digits)) return '请输入手机号后四位数字'
  return ''
}
