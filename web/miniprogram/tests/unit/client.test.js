import { beforeEach, describe, expect, it } from 'vitest'
import { createClient, SESSION_KEY } from '../../src/api/client'
import { ApiError } from '../../src/api/errors'
import { buildOrdersQuery, toQuery, validateLookup } from '../../src/api/query'
import { parseTime } from '../../src/utils/time'
import { installUni, loginOk } from './uni-mock'

const NOW = parseTime('2026-11-26T12:00:00+08:00')
const ORDERS = { items: [{ order_no: 'A1' }], next_cursor: null }

let env
let client

beforeEach(() => {
  env = installUni()
  client = createClient({ baseURL: 'https://api.example.cn/', now: () => NOW })
})

function bearerOf(req) {
  return req.header && req.header.Authorization
}

describe('login and bearer token', () => {
  it('logs in with the wx.login code and sends the token as a bearer header', async () => {
    env.on('/api/auth/wechat', loginOk())
    env.on('/api/me/orders', () => ({ statusCode: 200, data: ORDERS }))

    const res = await client.myOrders({})

    expect(res).toEqual(ORDERS)
    expect(env.uni.login).toHaveBeenCalledTimes(1)
    const [login] = env.requests('https://api.example.cn/api/auth/wechat')
    expect(login.method).toBe('POST')
    expect(login.data).toEqual({ code: 'code-1' })
    expect(bearerOf(login)).toBeUndefined()
    const [list] = env.requests('https://api.example.cn/api/me/orders')
    expect(bearerOf(list)).toBe('Bearer tok1')
    expect(env.storage.get(SESSION_KEY)).toMatchObject({ token: 'tok1', expiresAt: parseTime('2026-12-03T13:56:01.204+08:00') })
  })

  it('reuses a stored token that is valid for more than a day', async () => {
    env.storage.set(SESSION_KEY, { token: 'stored', expiresAt: NOW + 3 * 86400e3 })
    env.on('/api/me/orders', () => ({ statusCode: 200, data: ORDERS }))

    await client.myOrders({})

    expect(env.uni.login).not.toHaveBeenCalled()
    expect(bearerOf(env.requests()[0])).toBe('Bearer stored')
  })

  it('logs in again when the stored token expires within a day', async () => {
    env.storage.set(SESSION_KEY, { token: 'old', expiresAt: NOW + 12 * 3600e3 })
    env.on('/api/auth/wechat', loginOk('fresh'))
    env.on('/api/me/orders', () => ({ statusCode: 200, data: ORDERS }))

    await client.myOrders({})

    expect(env.uni.login).toHaveBeenCalledTimes(1)
    expect(bearerOf(env.requests('https://api.example.cn/api/me/orders')[0])).toBe('Bearer fresh1')
  })

  it('keeps using a nearly expired token when the renewal fails', async () => {
    env.storage.set(SESSION_KEY, { token: 'old', expiresAt: NOW + 12 * 3600e3 })
    env.on('/api/auth/wechat', () => ({ statusCode: 503, data: { error: { code: 'unavailable' } } }))
    env.on('/api/me/orders', () => ({ statusCode: 200, data: ORDERS }))

    await expect(client.myOrders({})).resolves.toEqual(ORDERS)
    expect(bearerOf(env.requests('https://api.example.cn/api/me/orders')[0])).toBe('Bearer old')
  })

  it('concurrent requests share one login', async () => {
    env.on('/api/auth/wechat', loginOk())
    env.on('/api/me/orders', () => ({ statusCode: 200, data: ORDERS }))
    env.on('/api/me/subscriptions', () => ({ statusCode: 200, data: { items: [], templates: [] } }))
    env.on('/api/me/orders/A1', () => ({ statusCode: 200, data: { order_no: 'A1' } }))

    await Promise.all([client.myOrders({}), client.subscriptions(), client.myOrder('A1')])

    expect(env.uni.login).toHaveBeenCalledTimes(1)
    expect(env.requests('https://api.example.cn/api/auth/wechat')).toHaveLength(1)
  })

  it('on 401 logs in once more and retries the call once', async () => {
    env.storage.set(SESSION_KEY, { token: 'revoked', expiresAt: NOW + 5 * 86400e3 })
    env.on('/api/auth/wechat', loginOk('new'))
    env.on('/api/me/orders', (req) =>
      bearerOf(req) === 'Bearer revoked'
        ? { statusCode: 401, data: { error: { code: 'unauthenticated', message: 'log in' } } }
        : { statusCode: 200, data: ORDERS },
    )

    await expect(client.myOrders({})).resolves.toEqual(ORDERS)

    const calls = env.requests('https://api.example.cn/api/me/orders')
    expect(calls.map(bearerOf)).toEqual(['Bearer revoked', 'Bearer new1'])
    expect(env.uni.login).toHaveBeenCalledTimes(1)
  })

  it('two requests failing with 401 at once trigger a single login and both retry', async () => {
    env.storage.set(SESSION_KEY, { token: 'revoked', expiresAt: NOW + 5 * 86400e3 })
    // the second 401 arrives while the login started by the first is still running
    env.on('/api/auth/wechat', (req) => ({ ...loginOk('new')(req), delay: 40 }))
    const unauth = { statusCode: 401, data: { error: { code: 'unauthenticated' } } }
    env.on('/api/me/orders', (req) => (bearerOf(req) === 'Bearer revoked' ? unauth : { statusCode: 200, data: ORDERS }))
    env.on('/api/me/subscriptions', (req) =>
      bearerOf(req) === 'Bearer revoked' ? { ...unauth, delay: 10 } : { statusCode: 200, data: { items: [] } },
    )

    const [a, b] = await Promise.all([client.myOrders({}), client.subscriptions()])

    expect(a).toEqual(ORDERS)
    expect(b).toEqual({ items: [] })
    expect(env.uni.login).toHaveBeenCalledTimes(1)
    expect(env.requests('https://api.example.cn/api/me/subscriptions').map(bearerOf)).toEqual(['Bearer revoked', 'Bearer new1'])
  })

  it('a 401 that arrives after another request already logged in reuses the new token', async () => {
    env.storage.set(SESSION_KEY, { token: 'revoked', expiresAt: NOW + 5 * 86400e3 })
    env.on('/api/auth/wechat', loginOk('new'))
    const unauth = { statusCode: 401, data: { error: { code: 'unauthenticated' } } }
    env.on('/api/me/orders', (req) => (bearerOf(req) === 'Bearer revoked' ? unauth : { statusCode: 200, data: ORDERS }))
    env.on('/api/me/subscriptions', (req) =>
      bearerOf(req) === 'Bearer revoked' ? { ...unauth, delay: 50 } : { statusCode: 200, data: { items: [] } },
    )

    await Promise.all([client.myOrders({}), client.subscriptions()])

    expect(env.uni.login).toHaveBeenCalledTimes(1)
    expect(env.requests('https://api.example.cn/api/me/subscriptions').map(bearerOf)).toEqual(['Bearer revoked', 'Bearer new1'])
  })

  it('does not loop when the retry is refused again', async () => {
    env.on('/api/auth/wechat', loginOk())
    env.on('/api/me/orders', () => ({ statusCode: 401, data: { error: { code: 'unauthenticated' } } }))

    const err = await client.myOrders({}).catch((e) => e)

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(401)
    expect(err.message).toBe('登录已失效，请重新进入小程序')
    expect(env.requests('https://api.example.cn/api/me/orders')).toHaveLength(2)
    expect(env.uni.login).toHaveBeenCalledTimes(2) // the first login, then exactly one re-login
  })

  it('asks wx.login for a fresh code once when the backend rejects the code (400)', async () => {
    let n = 0
    env.on('/api/auth/wechat', () =>
      ++n === 1
        ? { statusCode: 400, data: { error: { code: 'invalid_argument', field: 'code' } } }
        : { statusCode: 200, data: { token: 't', expires_at: '2026-12-03T13:56:01+08:00' } },
    )
    env.on('/api/me/orders', () => ({ statusCode: 200, data: ORDERS }))

    await client.myOrders({})

    expect(env.uni.login).toHaveBeenCalledTimes(2)
    expect(env.requests('https://api.example.cn/api/auth/wechat').map((r) => r.data.code)).toEqual(['code-1', 'code-2'])
  })

  it('reports a busy WeChat login (503) in Chinese', async () => {
    env.on('/api/auth/wechat', () => ({ statusCode: 503, data: { error: { code: 'unavailable' } } }))
    const err = await client.myOrders({}).catch((e) => e)
    expect(err.message).toBe('微信登录繁忙，请稍后重试')
    expect(env.requests('https://api.example.cn/api/me/orders')).toHaveLength(0)
  })

  it('reports a failing wx.login', async () => {
    env.uni.login.mockImplementation((o) => o.fail({ errMsg: 'login:fail' }))
    const err = await client.myOrders({}).catch((e) => e)
    expect(err.message).toBe('微信登录失败，请稍后重试')
  })
})

