// End to end: the real `coldtrack serve --demo` with its simulator, the built H5 page under /m/
// in headless Chromium. A customer looks up a demo order by number and the last four digits of
// the phone and sees its tracking timeline, matching what the API says. Screenshots go to
// test-output/e2e/ (or $COLDTRACK_TEST_OUTPUT).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoServer, launchBrowser, webRoot } from './server.mjs'

const shots = process.env.COLDTRACK_TEST_OUTPUT
  ? join(process.env.COLDTRACK_TEST_OUTPUT, 'e2e')
  : join(webRoot, 'test-output/e2e')
let server
let browser

before(async () => {
  mkdirSync(shots, { recursive: true })
  server = await startDemoServer()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

async function newPage() {
  // A phone-sized page, as customers open it.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: 'zh-CN' })
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  return { page, errors, context }
}

async function lookUp(page, orderNo, last4, shot) {
  await page.goto(`${server.url}/m/`)
  await page.getByText('查询订单物流').waitFor()
  // uni-app draws placeholders as text beside a bare <input>: find the fields by their labels.
  await page.locator('.field', { hasText: '订单号' }).first().locator('input').fill(orderNo)
  await page.locator('.field', { hasText: '手机号后四位' }).locator('input').fill(last4)
  if (shot) await page.screenshot({ path: join(shots, shot) })
  await page.locator('.submit').click()
}

test('a demo order looked up by number and phone digits shows its tracking timeline', async () => {
  const { orderNo, last4 } = server.example
  const api = await fetch(`${server.url}/api/track?order_no=${orderNo}&phone_last4=${last4}`)
  assert.equal(api.status, 200)
  const tracked = await api.json()
  const traces = tracked.tracking[0].traces
  assert.ok(traces.length > 0, 'the demo order has carrier traces')

  const { page, errors, context } = await newPage()
  await lookUp(page, orderNo, last4, '01-lookup.png')
  // The timeline: newest trace first, as the carrier reported it.
  const first = page.locator('.timeline .trace .desc').first()
  await first.waitFor({ timeout: 15000 })
  assert.equal((await first.textContent()).trim(), traces[0].description)
  const shownCount = await page.locator('.timeline .trace').count()
  assert.ok(shownCount >= 1)
  // Carrier, masked waybill and the status label are on the page.
  const body = await page.locator('body').innerText()
  assert.ok(body.includes(tracked.tracking[0].carrier_name), 'carrier name shown')
  assert.ok(body.includes(tracked.tracking[0].waybill_no), 'masked waybill shown')
  assert.ok(body.includes(tracked.tracking[0].status_label), 'status shown')
  assert.ok(!body.includes(tracked.shipments[0].waybill_no) || tracked.shipments[0].waybill_no.includes('*'),
    'the full waybill is not on the public page')
  await page.screenshot({ path: join(shots, '02-tracking.png'), fullPage: true })
  assert.deepEqual(errors, [], 'no script errors')
  await context.close()
})

test('wrong phone digits get a clear Chinese message, not an order', async () => {
  const { orderNo, last4 } = server.example
  const wrong = last4 === '0000' ? '1111' : '0000'
  const { page, context } = await newPage()
  await lookUp(page, orderNo, wrong)
  await page.getByText('未找到订单').waitFor({ timeout: 10000 })
  assert.equal(await page.locator('.timeline').count(), 0)
  await page.screenshot({ path: join(shots, '03-not-found.png') })
  await context.close()
})

test('bad input is refused on the page before any request', async () => {
  const { page, context } = await newPage()
  let tracked = 0
  page.on('request', (r) => { if (r.url().includes('/api/track')) tracked++ })
  await lookUp(page, 'DEMO 1', '12')
  await page.locator('[role=alert]').waitFor({ timeout: 5000 })
  assert.equal(tracked, 0)
  await context.close()
})
