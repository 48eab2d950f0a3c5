// The console's one API client, bound to the staff session, and the endpoints it uses.
import { createClient } from './client.js'
import { session } from '../auth/session.js'

let unauthorizedHandler = () => {}
export function setUnauthorizedHandler(fn) {
  unauthorizedHandler = fn
}

export const http = createClient({
  getToken: () => session.token,
  onUnauthorized: (err) => unauthorizedHandler(err),
})

const seg = (s) => encodeURIComponent(String(s))

export const api = {
  login: (username, password) => http.request('POST', '/api/auth/login', { body: { username, password }, auth: false }),
  me: () => http.get('/api/auth/me'),
  logout: () => http.post('/api/auth/logout', {}),

  orders: (query, opts) => http.get('/api/orders', query, opts),
  order: (no, { reveal = false } = {}) => http.get(`/api/orders/${seg(no)}`, reveal ? { reveal: true } : undefined),
  tracking: (no) => http.get(`/api/orders/${seg(no)}/tracking`),
  batchGet: (orderNos) => http.post('/api/orders/batch-get', { order_nos: orderNos }),
  changeStatus: (no, status, note) => http.post(`/api/orders/${seg(no)}/status`, note ? { status, note } : { status }),
  createOrder: (body) => http.post('/api/orders', body),

  anomalies: (query, opts) => http.get('/api/anomalies', query, opts),
  ackAnomaly: (id, note) => http.post(`/api/anomalies/${seg(id)}/ack`, note ? { note } : {}),
  resolveAnomaly: (id, note) => http.post(`/api/anomalies/${seg(id)}/resolve`, note ? { note } : {}),

  coldChainParcels: (query) => http.get('/api/coldchain/parcels', query),
  temperatures: (shipmentId, points = 200) => http.get(`/api/shipments/${seg(shipmentId)}/temperatures`, { points }),

  notifications: (query) => http.get('/api/notifications', query),
  resendNotification: (id) => http.post(`/api/notifications/${seg(id)}/resend`, {}),

  audit: (query) => http.get('/api/audit', query),

  carriers: () => http.get('/api/carriers'),
  putCarrier: (code, body) => http.put(`/api/carriers/${seg(code)}`, body),

  overview: () => http.get('/api/stats/overview'),
}
