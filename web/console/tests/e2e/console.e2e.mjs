// End to end: the real `coldtrack serve --demo` serving the built console under /console/,
// driven in headless Debian Chromium. An operator finds a new order by phone, opens it, sees
// the logger-carrying parcels on the 冷链看板 and acknowledges an anomaly with a note; an admin
// sees that acknowledgement in the audit log (and reveals an order's personal data); a viewer
// sees no acknowledge button and the API refuses the viewer's direct attempt. Screenshots go
// to test-output/e2e/ (or $COLDTRACK_TEST_OUTPUT/console).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoServer, launchBrowser, apiLogin, consoleRoot } from './server.mjs'

const shots = process.env.COLDTRACK_TEST_OUTPUT
  ? join(process.env.COLDTRACK_TEST_OUTPUT, 'console')
  : join(consoleRoot, 'test-output/e2e')
const PHONE = '13912345678'
const ORDER_NO = `E2E${Date.now()}`
const NOTE = `已联系承运商核实（端到端测试 ${ORDER_NO}）`
let server
let browser
let acked = null // {id, order_no}

before(async () => {
  mkdirSync(shots, { recursive: true })
  // Every staff member logs in from this one address here: lift the per-address login limit.
  server = await startDemoServer({ extraEnv: { COLDTRACK_STAFF_LOGIN_RATE_PER_MINUTE: '1000' } })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

async function newPage() {
  // A laptop screen, as shop staff use it.
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' })
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  return { page, errors, context }
}

async function logIn(page, role) {
  const { username, password } = server.accounts[role]
  await page.goto(`${server.url}/console/login`)
  await page.locator('[data-test=username]').fill(username)
  await page.locator('[data-test=password]').fill(password)
  await page.locator('[data-test=login-submit]').click()
  await page.waitForURL(/\/console\/overview/)
  await page.locator('[data-test=current-user]', { hasText: username }).waitFor()
}

// Screenshots wait for Element Plus' dialog and message animations to finish.
async function shot(page, name) {
  await page.waitForTimeout(400)
  await page.screenshot({ path: join(shots, name) })
}

test('the server serves the built console under /console/ with a fallback for app paths', async () => {
  for (const path of ['/console/', '/console/anomalies', '/console/orders/ANY123']) {
    const res = await fetch(`${server.url}${path}`)
    assert.equal(res.status, 200, `${path} is served`)
    const html = await res.text()
    assert.match(html, /ColdTrack 商家控制台/, `${path} is the console's index.html`)
  }
})

test('an operator finds a new order by phone and opens it', async () => {
  const token = await apiLogin(server.url, server.accounts.operator)
  const created = await fetch(`${server.url}/api/orders`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      order_no: ORDER_NO,
      customer: { name: '张三', phone: PHONE },
      address: { province: '上海市', city: '上海市', district: '浦东新区', detail: '演示路1号' },
      items: [{ sku: 'DJ-SX-1KG', name: '三鲜水饺 1kg', category: 'frozen', quantity: 2, unit_price_fen: 3990 }],
      shipping_fen: 1200,
      amount_fen: 9180,
    }),
  })
  assert.equal(created.status, 201, await created.clone().text())

  const { page, errors, context } = await newPage()
  await logIn(page, 'operator')
  await shot(page, '01-operator-overview.png')
  await page.locator('[data-test=menu-orders]').click()
  await page.waitForURL(/\/console\/orders/)
  await page.locator('[data-test=f-phone]').fill(PHONE)
  await page.locator('[data-test=f-search]').click()
  const link = page.locator('[data-test=order-link]', { hasText: ORDER_NO })
  await link.waitFor({ timeout: 15000 })
  assert.equal(await page.locator('[data-test=order-link]').count(), 1, 'only the new order has that phone')
  // Personal data stays masked for an operator.
  const table = await page.locator('[data-test=orders-table]').innerText()
  assert.ok(table.includes('139****5678'), 'masked phone shown')
  assert.ok(!table.includes(PHONE), 'full phone not shown')
  await shot(page, '02-orders-by-phone.png')
  // 最早优先 asks the API for the other direction (not a reversed page) and keeps the filter.
  const sorted = page.waitForRequest((r) => r.url().includes('/api/orders?') && r.url().includes('sort=oldest'))
  await page.locator('[data-test=sort]').getByText('最早优先').click()
  const req = await sorted
  assert.ok(req.url().includes(`phone=${PHONE}`), 'the phone filter stays with the sort')
  await page.waitForURL(/sort=oldest/)
  await link.waitFor({ timeout: 15000 })

  // CSV export of the current filter: UTF-8 with a BOM, the order in it.
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 15000 }),
    page.locator('[data-test=export]').click(),
  ])
  assert.match(download.suggestedFilename(), /^订单导出_\d{8}_\d{6}\.csv$/)
  const csv = readFileSync(await download.path())
  assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM')
  const lines = csv.toString('utf8').slice(1).trim().split('\r\n')
  assert.equal(lines.length, 2, 'header and one order')
  assert.match(lines[0], /^订单号,状态,收件人,手机号/)
  assert.ok(lines[1].startsWith(`${ORDER_NO},已下单,张*,139****5678`), lines[1])
  await page.locator('[data-test=export-done]').waitFor()
  await shot(page, '02b-export-done.png')
  await page.locator('.el-dialog__footer').getByRole('button', { name: '关闭' }).click()

  await link.click()
  await page.waitForURL(new RegExp(`/console/orders/${ORDER_NO}$`))
  await page.locator('[data-test=detail-order-no]', { hasText: ORDER_NO }).waitFor()
  const body = await page.locator('body').innerText()
  assert.ok(body.includes('已下单'), 'status shown')
  assert.ok(body.includes('状态时间线'))
  assert.ok(body.includes('¥91.80'), 'amount shown in yuan')
  assert.equal(await page.locator('[data-test=change-status]').count(), 1, 'operators may change the status')
  assert.equal(await page.locator('[data-test=reveal]').count(), 0, 'operators may not reveal')
  await shot(page, '03-order-detail.png')

  // 批量查看: found, unknown and malformed numbers, each said so.
  await page.locator('[data-test=menu-batch]').click()
  await page.locator('[data-test=batch-input]').fill(`${ORDER_NO}\nNOPE-000001, ${ORDER_NO}\nbad!no`)
  await page.getByText('重复已去除 1').waitFor()
  await page.locator('[data-test=batch-submit]').click()
  await page.locator('[data-test=batch-table] tbody tr', { hasText: ORDER_NO }).waitFor({ timeout: 15000 })
  const failures = await page.locator('[data-test=batch-failures]').innerText()
  assert.ok(failures.includes('NOPE-000001') && failures.includes('未找到该订单'))
  assert.ok(failures.includes('bad!no') && failures.includes('格式无效'))
  await page.locator('[data-test=batch-table] tbody tr', { hasText: '无' }).waitFor({ timeout: 15000 })
  await shot(page, '03b-batch.png')
  assert.deepEqual(errors, [], 'no script errors')
  await context.close()
})

