// API errors with the Chinese message a customer sees.

export class ApiError extends Error {
  constructor({ status = 0, code = 'unknown', message, detail = '', field = '', requestId = '', retryAfter = 0 }) {
    super(message)
    this.name = 'ApiError'
    this.status = status // HTTP status; 0 = no response (network)
    this.code = code // backend error code, or network / timeout / login_failed
    this.detail = detail // backend's own (English) message, for logs only
    this.field = field
    this.requestId = requestId
    this.retryAfter = retryAfter // seconds, from Retry-After
  }
}

/** The customer-facing message for a failed call. */
export function messageFor(status, code) {
  if (code === 'timeout') return '网络超时，请检查网络后重试'
  if (status === 0) return '网络连接失败，请检查网络后重试'
  if (status === 400) return '请求信息有误，请检查后重试'
  if (status === 401) return '登录已失效，请重新进入小程序'
  if (status === 403) return '没有权限查看该订单'
  if (status === 404) return '未找到该订单'
  if (status === 409) return '订单状态已变化，请刷新后查看'
  if (status === 429 || code === 'rate_limited') return '操作太频繁，请稍后再试'
  if (status === 503 || code === 'unavailable') return '服务繁忙，请稍后重试'
  if (status >= 500) return '服务暂时不可用，请稍后重试'
  return '请求失败，请稍后重试'
}

function header(headers, name) {
  if (!headers) return undefined
  const lower = name.toLowerCase()
  for (const k of Object.keys(headers)) if (k.toLowerCase() === lower) return headers[k]
  return undefined
}

/** ApiError from a uni.request success callback whose status is not 2xx. */
export function errorFromResponse(res, overrides) {
  const status = res.statusCode
  const body = res.data && typeof res.data === 'object' ? res.data : {}
  const err = body.error && typeof body.error === 'object' ? body.error : {}
  const code = err.code || 'http_' + status
  const retryAfter = Number(header(res.header, 'Retry-After')) || 0
  const message = (overrides && overrides[status]) || messageFor(status, code)
  return new ApiError({
    status,
    code,
    message,
    detail: err.message || '',
    field: err.field || '',
    requestId: body.request_id || header(res.header, 'X-Request-Id') || '',
    retryAfter,
  })
}

/** ApiError from a uni.request fail callback (no response at all). */
export function networkError(err) {
  const msg = (err && err.errMsg) || ''
  const code = /timeout|超时/i.test(msg) ? 'timeout' : 'network'
  return new ApiError({ status: 0, code, message: messageFor(0, code), detail: msg })
}

/** Message of any thrown value, for the error states of pages. */
export function displayMessage(e) {
  if (e instanceof ApiError || (e && e.name === 'ApiError')) return e.message
  return '加载失败，请稍后重试'
}
