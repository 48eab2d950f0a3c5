import { describe, it, expect, vi } from 'vitest'
import { createClient, buildQuery, parseError, ApiError, errorText } from '../../src/api/client.js'

function jsonResponse(status, body, headers = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

describe('buildQuery', () => {
  it('leaves out empty values and encodes the + of a time offset as %2B', () => {
    const q = buildQuery({ from: '2026-11-01T00:00:00+08:00', phone: '', carrier: null, cursor: undefined, limit: 50 })
    expect(q).toBe('?from=2026-11-01T00%3A00%3A00%2B08%3A00&limit=50')
    expect(q).not.toContain('+')
  })
  it('joins arrays as a comma list and skips empty arrays', () => {
    expect(buildQuery({ status: ['PAID', 'SHIPPED'], x: [] })).toBe('?status=PAID%2CSHIPPED')
  })
  it('writes booleans and returns an empty string without parameters', () => {
    expect(buildQuery({ reveal: true })).toBe('?reveal=true')
    expect(buildQuery({})).toBe('')
    expect(buildQuery()).toBe('')
  })
  it('encodes Chinese and reserved characters', () => {
    expect(buildQuery({ note: '已联系 & 核实' })).toBe(`?note=${encodeURIComponent('已联系 & 核实')}`)
  })
})

describe('createClient', () => {
  it('sends the bearer token, JSON body and parses the answer', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(200, { ok: 1 }))
    const c = createClient({ fetchImpl, getToken: () => 'tok123' })
    const out = await c.post('/api/anomalies/7/ack', { note: '已处理' })
    expect(out).toEqual({ ok: 1 })
    const [url, init] = fetchImpl.mock.calls[0]
    expect(url).toBe('/api/anomalies/7/ack')
    expect(init.method).toBe('POST')
    expect(init.headers.Authorization).toBe('Bearer tok123')
    expect(init.headers['Content-Type']).toBe('application/json')
    expect(JSON.parse(init.body)).toEqual({ note: '已处理' })
  })

  it('builds the query of a GET and sends no body', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(200, { items: [], next_cursor: null }))
    const c = createClient({ fetchImpl, getToken: () => 't' })
    await c.get('/api/orders', { phone: '13912345678', from: '2026-11-26T00:00:00+08:00', limit: 20 })
    const [url, init] = fetchImpl.mock.calls[0]
    expect(url).toBe('/api/orders?phone=13912345678&from=2026-11-26T00%3A00%3A00%2B08%3A00&limit=20')
    expect(init.body).toBeUndefined()
  })

  it('sends no Authorization header without a token, or for the login call', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(200, {}))
    const c = createClient({ fetchImpl, getToken: () => 'secret-token' })
    await c.request('POST', '/api/auth/login', { body: { username: 'a', password: 'b' }, auth: false })
    expect(fetchImpl.mock.calls[0][1].headers.Authorization).toBeUndefined()
    const c2 = createClient({ fetchImpl, getToken: () => null })
    await c2.get('/api/auth/me')
    expect(fetchImpl.mock.calls[1][1].headers.Authorization).toBeUndefined()
  })

  it('calls the logout hook on any 401 and throws the parsed error', async () => {
    const onUnauthorized = vi.fn()
    const fetchImpl = vi.fn(async () => jsonResponse(401, { error: { code: 'unauthenticated', message: 'log in' }, request_id: 'r1' }))
    const c = createClient({ fetchImpl, getToken: () => 'old', onUnauthorized })
    await expect(c.get('/api/orders')).rejects.toMatchObject({ status: 401, code: 'unauthenticated', requestId: 'r1' })
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })

  it('does not call the logout hook for a wrong password at login', async () => {
    const onUnauthorized = vi.fn()
    const fetchImpl = vi.fn(async () => jsonResponse(401, { error: { code: 'unauthenticated', message: 'wrong' } }))
    const c = createClient({ fetchImpl, onUnauthorized })
    await expect(c.request('POST', '/api/auth/login', { body: {}, auth: false })).rejects.toBeInstanceOf(ApiError)
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('does not log out on 403', async () => {
    const onUnauthorized = vi.fn()
    const fetchImpl = vi.fn(async () => jsonResponse(403, { error: { code: 'permission_denied', message: 'this action needs the operator role' } }))
    const c = createClient({ fetchImpl, getToken: () => 't', onUnauthorized })
    const err = await c.post('/api/anomalies/1/ack', {}).catch((e) => e)
    expect(err.code).toBe('permission_denied')
    expect(onUnauthorized).not.toHaveBeenCalled()
    expect(errorText(err)).toContain('没有权限')
    expect(errorText(err)).toContain('需要操作员或管理员权限')
  })

  it('turns a network failure into ApiError network', async () => {
    const c = createClient({ fetchImpl: async () => { throw new TypeError('Failed to fetch') } })
    const err = await c.get('/api/orders').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('network')
    expect(errorText(err)).toContain('无法连接服务器')
  })

  it('passes an abort through untouched', async () => {
    const c = createClient({ fetchImpl: async () => { throw new DOMException('aborted', 'AbortError') } })
    const err = await c.get('/api/orders').catch((e) => e)
    expect(err.name).toBe('AbortError')
  })

  it('returns null for 204', async () => {
    const c = createClient({ fetchImpl: async () => new Response(null, { status: 204 }) })
    expect(await c.post('/api/auth/logout', {})).toBeNull()
  })
})

describe('parseError', () => {
  it('reads code, message, field and request id', async () => {
    const err = await parseError(jsonResponse(400, { error: { code: 'invalid_argument', message: 'must be a mainland China mobile number', field: 'phone' }, request_id: 'abc' }))
    expect(err).toMatchObject({ status: 400, code: 'invalid_argument', field: 'phone', requestId: 'abc' })
    expect(errorText(err)).toBe('参数有误：字段 phone：必须是 11 位中国大陆手机号 [400 · 请求编号 abc]')
  })
  it('reads current_status of a 409', async () => {
    const err = await parseError(jsonResponse(409, { error: { code: 'conflict', message: 'impossible move', current_status: 'DELIVERED' } }))
    expect(err.currentStatus).toBe('DELIVERED')
    expect(errorText(err)).toContain('DELIVERED')
  })
  it('reads Retry-After of a locked account', async () => {
    const err = await parseError(jsonResponse(423, { error: { code: 'account_locked', message: 'locked' } }, { 'Retry-After': '840' }))
    expect(err.code).toBe('account_locked')
    expect(err.retryAfter).toBe(840)
  })
  it('copes with a body that is not the envelope', async () => {
    const err = await parseError(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }))
    expect(err.code).toBe('http_502')
    expect(errorText(err)).toContain('服务器错误')
  })
})