test('an operator sees the logger-carrying parcels on the 冷链看板 with their thaw risk', async () => {
  // The demo's loggers start reporting on three parcels shortly after start: wait for the board.
  const token = await apiLogin(server.url, server.accounts.operator)
  let board = []
  for (let i = 0; i < 60 && !board.length; i++) {
    if (i) await new Promise((r) => setTimeout(r, 500))
    const res = await fetch(`${server.url}/api/coldchain/parcels`, { headers: { Authorization: `Bearer ${token}` } })
    assert.equal(res.status, 200)
    board = (await res.json()).items
  }
  assert.ok(board.length > 0, 'the demo has parcels with logger readings')

  const { page, errors, context } = await newPage()
  await logIn(page, 'operator')
  await page.locator('[data-test=menu-cold-chain]').click()
  await page.waitForURL(/\/console\/cold-chain/)
  const rows = page.locator('[data-test=coldchain-table] tbody tr', { has: page.locator('[data-test=thaw-risk]') })
  await rows.first().waitFor({ timeout: 15000 })
  assert.ok((await rows.count()) >= 1, 'at least one parcel listed')
  const risks = (await page.locator('[data-test=coldchain-table] [data-test=thaw-risk]').allInnerTexts()).map((t) => t.trim())
  for (const r of risks) assert.match(r, /^[无低中高]$/)
  const rank = (r) => '无低中高'.indexOf(r)
  assert.deepEqual(risks, [...risks].sort((a, b) => rank(b) - rank(a)), 'worst thaw risk first')
  const first = (await rows.first().locator('[data-test=coldchain-order]').innerText()).trim()
  assert.ok(board.some((p) => p.order_no === first), `${first} is a logger-carrying parcel`)
  assert.ok(!(await page.locator('body').innerText()).includes('只检查最新的一部分'), 'no sampling caveat')
  // The temperature chart opens under the row.
  await rows.first().locator('[data-test=coldchain-toggle]').click()
  await page.locator('[data-test=coldchain-chart] canvas').first().waitFor({ timeout: 15000 })
  await shot(page, '03c-cold-chain.png')
  assert.deepEqual(errors, [], 'no script errors')
  await context.close()
})

test('an operator acknowledges an anomaly with a note', async () => {
  const { page, errors, context } = await newPage()
  await logIn(page, 'operator')
  await page.locator('[data-test=menu-anomalies]').click()
  await page.waitForURL(/\/console\/anomalies/)
  // Stop the 30 s refresh so the rows stay put while we act.
  await page.locator('[data-test=auto-refresh]').click()
  const row = page.locator('[data-test=anomaly-table] tbody tr', { has: page.locator('[data-test=ack]') }).first()
  await row.waitFor({ timeout: 15000 })
  const orderNo = (await row.locator('a').first().innerText()).trim()
  assert.match(orderNo, /^[A-Za-z0-9_-]+$/)
  await shot(page, '04-anomalies-operator.png')

  await row.locator('[data-test=ack]').click()
  await page.locator('[data-test=anomaly-note]').fill(NOTE)
  await shot(page, '05-ack-dialog.png')
  assert.ok((await page.locator('.el-dialog').filter({ hasText: '确认异常' }).innerText()).includes(orderNo))
  await page.locator('[data-test=anomaly-submit]').click()
  await page.getByText('已确认，异常进入处理中').waitFor({ timeout: 10000 })

  const token = await apiLogin(server.url, server.accounts.operator)
  const res = await fetch(`${server.url}/api/anomalies?state=acknowledged&order_no=${encodeURIComponent(orderNo)}`, { headers: { Authorization: `Bearer ${token}` } })
  assert.equal(res.status, 200)
  const mine = (await res.json()).items.find((a) => a.acknowledged_by === 'staff:demo-operator')
  assert.ok(mine, 'the anomaly is acknowledged by staff:demo-operator')
  acked = { id: mine.id, order_no: orderNo }
  assert.deepEqual(errors, [], 'no script errors')
  await context.close()
})

