// Hands a response from one page to the next one it opens, so the next page does not ask the
// backend again for what the previous page just loaded. One-shot and short-lived: a page
// opened later (or reloaded in H5) fetches fresh data.
const store = new Map()
const MAX_AGE_MS = 60 * 1000

export function handOff(key, data, now = Date.now()) {
  store.set(key, { data, at: now })
}

export function takeHandOff(key, now = Date.now(), maxAgeMs = MAX_AGE_MS) {
  const hit = store.get(key)
  if (!hit) return null
  store.delete(key)
  return now - hit.at <= maxAgeMs ? hit.data : null
}

export function peekHandOff(key, now = Date.now(), maxAgeMs = MAX_AGE_MS) {
  const hit = store.get(key)
  return hit && now - hit.at <= maxAgeMs ? hit.data : null
}
