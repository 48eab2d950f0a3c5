// CSV for Excel: UTF-8 with a byte-order mark (so Excel opens Chinese correctly), CRLF line
// ends, RFC 4180 quoting, and text cells that a spreadsheet would run as a formula defused.
import { fenToYuan } from './money.js'
import { formatTime } from './time.js'

export const BOM = '\uFEFF'

export function csvCell(value) {
  if (value === null || value === undefined) return ''
  let s = typeof value === 'string' ? value : String(value)
  // "=cmd|..." in a text cell would run in Excel; a leading apostrophe keeps it text.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s)) s = `'${s}`
  if (/[",\r\n]/.test(s) || /^\s|\s$/.test(s)) s = `"${s.replace(/"/g, '""')}"`
  return s
}

export function csvLine(cells) {
  return cells.map(csvCell).join(',')
}

// columns: [{title, value: (row) => any}]
export function buildCsv(columns, rows, { bom = true } = {}) {
  const lines = [csvLine(columns.map((c) => c.title))]
  for (const row of rows) lines.push(csvLine(columns.map((c) => c.value(row))))
  return (bom ? BOM : '') + lines.join('\r\n') + '\r\n'
}

const join = (list, sep = '；') => list.filter((x) => x !== null && x !== undefined && x !== '').join(sep)

// The columns of the order export, from GET /api/orders items (personal data as masked there).
export const ORDER_COLUMNS = [
  { title: '订单号', value: (o) => o.order_no },
  { title: '状态', value: (o) => o.status_label || o.status },
  { title: '收件人', value: (o) => (o.customer && o.customer.name) || '' },
  { title: '手机号', value: (o) => (o.customer && o.customer.phone) || '' },
  { title: '省份', value: (o) => (o.address && o.address.province) || '' },
  { title: '城市', value: (o) => (o.address && o.address.city) || '' },
  { title: '商品', value: (o) => join((o.items || []).map((i) => `${i.name}×${i.quantity}`)) },
  { title: '金额(元)', value: (o) => fenToYuan(o.amount_fen) },
  { title: '承运商', value: (o) => join((o.shipments || []).map((s) => s.carrier_name || s.carrier)) },
  { title: '运单号', value: (o) => join((o.shipments || []).map((s) => s.waybill_no)) },
  { title: '已归档', value: (o) => (o.archived ? '是' : '否') },
  { title: '下单时间', value: (o) => formatTime(o.created_at) },
  { title: '更新时间', value: (o) => formatTime(o.updated_at) },
]

export function ordersCsv(orders) {
  return buildCsv(ORDER_COLUMNS, orders)
}

// Fetches every page of a list (limit 200 each) and reports progress; stops on signal.
export async function fetchAllPages(fetchPage, { onProgress = () => {}, signal, maxRows = 1000000 } = {}) {
  const rows = []
  let cursor = null
  for (;;) {
    if (signal && signal.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' })
    const page = await fetchPage(cursor, signal)
    rows.push(...(page.items || []))
    onProgress(rows.length)
    cursor = page.next_cursor || null
    if (!cursor || rows.length >= maxRows) return rows
  }
}

export function downloadText(filename, text, type = 'text/csv;charset=utf-8') {
  const blob = new Blob([text], { type })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