describe('error messages', () => {
  beforeEach(() => {
    env.storage.set(SESSION_KEY, { token: 'tok', expiresAt: NOW + 5 * 86400e3 })
  })

  it.each([
    [404, 'not_found', '未找到该订单'],
    [429, 'rate_limited', '操作太频繁，请稍后再试'],
    [500, 'internal', '服务暂时不可用，请稍后重试'],
    [503, 'unavailable', '服务繁忙，请稍后重试'],
    [400, 'invalid_argument', '请求信息有误，请检查后重试'],
  ])('HTTP %i → Chinese message', async (status, code, message) => {
    env.on('/api/me/orders/X1', () => ({
      statusCode: status,
      data: { error: { code, message: 'english detail' }, request_id: 'rq1' },
    }))
    const err = await client.myOrder('X1').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(status)
    expect(err.code).toBe(code)
    expect(err.message).toBe(message)
    expect(err.detail).toBe('english detail')
    expect(err.requestId).toBe('rq1')
  })

  it('network failure and timeout', async () => {
    env.on('/api/me/orders/N1', () => ({ fail: { errMsg: 'request:fail net::ERR_INTERNET_DISCONNECTED' } }))
    env.on('/api/me/orders/N2', () => ({ fail: { errMsg: 'request:fail timeout' } }))
    const a = await client.myOrder('N1').catch((e) => e)
    const b = await client.myOrder('N2').catch((e) => e)
    expect(a.status).toBe(0)
    expect(a.message).toBe('网络连接失败，请检查网络后重试')
    expect(b.code).toBe('timeout')
    expect(b.message).toBe('网络超时，请检查网络后重试')
  })

  it('escapes the order number in the path', async () => {
    env.on(() => true, () => ({ statusCode: 200, data: {} }))
    await client.myOrder('A B/1')
    expect(env.requests()[0].url).toBe('https://api.example.cn/api/me/orders/A%20B%2F1')
  })
})

