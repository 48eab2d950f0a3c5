// Runs fn over items with at most `limit` calls in flight; results keep the input order.
// Each result is {ok, value} or {ok: false, error}, so one failure does not hide the others.
export async function mapLimit(items, limit, fn, { signal } = {}) {
  const results = new Array(items.length)
  let next = 0
  async function worker() {
    while (next < items.length) {
      if (signal && signal.aborted) return
      const i = next++
      try {
        results[i] = { ok: true, value: await fn(items[i], i) }
      } catch (error) {
        results[i] = { ok: false, error }
      }
    }
  }
  const workers = []
  for (let k = 0; k < Math.max(1, Math.min(limit, items.length)); k++) workers.push(worker())
  await Promise.all(workers)
  return results
}
