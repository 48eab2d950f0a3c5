// 查询 (public lookup) in the compiled mini-program, and its hand-off to 物流跟踪.
const { setup, openPage, settle, byClass, text, tap } = require('./harness')
const publicView = require('../fixtures/track_public.json')

const env = setup()

beforeEach(() => {
  env.reset()
  env.on('/api/track', (req) =>
    req.query.phone_last4 === '0148'
      ? { statusCode: 200, data: publicView }
      : req.query.phone_last4 === '9999'
        ? { statusCode: 429, header: { 'Retry-After': '20' }, data: { error: { code: 'rate_limited' } } }
        : { statusCode: 404, data: { error: { code: 'not_found' } } },
  )
})

async function fill(page, orderNo, last4) {
  const inputs = page.querySelectorAll('.input')
  inputs[0].dispatchEvent('input', { detail: { value: orderNo } })
  inputs[1].dispatchEvent('input', { detail: { value: last4 } })
  await settle()
}

test.each([
  ['', '0148', '请输入订单号'],
  ['订单 1', '0148', '订单号只能包含字母、数字、下划线或短横线'],
  ['DEMO2026112600006', '14', '请输入手机号后四位数字'],
])('validates %s / %s before asking the server', async (no, last4, message) => {
  const page = await openPage('pages/lookup/index', {})
  await fill(page, no, last4)
  await tap(page, '.submit')
  expect(text(byClass(page.dom, 'error')[0])).toBe(message)
  expect(env.requests('/api/track')).toHaveLength(0)
})

test('404 and 429 get their own Chinese messages', async () => {
  const page = await openPage('pages/lookup/index', {})
  await fill(page, 'DEMO2026112600006', '0000')
  await tap(page, '.submit')
  await settle(60)
  expect(text(byClass(page.dom, 'error')[0])).toBe('未找到订单，请核对订单号和手机号后四位')

  await fill(page, 'DEMO2026112600006', '9999')
  await tap(page, '.submit')
  await settle(60)
  expect(text(byClass(page.dom, 'error')[0])).toBe('查询太频繁，请稍后再试')
  expect(env.wx.navigateTo).not.toHaveBeenCalled()
})

test('a found order opens the tracking page, which does not ask the server again', async () => {
  const page = await openPage('pages/lookup/index', {})
  await fill(page, 'DEMO2026112600006', '0148')
  await tap(page, '.submit')
  await settle(60)

  expect(env.requests('/api/track')).toHaveLength(1)
  expect(env.wx.navigateTo).toHaveBeenCalledTimes(1)
  const url = env.wx.navigateTo.mock.calls[0][0].url
  expect(url).toBe('/pages/tracking/index?order_no=DEMO2026112600006&phone_last4=0148')

  const tracking = await openPage('pages/tracking/index', { order_no: 'DEMO2026112600006', phone_last4: '0148' })
  await settle(100)
  expect(text(tracking.dom)).toContain('快件已发往杭州市转运中心')
  expect(env.requests('/api/track')).toHaveLength(1)
  expect(env.wx.login).not.toHaveBeenCalled()
})
