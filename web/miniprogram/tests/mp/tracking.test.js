// 物流跟踪 in the compiled mini-program: the customer's own order and the public lookup.
const { setup, openPage, settle, byClass, text, tap } = require('./harness')
const detail = require('../fixtures/order_detail.json')
const publicView = require('../fixtures/track_public.json')

const env = setup()
const NEWEST_FIRST = ['快件已发往杭州市转运中心', '快件已到达上海冷链分拨中心', '快递员已揽收']

beforeEach(() => {
  env.reset()
  env.on('/api/auth/wechat', () => ({
    statusCode: 200,
    data: { token: 'c'.repeat(64), openid: 'oX', expires_at: '2099-01-01T00:00:00+08:00' },
  }))
})

function descriptions(page) {
  return byClass(page.dom, 'desc').map(text)
}

test('renders the traces newest first', async () => {
  env.on('/api/me/orders/LIVE2026112604', () => ({ statusCode: 200, data: detail }))
  const page = await openPage('pages/tracking/index', { order_no: 'LIVE2026112604' })
  await settle(150)

  expect(env.requests('/api/me/orders/LIVE2026112604')).toHaveLength(1)
  expect(descriptions(page)).toEqual(NEWEST_FIRST)
  const latest = byClass(page.dom, 'trace')[0]
  expect(latest.getAttribute('class')).toMatch(/latest/)
  expect(text(latest)).toContain('11月26日 11:55')
})

test('traces that arrive out of order are still shown newest first', async () => {
  const t = detail.tracking[0]
  const shuffled = { ...detail, tracking: [{ ...t, traces: [t.traces[2], t.traces[0], t.traces[1]] }] }
  env.on('/api/me/orders/LIVE2026112604', () => ({ statusCode: 200, data: shuffled }))
  const page = await openPage('pages/tracking/index', { order_no: 'LIVE2026112604' })
  await settle(150)
  expect(descriptions(page)).toEqual(NEWEST_FIRST)
})

test('public lookup: no login, masked waybill not copyable, temperature chart with the -18 °C line', async () => {
  env.on('/api/track', () => ({ statusCode: 200, data: publicView }))
  const page = await openPage('pages/tracking/index', { order_no: 'DEMO2026112600006', phone_last4: '0148' })
  await settle(150)

  const [req] = env.requests('/api/track')
  expect(req.query).toEqual({ order_no: 'DEMO2026112600006', phone_last4: '0148' })
  expect(req.header.Authorization).toBeUndefined()
  expect(env.wx.login).not.toHaveBeenCalled()

  const all = text(page.dom)
  expect(all).toContain('京东')
  expect(all).toContain('JDV5*******6069')
  expect(byClass(page.dom, 'copy')).toHaveLength(0)
  expect(all).toContain('物流超过24小时未更新，我们已在跟进')
  expect(byClass(page.dom, 't-bar')).toHaveLength(publicView.tracking[0].cold_chain.series.length)
  expect(byClass(page.dom, 't-bar-warn')).toHaveLength(1)
  expect(byClass(page.dom, 'limit-label').map(text)).toEqual(['-18°C'])
  expect(all).toContain('解冻风险：无')
  expect(descriptions(page)).toEqual(NEWEST_FIRST)
})

test('a full waybill can be copied; no series → 暂无温度数据', async () => {
  const t = { ...publicView.tracking[0], waybill_no: 'JDV550608106069', cold_chain: null }
  env.on('/api/track', () => ({ statusCode: 200, data: { ...publicView, tracking: [t] } }))
  const page = await openPage('pages/tracking/index', { order_no: 'DEMO2026112600006', phone_last4: '0148' })
  await settle(150)

  expect(text(page.dom)).toContain('暂无温度数据')
  const [copy] = byClass(page.dom, 'copy')
  await tap(page, copy)
  expect(env.wx.setClipboardData).toHaveBeenCalledWith(expect.objectContaining({ data: 'JDV550608106069' }))
})

test('several shipments get tabs', async () => {
  const a = publicView.tracking[0]
  const b = {
    ...a,
    shipment_id: 8,
    carrier: 'SF',
    carrier_name: '顺丰',
    waybill_no: 'SF1*******0001',
    traces: [{ time: '2026-11-26T10:00:00+08:00', description: '顺丰已揽收', location: '上海市' }],
  }
  env.on('/api/track', () => ({ statusCode: 200, data: { ...publicView, tracking: [a, b] } }))
  const page = await openPage('pages/tracking/index', { order_no: 'DEMO2026112600006', phone_last4: '0148' })
  await settle(150)

  const tabs = page.querySelectorAll('.tab')
  expect(tabs).toHaveLength(2)
  expect(descriptions(page)).toEqual(NEWEST_FIRST)
  await tap(page, '.tab', 1)
  await settle(50)
  expect(descriptions(page)).toEqual(['顺丰已揽收'])
  expect(text(page.dom)).toContain('SF1*******0001')
})

test('lookup failure: 404 message', async () => {
  env.on('/api/track', () => ({ statusCode: 404, data: { error: { code: 'not_found' } } }))
  const page = await openPage('pages/tracking/index', { order_no: 'NOPE', phone_last4: '0000' })
  await settle(150)
  expect(text(page.dom)).toContain('未找到订单，请核对订单号和手机号后四位')
})