test('an admin sees the acknowledgement in the audit log and can reveal an order', async () => {
  assert.ok(acked, 'an anomaly was acknowledged before')
  const { page, errors, context } = await newPage()
  await logIn(page, 'admin')
  await page.locator('[data-test=menu-audit]').click()
  await page.waitForURL(/\/console\/audit/)
  await page.locator('[data-test=audit-actor]').fill('staff:demo-operator')
  await page.locator('[data-test=audit-search]').click()
  const row = page.locator('[data-test=audit-table] tbody tr', { hasText: `anomaly:${acked.id}` })
  await row.waitFor({ timeout: 15000 })
  const text = await row.innerText()
  assert.ok(text.includes('staff:demo-operator'), 'by the operator')
  assert.ok(text.includes('确认异常'), 'as an acknowledgement')
  assert.ok(text.includes('anomaly.acknowledge'))
  await shot(page, '06-audit-ack.png')

  // Reveal: a warning first, then the full phone, and the reveal itself is audited.
  await page.goto(`${server.url}/console/orders/${ORDER_NO}`)
  await page.locator('[data-test=detail-order-no]', { hasText: ORDER_NO }).waitFor()
  await page.locator('[data-test=reveal]').click()
  await page.getByText('记入审计日志').first().waitFor()
  await page.getByRole('button', { name: '确认显示' }).click()
  await page.locator('[data-test=revealed]').waitFor({ timeout: 10000 })
  await page.locator('.el-message-box').waitFor({ state: 'hidden' })
  assert.ok((await page.locator('body').innerText()).includes(PHONE), 'full phone after reveal')
  await page.locator('[data-test=detail-audit] tbody tr', { hasText: 'order.reveal' }).or(page.locator('[data-test=detail-audit] tbody tr', { hasText: '查看完整个人信息' })).first().waitFor({ timeout: 10000 })
  await shot(page, '07-order-revealed.png')
  assert.deepEqual(errors, [], 'no script errors')
  await context.close()
})

test('a viewer sees no acknowledge button and the API refuses the viewer', async () => {
  const { page, errors, context } = await newPage()
  await logIn(page, 'viewer')
  assert.equal(await page.locator('[data-test=menu-audit]').count(), 0, 'no audit page for viewers')
  await page.locator('[data-test=menu-anomalies]').click()
  await page.waitForURL(/\/console\/anomalies/)
  await page.locator('[data-test=anomaly-table] tbody tr').first().waitFor({ timeout: 15000 })
  assert.ok((await page.locator('[data-test=anomaly-table] tbody tr').count()) > 0, 'viewers see the anomalies')
  assert.equal(await page.locator('[data-test=ack]').count(), 0, 'no acknowledge button')
  assert.equal(await page.locator('[data-test=resolve]').count(), 0, 'no resolve button')
  await shot(page, '08-anomalies-viewer.png')

  // The audit page by its address: refused in the console too.
  await page.goto(`${server.url}/console/audit`)
  await page.getByText('没有权限').first().waitFor()

  const token = await apiLogin(server.url, server.accounts.viewer)
  const list = await (await fetch(`${server.url}/api/anomalies?state=open&limit=1`, { headers: { Authorization: `Bearer ${token}` } })).json()
  const id = list.items[0].id
  const res = await fetch(`${server.url}/api/anomalies/${id}/ack`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ note: 'viewer tries' }),
  })
  assert.equal(res.status, 403)
  assert.equal((await res.json()).error.code, 'permission_denied')
  assert.deepEqual(errors, [], 'no script errors')
  await context.close()
})

test('an expired session goes back to the login page with a message', async () => {
  const { page, context } = await newPage()
  await logIn(page, 'viewer')
  await page.evaluate(() => {
    const s = JSON.parse(sessionStorage.getItem('coldtrack.console.session'))
    s.token = 'not-a-valid-token'
    sessionStorage.setItem('coldtrack.console.session', JSON.stringify(s))
  })
  await page.goto(`${server.url}/console/orders`)
  await page.waitForURL(/\/console\/login/, { timeout: 15000 })
  await page.locator('[data-test=login-notice]').waitFor()
  assert.match(await page.locator('[data-test=login-notice]').innerText(), /重新登录/)
  await shot(page, '09-session-expired.png')
  await context.close()
})
