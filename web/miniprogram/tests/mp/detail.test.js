// 订单详情 in the compiled mini-program.
const { setup, openPage, settle, byClass, text, tap } = require('./harness')
const detail = require('../fixtures/order_detail.json')

const env = setup()
const NO = 'LIVE2026112604'

function routes({ order = () => ({ statusCode: 200, data: detail }), templates = ['DEMO_ORDER_STATUS'] } = {}) {
  env.reset()
  env.on('/api/auth/wechat', () => ({
    statusCode: 200,
    data: { token: 'a'.repeat(64), openid: 'oX', expires_at: '2099-01-01T00:00:00+08:00' },
  }))
  env.on('/api/me/subscriptions', () => ({ statusCode: 200, data: { items: [], templates } }))
  env.on(`/api/me/orders/${NO}`, order)
}

async function openDetail() {
  const page = await openPage('pages/order/detail', { order_no: NO })
  await settle(150)
  return page
}

test('renders the lifecycle steps with the time under each reached step', async () => {
  routes()
  const page = await openDetail()

  const steps = byClass(page.dom, 'step')
  expect(steps).toHaveLength(5)
  const labels = steps.map((s) => text(byClass(s, 'label')[0]))
  expect(labels).toEqual(['已下单', '已付款', '已发货', '运输中', '已签收'])
  const times = steps.map((s) => byClass(s, 'time').map(text).filter(Boolean).join(' '))
  expect(times).toEqual(['11月26日 09:12', '11月26日 09:13', '11月26日 10:05', '11月26日 11:49', ''])
  const states = steps.map((s) => (s.getAttribute('class').match(/step-(done|current|todo)/) || [])[1])
  expect(states).toEqual(['done', 'done', 'done', 'current', 'todo'])
})

test('shows the notice, items, masked contact and the amount in yuan', async () => {
  routes()
  const page = await openDetail()
  const all = text(page.dom)
  expect(all).toContain('包裹可能延误')
  expect(all).toContain('快递在中转站滞留，预计晚到半天，我们已在跟进')
  expect(all).toContain('三鲜水饺 1kg')
  expect(all).toContain('×2')
  expect(all).toContain('实付款¥79.80')
  expect(all).toContain('170****9904')
  expect(all).toContain('浙江省 杭州市')
  expect(all).toContain('快件已发往杭州市转运中心')
})

test('loads the order and the subscriptions in parallel, logging in once', async () => {
  routes({ order: () => ({ statusCode: 200, data: detail, delay: 300 }) })
  const page = await openPage('pages/order/detail', { order_no: NO })
  await settle(60)
  // the order has not arrived yet, and the subscription request is already out
  expect(byClass(page.dom, 'sk-hero').length).toBe(1)
  const paths = env.requests().map((r) => r.path)
  expect(paths).toEqual(expect.arrayContaining([`/api/me/orders/${NO}`, '/api/me/subscriptions']))
  expect(env.wx.login).toHaveBeenCalledTimes(0) // token from the previous test is still valid
  await settle(350)
  expect(byClass(page.dom, 'step')).toHaveLength(5)
})

test('subscribe tap asks WeChat inside the tap, then posts the accepted template ids', async () => {
  routes()
  env.on('/api/me/subscriptions', (req) =>
    req.method === 'POST'
      ? { statusCode: 200, data: { items: [{ template_id: 'DEMO_ORDER_STATUS', remaining: 1, accepted_total: 1 }] } }
      : { statusCode: 200, data: { items: [], templates: ['DEMO_ORDER_STATUS'] } },
  )
  const page = await openDetail()
  const before = env.wx.request.mock.calls.length
  let requestsWhenAsked = -1
  env.wx.requestSubscribeMessage.mockImplementation((o) => {
    requestsWhenAsked = env.wx.request.mock.calls.length
    o.success({ errMsg: 'requestSubscribeMessage:ok', DEMO_ORDER_STATUS: 'accept' })
  })

  await tap(page, '.sub-btn')
  await settle(60)

  expect(env.wx.requestSubscribeMessage).toHaveBeenCalledTimes(1)
  expect(env.wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['DEMO_ORDER_STATUS'])
  expect(requestsWhenAsked).toBe(before) // nothing awaited before asking (WeChat needs the gesture)
  const posts = env.requests('/api/me/subscriptions').filter((r) => r.method === 'POST')
  expect(posts).toHaveLength(1)
  expect(posts[0].data).toEqual({ template_ids: ['DEMO_ORDER_STATUS'] })
  expect(text(page.dom)).toContain('还可接收 1 条提醒')
})

test('a refused authorization posts nothing', async () => {
  routes()
  const page = await openDetail()
  env.wx.requestSubscribeMessage.mockImplementation((o) =>
    o.success({ errMsg: 'requestSubscribeMessage:ok', DEMO_ORDER_STATUS: 'reject' }),
  )
  await tap(page, '.sub-btn')
  await settle(60)
  expect(env.wx.requestSubscribeMessage).toHaveBeenCalledTimes(1)
  expect(env.requests('/api/me/subscriptions').filter((r) => r.method === 'POST')).toHaveLength(0)
})

test('no templates from the shop → no subscribe button', async () => {
  routes({ templates: [] })
  const page = await openDetail()
  expect(page.querySelectorAll('.sub-btn')).toHaveLength(0)
  expect(byClass(page.dom, 'step')).toHaveLength(5)
})

test('a server error shows a Chinese message and 重试 loads again', async () => {
  let n = 0
  routes({
    order: () => (++n === 1 ? { statusCode: 500, data: { error: { code: 'internal', message: 'boom' } } } : { statusCode: 200, data: detail }),
  })
  const page = await openDetail()
  expect(text(page.dom)).toContain('服务暂时不可用，请稍后重试')
  expect(byClass(page.dom, 'step')).toHaveLength(0)

  const [retry] = byClass(page.dom, 'state-btn')
  expect(text(retry)).toBe('重试')
  await tap(page, retry)
  await settle(150)

  expect(n).toBe(2)
  expect(byClass(page.dom, 'step')).toHaveLength(5)
})
