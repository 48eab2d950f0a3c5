// A stand-in for the `uni` global: uni.request answers from a route table, uni.login hands out
// numbered codes, storage is a Map. Every call is recorded for assertions.
import { vi } from 'vitest'

// "https://host/api/x?y" → "/api/x"
function pathOf(url) {
  return url.split('?')[0].replace(/^https?:\/\/[^/]+/, '')
}

export function installUni() {
  const storage = new Map()
  const routes = [] // [{match(req) → bool, reply(req) → {statusCode, data, header} | {fail: {errMsg}}}]
  let codeSeq = 0
  const uni = {
    request: vi.fn((opts) => {
      const req = { ...opts, path: pathOf(opts.url), query: opts.url.split('?')[1] || '' }
      const route = routes.find((r) => r.match(req))
      const answer = route ? route.reply(req) : { statusCode: 599, data: {} }
      Promise.resolve(answer).then((a) => {
        setTimeout(() => {
          if (a.fail) opts.fail && opts.fail(a.fail)
          else opts.success && opts.success({ header: {}, ...a })
        }, a.delay || 0)
      })
    }),
    login: vi.fn((opts) => {
      codeSeq += 1
      setTimeout(() => opts.success({ code: `code-${codeSeq}`, errMsg: 'login:ok' }), 0)
    }),
    getStorageSync: vi.fn((k) => (storage.has(k) ? storage.get(k) : '')),
    setStorageSync: vi.fn((k, v) => storage.set(k, v)),
    removeStorageSync: vi.fn((k) => storage.delete(k)),
  }
  globalThis.uni = uni
  return {
    uni,
    storage,
    on(match, reply) {
      routes.unshift({ match: typeof match === 'function' ? match : (req) => req.path === match, reply })
    },
    requests(path) {
      return uni.request.mock.calls.map((c) => c[0]).filter((o) => !path || pathOf(o.url) === pathOf(path))
    },
  }
}

export function loginOk(tokenPrefix = 'tok', expiresAt = '2026-12-03T13:56:01.204+08:00') {
  let n = 0
  return () => {
    n += 1
    return { statusCode: 200, data: { token: `${tokenPrefix}${n}`, openid: 'oTest', expires_at: expiresAt } }
  }
}
