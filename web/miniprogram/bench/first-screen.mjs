// First screen of the H5 page: cold loads (a new browser context each: no cache, new
// connections) of /m/ in headless Chromium until the lookup form is drawn, from `coldtrack serve`
// and from a baseline URL serving the same files (nginx, started by bench/h5). Prints medians and
// p90s, the ratio to the baseline and the 1 s target.
//
// Usage: node bench/first-screen.mjs <coldtrack base URL> <baseline base URL> [loads]
import { launchBrowser } from '../tests/e2e/server.mjs'

const [coldtrack, baseline, loadsArg] = process.argv.slice(2)
const loads = Number(loadsArg || 20)
if (!coldtrack || !baseline) {
  console.error('usage: first-screen.mjs <coldtrack url> <baseline url> [loads]')
  process.exit(2)
}

async function once(browser, base) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  const page = await context.newPage()
  let bytes = 0
  const sizes = []
  page.on('requestfinished', (req) => sizes.push(req.sizes().then((s) => { bytes += s.responseBodySize })))
  await page.goto(`${base}/m/`, { waitUntil: 'commit' })
  await page.getByText('查询订单物流').waitFor()
  // Times from the page's own clock: navigation start to first contentful paint and to the
  // moment the form was found drawn.
  const t = await page.evaluate(() => {
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]
    const nav = performance.getEntriesByType('navigation')[0]
    return { form: performance.now(), fcp: fcp ? fcp.startTime : NaN, dcl: nav.domContentLoadedEventEnd }
  })
  await Promise.all(sizes)
  await context.close()
  return { ...t, bytes }
}

function stats(values) {
  const v = [...values].sort((a, b) => a - b)
  const at = (q) => v[Math.min(v.length - 1, Math.floor(q * v.length))]
  return { median: at(0.5), p90: at(0.9) }
}

const browser = await launchBrowser()
try {
  // One warm-up each (the browser's own start-up), then alternate so drift hits both alike.
  await once(browser, coldtrack)
  await once(browser, baseline)
  const runs = { coldtrack: [], baseline: [] }
  for (let i = 0; i < loads; i++) {
    runs.coldtrack.push(await once(browser, coldtrack))
    runs.baseline.push(await once(browser, baseline))
  }
  const row = (name, rs) => {
    const form = stats(rs.map((r) => r.form))
    const fcp = stats(rs.map((r) => r.fcp))
    return { name, form, fcp, bytes: rs[0].bytes }
  }
  const ct = row('coldtrack /m/', runs.coldtrack)
  const base = row('nginx (same files)', runs.baseline)
  const f = (x) => x.toFixed(0).padStart(6)
  console.log(`first screen of the H5 page, ${loads} cold loads each (ms; lower is better)`)
  console.log('server               | form drawn p50 |   p90 | first paint p50 |   p90 | body bytes (compressed)')
  for (const r of [ct, base])
    console.log(`${r.name.padEnd(20)} | ${f(r.form.median)}         | ${f(r.form.p90)} | ${f(r.fcp.median)}          | ${f(r.fcp.p90)} | ${r.bytes}`)
  const ratio = base.form.median / ct.form.median
  console.log(`coldtrack vs nginx (form drawn, p50): ${ratio.toFixed(2)} of nginx's speed`)
  const ok = ct.form.p90 < 1000
  console.log(`target: first screen under 1 s on loopback: p90 ${ct.form.p90.toFixed(0)} ms ${ok ? 'MET' : 'NOT MET'}`)
} finally {
  await browser.close()
}
