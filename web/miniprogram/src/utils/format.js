// Display formatting for money, items, carriers and addresses.

/** Integer fen → "¥12.90" (thousands separated: "¥1,234.50"); negative → "-¥1.00". */
export function formatFen(fen) {
  const n = Number(fen)
  if (!Number.isFinite(n)) return '¥0.00'
  const v = Math.round(n)
  const sign = v < 0 ? '-' : ''
  const abs = Math.abs(v)
  const yuan = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = String(abs % 100).padStart(2, '0')
  return `${sign}¥${yuan}.${cents}`
}

/** Sum of quantity × unit price over the items, in fen. */
export function itemsTotalFen(items) {
  if (!Array.isArray(items)) return 0
  return items.reduce((sum, it) => sum + (Number(it.quantity) || 0) * (Number(it.unit_price_fen) || 0), 0)
}

/** Total number of pieces in an order. */
export function itemCount(items) {
  if (!Array.isArray(items)) return 0
  return items.reduce((sum, it) => sum + (Number(it.quantity) || 0), 0)
}

/** Short summary for an order card: first item's name, how many kinds and pieces. */
export function itemsSummary(items) {
  if (!Array.isArray(items) || items.length === 0) return { name: '订单商品', extra: '' }
  const name = items[0].name || items[0].sku || '商品'
  const count = itemCount(items)
  const extra = items.length > 1 ? `等${items.length}种商品 共${count}件` : `共${count}件`
  return { name, extra }
}

const CATEGORY = {
  frozen: { label: '冷冻', tone: 'cold' },
  chilled: { label: '冷藏', tone: 'cool' },
  ambient: { label: '常温', tone: 'neutral' },
}

export function categoryView(category) {
  return CATEGORY[category] || null
}

export function tempClassLabel(tempClass) {
  const c = CATEGORY[tempClass]
  return c ? c.label : ''
}

/** "浙江省 杭州市": the only part of the address customers see outside the shop's own systems. */
export function maskedAddress(address) {
  if (!address) return ''
  return [address.province, address.city].filter(Boolean).join(' ')
}

/** Logo placeholder for a carrier: its first character on a colour of its own. */
const CARRIER_COLORS = {
  SF: '#1F2937',
  SF_COLD: '#1F2937',
  JD: '#D93026',
  ZTO: '#2D5BD3',
  YTO: '#5B2C83',
  STO: '#E8590C',
  YD: '#0F8B8D',
  EMS: '#1B7F3B',
  DBL: '#1D4ED8',
  JT: '#C2410C',
}
const FALLBACK_COLORS = ['#0E5A8A', '#0F766E', '#7C3AED', '#B45309', '#BE123C', '#1D4ED8']

export function carrierBadge(carrier, carrierName) {
  const name = carrierName || carrier || '快递'
  let color = CARRIER_COLORS[carrier]
  if (!color) {
    let h = 0
    for (const ch of String(carrier || name)) h = (h * 31 + ch.charCodeAt(0)) >>> 0
    color = FALLBACK_COLORS[h % FALLBACK_COLORS.length]
  }
  return { char: Array.from(name)[0], color, name }
}

/** A masked waybill (contains '*') must not be offered for copying: it would copy a useless string. */
export function canCopyWaybill(waybill) {
  return typeof waybill === 'string' && waybill.length > 0 && !waybill.includes('*')
}
