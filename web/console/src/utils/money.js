// Money is integer fen in the API; staff read yuan.
export function fenToYuan(fen) {
  if (fen === null || fen === undefined || Number.isNaN(Number(fen))) return ''
  const n = Math.round(Number(fen))
  const sign = n < 0 ? '-' : ''
  const abs = Math.abs(n)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

export function formatMoney(fen) {
  const y = fenToYuan(fen)
  return y === '' ? '—' : `¥${y}`
}
