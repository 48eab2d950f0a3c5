// Pasted order numbers: split on new lines, commas (also Chinese ones), semicolons and
// spaces; checked against the API's order number alphabet; duplicates dropped.
export const MAX_BATCH = 200
export const ORDER_NO_RE = /^[A-Za-z0-9_-]{1,64}$/

export function parseOrderNos(text, { max = MAX_BATCH } = {}) {
  const tokens = String(text || '')
    .split(/[\s,，;；、|]+/)
    .map((t) => t.trim())
    .filter(Boolean)
  const seen = new Set()
  const valid = []
  const invalid = []
  const duplicates = []
  for (const t of tokens) {
    if (!ORDER_NO_RE.test(t)) {
      if (!invalid.includes(t)) invalid.push(t)
      continue
    }
    if (seen.has(t)) {
      if (!duplicates.includes(t)) duplicates.push(t)
      continue
    }
    seen.add(t)
    valid.push(t)
  }
  return { total: tokens.length, valid, invalid, duplicates, tooMany: valid.length > max, max }
}
