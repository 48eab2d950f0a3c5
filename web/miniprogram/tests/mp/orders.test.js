// 我的订单 in the compiled mini-program.
const { setup, openPage, settle, byClass, text, tap } = require('./harness')
const page1 = require('../fixtures/orders_page1.json')

const env = setup()

beforeEach(() => {
  env.reset()
  env.on('/api/auth/wechat', () => ({
    statusCode: 200,
    data: { token: 'b'.repeat(64), openid: 'oX', expires_at: '2099-01-01T00:00:00+08:00' },
  }))
  env.on('/api/me/orders', (req) =>
    req.query.cursor
      ? { statusCode: 200, data: { items: [{ ...page1.items[0], order_no: 'PAGE2ORDER' }], next_cursor: null } }
      : { statusCode: 200, data: page1 },
  )
})

function lastList() {
  const list = env.requests('/api/me/orders')
  return list[list.length - 1]
}

async function openOrders() {
  const page = await openPage('pages/orders/index', {})
  await settle(120)
  return page
}

test('first page: all statuses, cards with item, count, amount and status', async () => {
  const page = await openOrders()

  expect(env.requests('/api/me/orders')).toHaveLength(1)
  expect(lastList().query).toEqual({ limit: '20' })
  expect(lastList().header.Authorization).toBe(`Bearer ${'b'.repeat(64)}`)
  const cards = byClass(page.dom, 'order')
  expect(cards).toHaveLength(3)
  const first = text(cards[0])
  expect(first).toContain('LIVE20261126PAY')
  expect(first).toContain('运输中')
  expect(first).toContain('三鲜水饺 1kg')
  expect(first).toContain('共2件')
  expect(first).toContain('¥79.80')
  expect(first).toContain('11月26日 13:55')
})

test.each([
  [1, '待付款', 'CREATED'],
  [2, '待发货', 'PAID'],
  [3, '运输中', 'SHIPPED,IN_TRANSIT'],
  [4, '已签收', 'DELIVERED,COMPLETED'],
  [5, '异常', 'EXCEPTION,REFUNDING'],
])('tapping tab %i (%s) asks for status=%s', async (index, label, statuses) => {
  const page = await openOrders()
  const tabs = page.querySelectorAll('.tab')
  expect(tabs).toHaveLength(6)
  expect(text(byClass(page.dom, 'tab')[index])).toBe(label)

  await tap(page, '.tab', index)
  await settle(80)

  const req = lastList()
  expect(req.query.status).toBe(statuses)
  expect(req.query.cursor).toBeUndefined()
  expect(byClass(page.dom, 'tab')[index].getAttribute('class')).toMatch(/active/)
})

test('reaching the bottom loads the next page with the cursor and the same filter', async () => {
  const page = await openOrders()
  await tap(page, '.tab', 3)
  await settle(80)

  page.instance.onReachBottom()
  await settle(120)

  const req = lastList()
  expect(req.query.cursor).toBe(page1.next_cursor)
  expect(req.query.status).toBe('SHIPPED,IN_TRANSIT')
  const cards = byClass(page.dom, 'order')
  expect(cards).toHaveLength(4)
  expect(text(cards[3])).toContain('PAGE2ORDER')
  expect(text(page.dom)).toContain('没有更多订单了')

  // no cursor left: no further request
  const count = env.requests('/api/me/orders').length
  page.instance.onReachBottom()
  await settle(50)
  expect(env.requests('/api/me/orders')).toHaveLength(count)
})

test('network failure shows the Chinese message with 重试', async () => {
  env.on('/api/me/orders', () => ({ fail: { errMsg: 'request:fail timeout' } }))
  const page = await openOrders()
  expect(text(page.dom)).toContain('网络超时，请检查网络后重试')
  const [retry] = byClass(page.dom, 'state-btn')
  expect(text(retry)).toBe('重试')

  env.on('/api/me/orders', () => ({ statusCode: 200, data: page1 }))
  await tap(page, retry)
  await settle(120)
  expect(byClass(page.dom, 'order')).toHaveLength(3)
})

test('an empty filtered list says so', async () => {
  env.on('/api/me/orders', () => ({ statusCode: 200, data: { items: [], next_cursor: null } }))
  const page = await openOrders()
  await tap(page, '.tab', 1)
  await settle(80)
  expect(text(page.dom)).toContain('暂无待付款订单')
})
