// The order filter form's values ⇄ GET /api/orders parameters ⇄ the page's URL query.
import { dayRangeQuery } from './time.js'

export const PAGE_SIZES = [20, 50, 100, 200]

export function emptyFilters() {
  return { order_no: '', phone: '', range: [], statuses: [], carrier: '', waybill_no: '', archived: 'exclude' }
}

export const normalizePhone = (s) => String(s || '').replace(/[\s-]/g, '')

// Problems staff can fix before asking the server: {field: message}.
export function validateFilters(f) {
  const errors = {}
  const phone = normalizePhone(f.phone)
  if (phone && !/^1\d{10}$/.test(phone)) errors.phone = '手机号须为 11 位数字（完整号码）'
  if (f.order_no && !/^[A-Za-z0-9_-]{1,64}$/.test(f.order_no.trim())) errors.order_no = '订单号只含字母、数字、- 和 _'
  if (f.waybill_no && !/^[A-Za-z0-9_-]{1,64}$/.test(f.waybill_no.trim())) errors.waybill_no = '运单号只含字母、数字、- 和 _'
  return errors
}

// The API's parameters (empty ones left out; the client encodes '+' in times as %2B).
export function filtersToQuery(f, { limit, cursor } = {}) {
  const q = {}
  if (f.order_no && f.order_no.trim()) q.order_no = f.order_no.trim()
  const phone = normalizePhone(f.phone)
  if (phone) q.phone = phone
  if (Array.isArray(f.range) && f.range.length === 2 && f.range[0] && f.range[1]) {
    Object.assign(q, dayRangeQuery(f.range[0], f.range[1]))
  }
  if (Array.isArray(f.statuses) && f.statuses.length) q.status = f.statuses.join(',')
  if (f.carrier) q.carrier = f.carrier
  if (f.waybill_no && f.waybill_no.trim()) q.waybill_no = f.waybill_no.trim()
  if (f.archived && f.archived !== 'exclude') q.archived = f.archived
  if (limit) q.limit = limit
  if (cursor) q.cursor = cursor
  return q
}

// The URL keeps the form (days, not times), so a link or a reload shows the same list.
export function filtersToRoute(f) {
  const r = {}
  if (f.order_no) r.order_no = f.order_no.trim()
  if (f.phone) r.phone = normalizePhone(f.phone)
  if (Array.isArray(f.range) && f.range.length === 2 && f.range[0]) {
    r.from = f.range[0]
    r.to = f.range[1]
  }
  if (f.statuses && f.statuses.length) r.status = f.statuses.join(',')
  if (f.carrier) r.carrier = f.carrier
  if (f.waybill_no) r.waybill_no = f.waybill_no.trim()
  if (f.archived && f.archived !== 'exclude') r.archived = f.archived
  return r
}

const DAY = /^\d{4}-\d{2}-\d{2}$/
export function filtersFromRoute(query = {}) {
  const f = emptyFilters()
  const s = (v) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] || '') : '')
  f.order_no = s(query.order_no)
  f.phone = s(query.phone)
  const from = s(query.from)
  const to = s(query.to)
  if (DAY.test(from) && DAY.test(to)) f.range = [from, to]
  f.statuses = s(query.status) ? s(query.status).split(',').filter(Boolean) : []
  f.carrier = s(query.carrier)
  f.waybill_no = s(query.waybill_no)
  const archived = s(query.archived)
  f.archived = ['include', 'only'].includes(archived) ? archived : 'exclude'
  return f
}
