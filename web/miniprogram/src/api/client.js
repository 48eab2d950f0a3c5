// The ColdTrack API client: WeChat login, bearer token, retries on 401, Chinese errors.
//
// Login: uni.login (wx.login) gives a one-time code; POST /api/auth/wechat swaps it for
// {token, expires_at}. The token is kept in storage and renewed by logging in again when it
// is within one day of expiry or when a call answers 401. Logins are single-flight: requests
// that need a token at the same time share one login, and a request retries once after it.
import { ApiError, errorFromResponse, networkError } from './errors'
import { buildOrdersQuery, toQuery } from './query'
import { DAY_MS, parseTime } from '../utils/time'

export const SESSION_KEY = 'coldtrack_session'
const TIMEOUT_MS = 15000

// Messages of the public lookup, which must not hint whether an order number exists.
const TRACK_MESSAGES = {
  404: '未找到订单，请核对订单号和手机号后四位',
  429: '查询太频繁，请稍后再试',
  400: '订单号或手机号后四位格式不正确',
}
const LOGIN_MESSAGES = {
  400: '微信登录失败，请稍后重试',
  503: '微信登录繁忙，请稍后重试',
}

function ok(res) {
  return res.statusCode >= 200 && res.statusCode < 300
}

export function createClient(options = {}) {
  const baseURL = (options.baseURL || '').replace(/\/+$/, '')
  const now = options.now || (() => Date.now())
  const timeout = options.timeout || TIMEOUT_MS

  let session = null // {token, expiresAt (ms), openid}
  let loginInFlight = null

  function loadSession() {
    if (session) return session
    try {
      const s = uni.getStorageSync(SESSION_KEY)
      if (s && typeof s === 'object' && s.token) session = s
    } catch (e) {
      // storage unavailable: log in again
    }
    return session
  }

  function saveSession(s) {
    session = s
    try {
      uni.setStorageSync(SESSION_KEY, s)
    } catch (e) {
      // kept in memory only
    }
  }

  function clearSession(token) {
    const cur = loadSession()
    if (cur && token && cur.token !== token) return // a newer login already replaced it
    session = null
    try {
      uni.removeStorageSync(SESSION_KEY)
    } catch (e) {
      // nothing stored
    }
  }

  /** One uni.request; resolves with the response of any status, rejects only without a response. */
  function send({ method = 'GET', path, query = '', data, token }) {
    const header = { Accept: 'application/json' }
    if (token) header.Authorization = `Bearer ${token}`
    if (data !== undefined) header['Content-Type'] = 'application/json'
    return new Promise((resolve, reject) => {
      uni.request({
        url: baseURL + path + (query ? `?${query}` : ''),
        method,
        data,
        header,
        timeout,
        dataType: 'json',
        success: (res) => resolve(res),
        fail: (err) => reject(networkError(err)),
      })
    })
  }

  function wxCode() {
    return new Promise((resolve, reject) => {
      uni.login({
        provider: 'weixin',
        success: (r) =>
          r && r.code
            ? resolve(r.code)
            : reject(new ApiError({ code: 'login_failed', message: '微信登录失败，请稍后重试' })),
        fail: (e) =>
          reject(
            new ApiError({ code: 'login_failed', message: '微信登录失败，请稍后重试', detail: (e && e.errMsg) || '' }),
          ),
      })
    })
  }

  async function doLogin() {
    for (let attempt = 0; ; attempt++) {
      const code = await wxCode()
      const res = await send({ method: 'POST', path: '/api/auth/wechat', data: { code } })
      if (ok(res) && res.data && res.data.token) {
        let expiresAt = parseTime(res.data.expires_at)
        if (Number.isNaN(expiresAt)) expiresAt = now() + DAY_MS // unknown: renew after a day
        const s = { token: res.data.token, expiresAt, openid: res.data.openid || '' }
        saveSession(s)
        return s
      }
      // 400: the code was invalid or already used; wx.login gives a fresh one. Once.
      if (res.statusCode === 400 && attempt === 0) continue
      throw errorFromResponse(res, LOGIN_MESSAGES)
    }
  }

  /** Log in (or join the login already running). */
  function login() {
    if (!loginInFlight) {
      loginInFlight = doLogin().finally(() => {
        loginInFlight = null
      })
    }
    return loginInFlight
  }

  /** A token good for at least another day; a still-valid old one is used if renewal fails. */
  async function ensureSession() {
    const s = loadSession()
    if (s && s.expiresAt - now() > DAY_MS) return s
    try {
      return await login()
    } catch (e) {
      if (s && s.expiresAt > now()) return s
      throw e
    }
  }

  /** After a 401 with `failedToken`: a newer token if another request already logged in, else log in. */
  async function renewAfter401(failedToken) {
    const cur = loadSession()
    if (cur && cur.token !== failedToken && cur.expiresAt > now()) return cur
    clearSession(failedToken)
    return login()
  }

  async function authed(method, path, { query, data } = {}) {
    let s = await ensureSession()
    let res = await send({ method, path, query, data, token: s.token })
    if (res.statusCode === 401) {
      s = await renewAfter401(s.token)
      res = await send({ method, path, query, data, token: s.token })
    }
    if (ok(res)) return res.data
    throw errorFromResponse(res)
  }

  return {
    login,
    /** GET /api/me/orders with list filters (see buildOrdersQuery). */
    myOrders(filters) {
      return authed('GET', '/api/me/orders', { query: buildOrdersQuery(filters) })
    },
    /** GET /api/me/orders/{order_no}: the order with history, tracking, eta, thaw_risk, notice. */
    myOrder(orderNo) {
      return authed('GET', `/api/me/orders/${encodeURIComponent(orderNo)}`)
    },
    /** GET /api/me/subscriptions: {items, templates}. */
    subscriptions() {
      return authed('GET', '/api/me/subscriptions')
    },
    /** POST /api/me/subscriptions with the template ids the customer accepted. */
    subscribe(templateIds) {
      return authed('POST', '/api/me/subscriptions', { data: { template_ids: templateIds } })
    },
    /** Public GET /api/track: no login; 404 and 429 get the lookup's own messages. */
    async track(orderNo, phoneLast4) {
      const res = await send({
        path: '/api/track',
        query: toQuery({ order_no: orderNo, phone_last4: phoneLast4 }),
      })
      if (ok(res)) return res.data
      throw errorFromResponse(res, TRACK_MESSAGES)
    },
    /** For tests and sign-out. */
    clearSession() {
      session = null
      try {
        uni.removeStorageSync(SESSION_KEY)
      } catch (e) {
        // nothing stored
      }
    },
  }
}
