// HTTP client for the ColdTrack API as used by the merchant console: a staff bearer token on
// every call, JSON in and out, the API's error envelope turned into ApiError, and a hook for
// 401 (the session is gone: back to the login page).

export class ApiError extends Error {
  constructor({ status = 0, code = 'unknown', message = '', field = null, requestId = null,
    currentStatus = null, retryAfter = null } = {}) {
    super(message || code)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
    this.requestId = requestId
    this.currentStatus = currentStatus
    this.retryAfter = retryAfter
  }
}

// Query string from an object: null, undefined and '' are left out, arrays become a comma
// list, everything is percent-encoded (so the '+' of "+08:00" travels as %2B and is not read
// as a space).
export function buildQuery(params = {}) {
  const parts = []
  for (const [name, raw] of Object.entries(params)) {
    if (raw === undefined || raw === null || raw === '') continue
    let value = raw
    if (Array.isArray(raw)) {
      const list = raw.filter((v) => v !== undefined && v !== null && v !== '')
      if (list.length === 0) continue
      value = list.join(',')
    }
    if (typeof value === 'boolean') value = value ? 'true' : 'false'
    parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
  }
  return parts.length ? `?${parts.join('&')}` : ''
}

// Reads the API's error envelope {"error":{"code","message","field"},"request_id"} (plus
// current_status on a 409) from a failed response; anything else becomes a generic error.
export async function parseError(res) {
  let body = null
  try {
    const text = await res.text()
    body = text ? JSON.parse(text) : null
  } catch {
    body = null
  }
  const e = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null
  const retry = res.headers && typeof res.headers.get === 'function' ? res.headers.get('Retry-After') : null
  return new ApiError({
    status: res.status,
    code: (e && e.code) || `http_${res.status}`,
    message: (e && e.message) || res.statusText || '',
    field: (e && e.field) || null,
    requestId: (body && body.request_id) || (res.headers && res.headers.get && res.headers.get('X-Request-Id')) || null,
    currentStatus: (e && e.current_status) || (body && body.current_status) || null,
    retryAfter: retry !== null && retry !== '' && !Number.isNaN(Number(retry)) ? Number(retry) : null,
  })
}

export function createClient({ baseUrl = '', fetchImpl, getToken = () => null, onUnauthorized = () => {} } = {}) {
  const doFetch = fetchImpl || ((...args) => globalThis.fetch(...args))

  async function request(method, path, { query, body, signal, auth = true } = {}) {
    const headers = { Accept: 'application/json' }
    const token = auth ? getToken() : null
    if (token) headers.Authorization = `Bearer ${token}`
    let payload
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      payload = JSON.stringify(body)
    }
    let res
    try {
      res = await doFetch(`${baseUrl}${path}${buildQuery(query)}`, { method, headers, body: payload, signal })
    } catch (err) {
      if (err && err.name === 'AbortError') throw err
      throw new ApiError({ status: 0, code: 'network', message: (err && err.message) || 'network error' })
    }
    if (!res.ok) {
      const error = await parseError(res)
      // A 401 on the login call itself is a wrong password, not an expired session.
      if (res.status === 401 && auth) onUnauthorized(error)
      throw error
    }
    if (res.status === 204) return null
    const text = await res.text()
    if (!text) return null
    try {
      return JSON.parse(text)
    } catch {
      throw new ApiError({ status: res.status, code: 'bad_response', message: 'response is not JSON' })
    }
  }

  return {
    request,
    get: (path, query, opts = {}) => request('GET', path, { ...opts, query }),
    post: (path, body, opts = {}) => request('POST', path, { ...opts, body: body === undefined ? {} : body }),
    put: (path, body, opts = {}) => request('PUT', path, { ...opts, body }),
  }
}

// What staff read for an error: a Chinese sentence for the code, then the API's own message
// (and the field it names) so nothing the server said is lost.
const CODE_TEXT = {
  unauthenticated: '登录已失效，请重新登录',
  permission_denied: '没有权限执行此操作',
  not_found: '未找到',
  invalid_argument: '参数有误',
  conflict: '操作冲突',
  rate_limited: '请求过于频繁，请稍后再试',
  unavailable: '服务暂不可用，请稍后再试',
  account_locked: '账户已锁定',
  payload_too_large: '提交的内容过大',
  method_not_allowed: '不支持的操作',
  network: '无法连接服务器，请检查网络',
  bad_response: '服务器返回了无法识别的内容',
}

// A few frequent server messages, said in Chinese.
const MESSAGE_TEXT = {
  'must be a mainland China mobile number': '必须是 11 位中国大陆手机号',
  'this action needs the operator role': '需要操作员或管理员权限',
  'this action needs the admin role': '需要管理员权限',
  'revealing personal data needs the admin role': '查看完整个人信息需要管理员权限',
  'unknown query parameter': '未知的查询参数',
  'no such route': '接口不存在',
  'order not found': '订单不存在',
  'anomaly not found': '异常不存在',
}

export function errorText(err) {
  if (!err) return ''
  if (!(err instanceof ApiError)) return `发生错误：${err.message || String(err)}`
  let head = CODE_TEXT[err.code] || (err.status >= 500 ? '服务器错误' : '请求失败')
  if (err.code === 'conflict' && err.currentStatus) head = `${head}（订单当前状态：${err.currentStatus}）`
  const detail = err.message && err.message !== err.code ? (MESSAGE_TEXT[err.message] || err.message) : ''
  const field = err.field ? `字段 ${err.field}` : ''
  const extra = [field, detail].filter(Boolean).join('：')
  const status = err.status ? ` [${err.status}${err.requestId ? ` · 请求编号 ${err.requestId}` : ''}]` : ''
  return extra ? `${head}：${extra}${status}` : `${head}${status}`
}