describe('public lookup', () => {
  it('calls /api/track without login or token', async () => {
    env.on('/api/track', () => ({ statusCode: 200, data: { order_no: 'DEMO1' } }))
    const res = await client.track('DEMO1', '0148')
    expect(res).toEqual({ order_no: 'DEMO1' })
    expect(env.uni.login).not.toHaveBeenCalled()
    const [req] = env.requests()
    expect(req.url).toBe('https://api.example.cn/api/track?order_no=DEMO1&phone_last4=0148')
    expect(bearerOf(req)).toBeUndefined()
  })

  it('404 and 429 get the lookup messages', async () => {
    env.on('/api/track', (req) =>
      req.query.includes('0000')
        ? { statusCode: 404, data: { error: { code: 'not_found' } } }
        : { statusCode: 429, header: { 'Retry-After': '30' }, data: { error: { code: 'rate_limited' } } },
    )
    const nf = await client.track('DEMO1', '0000').catch((e) => e)
    const rl = await client.track('DEMO1', '1111').catch((e) => e)
    expect(nf.message).toBe('未找到订单，请核对订单号和手机号后四位')
    expect(rl.message).toBe('查询太频繁，请稍后再试')
    expect(rl.retryAfter).toBe(30)
  })
})

describe('list query', () => {
  it('builds the filters of GET /api/me/orders', () => {
    expect(buildOrdersQuery({})).toBe('limit=20')
    expect(buildOrdersQuery({ statuses: ['SHIPPED', 'IN_TRANSIT'], limit: 10 })).toBe('limit=10&status=SHIPPED,IN_TRANSIT')
    expect(buildOrdersQuery({ cursor: 'MTc5+NTY3/Mj=', orderNo: ' DEMO-1_a ' })).toBe(
      'limit=20&cursor=MTc5%2BNTY3%2FMj%3D&order_no=DEMO-1_a',
    )
  })

  it('turns a date range into China-time bounds with an exclusive end', () => {
    expect(buildOrdersQuery({ fromDate: '2026-11-01', toDate: '2026-11-30' })).toBe(
      'limit=20&from=2026-11-01T00%3A00%3A00%2B08%3A00&to=2026-12-01T00%3A00%3A00%2B08%3A00',
    )
    expect(buildOrdersQuery({ toDate: '2026-12-31' })).toBe('limit=20&to=2027-01-01T00%3A00%3A00%2B08%3A00')
    expect(buildOrdersQuery({ fromDate: 'yesterday' })).toBe('limit=20')
  })

  it('sends the filters on the wire', async () => {
    env.storage.set(SESSION_KEY, { token: 'tok', expiresAt: NOW + 5 * 86400e3 })
    env.on('/api/me/orders', () => ({ statusCode: 200, data: ORDERS }))
    await client.myOrders({ statuses: ['DELIVERED', 'COMPLETED'], cursor: 'abc', fromDate: '2026-11-02' })
    expect(env.requests()[0].url).toBe(
      'https://api.example.cn/api/me/orders?limit=20&cursor=abc&status=DELIVERED,COMPLETED&from=2026-11-02T00%3A00%3A00%2B08%3A00',
    )
  })

  it('toQuery leaves out empty values', () => {
    expect(toQuery({ a: 'x y', b: '', c: null, d: 0 })).toBe('a=x%20y&d=0')
  })
})

describe('lookup validation', () => {
  it.each([
    ['', '1234', '请输入订单号'],
    ['A'.repeat(65), '1234', '订单号最长 64 位，请核对后重新输入'],
    ['订单1', '1234', '订单号只能包含字母、数字、下划线或短横线'],
    ['DEMO 1', '1234', '订单号只能包含字母、数字、下划线或短横线'],
    ['DEMO1', '', '请输入手机号后四位'],
    ['DEMO1', '123', '请输入手机号后四位数字'],
    ['DEMO1', '12a4', '请输入手机号后四位数字'],
    ['DEMO_1-x', '0148', ''],
    ['A'.repeat(64), '9999', ''],
  ])('%s / %s → %s', (no, last4, msg) => {
    expect(validateLookup(no, last4)).toBe(msg)
  })
})
