// The carrier table, read once per session for filters and names.
import { api } from '../api/index.js'

let cache = null
export async function loadCarriers({ force = false } = {}) {
  if (!force && cache) return cache
  const res = await api.carriers()
  cache = res.items || []
  return cache
}
export function forgetCarriers() {
  cache = null
}
