// Chinese names and display rules for the API's codes. The API sends its own labels
// (status_label, kind_label, ...); these are for filters and for values without a label.

export const STATUSES = [
  { value: 'CREATED', label: '已下单' },
  { value: 'PAID', label: '已付款' },
  { value: 'SHIPPED', label: '已发货' },
  { value: 'IN_TRANSIT', label: '运输中' },
  { value: 'DELIVERED', label: '已签收' },
  { value: 'COMPLETED', label: '已完成' },
  { value: 'CANCELLED', label: '已取消' },
  { value: 'REFUNDING', label: '退款中' },
  { value: 'REFUNDED', label: '已退款' },
  { value: 'EXCEPTION', label: '异常' },
]
export const STATUS_LABEL = Object.fromEntries(STATUSES.map((s) => [s.value, s.label]))

// The transition table of docs/LIFECYCLE.md (src/domain/status.cc `next_statuses`).
export const NEXT_STATUSES = {
  CREATED: ['PAID', 'CANCELLED'],
  PAID: ['SHIPPED', 'REFUNDING', 'REFUNDED', 'EXCEPTION'],
  SHIPPED: ['IN_TRANSIT', 'DELIVERED', 'EXCEPTION', 'REFUNDING'],
  IN_TRANSIT: ['DELIVERED', 'EXCEPTION', 'REFUNDING'],
  DELIVERED: ['COMPLETED', 'REFUNDING'],
  REFUNDING: ['REFUNDED', 'COMPLETED'],
  EXCEPTION: ['SHIPPED', 'IN_TRANSIT', 'DELIVERED', 'REFUNDING', 'REFUNDED'],
  COMPLETED: [],
  CANCELLED: [],
  REFUNDED: [],
}

export function statusLabel(code) {
  return STATUS_LABEL[code] || code || '—'
}

// Element Plus tag type per status: what needs attention stands out.
export function statusTagType(code) {
  switch (code) {
    case 'EXCEPTION': return 'danger'
    case 'REFUNDING': return 'warning'
    case 'CREATED': case 'PAID': return 'info'
    case 'SHIPPED': case 'IN_TRANSIT': return 'primary'
    case 'DELIVERED': case 'COMPLETED': return 'success'
    default: return 'info'
  }
}

export const SEVERITIES = [
  { value: 'critical', label: '紧急', rank: 4, tag: 'danger', color: '#c45656' },
  { value: 'major', label: '严重', rank: 3, tag: 'warning', color: '#e6a23c' },
  { value: 'warning', label: '警告', rank: 2, tag: 'primary', color: '#409eff' },
  { value: 'info', label: '提示', rank: 1, tag: 'info', color: '#909399' },
]
const SEV = Object.fromEntries(SEVERITIES.map((s) => [s.value, s]))
export const severityRank = (s) => (SEV[s] ? SEV[s].rank : 0)
export const severityLabel = (s) => (SEV[s] ? SEV[s].label : s || '—')
export const severityTag = (s) => (SEV[s] ? SEV[s].tag : 'info')
export const severityColor = (s) => (SEV[s] ? SEV[s].color : '#909399')

export const ANOMALY_KINDS = [
  { value: 'no_update', label: '长时间无物流更新' },
  { value: 'carrier_problem', label: '承运商异常' },
  { value: 'stuck_at_pickup', label: '驿站滞留未取' },
  { value: 'late', label: '晚于预计送达' },
  { value: 'not_signed', label: '派送后未签收' },
  { value: 'not_shipped', label: '付款后超时未发货' },
  { value: 'temperature', label: '温度超标' },
]
export const ANOMALY_KIND_LABEL = Object.fromEntries(ANOMALY_KINDS.map((k) => [k.value, k.label]))

export const ANOMALY_STATES = [
  { value: 'open', label: '待处理' },
  { value: 'acknowledged', label: '已确认' },
  { value: 'resolved', label: '已解决' },
]

export const THAW_RISK = {
  none: { label: '无', tag: 'success', rank: 0 },
  low: { label: '低', tag: 'info', rank: 1 },
  medium: { label: '中', tag: 'warning', rank: 2 },
  high: { label: '高', tag: 'danger', rank: 3 },
}
export const thawRiskLabel = (r) => (THAW_RISK[r] ? THAW_RISK[r].label : r || '—')
export const thawRiskTag = (r) => (THAW_RISK[r] ? THAW_RISK[r].tag : 'info')
export const thawRiskRank = (r) => (THAW_RISK[r] ? THAW_RISK[r].rank : -1)

export const TEMP_CLASS_LABEL = { frozen: '冷冻', chilled: '冷藏', ambient: '常温' }

export const NOTIFY_CHANNELS = [
  { value: 'wechat', label: '微信订阅消息' },
  { value: 'sms', label: '短信' },
  { value: 'webhook', label: '群机器人' },
  { value: 'wechat_shipping', label: '微信发货信息' },
]
export const NOTIFY_STATES = [
  { value: 'pending', label: '待发送' },
  { value: 'sending', label: '发送中' },
  { value: 'sent', label: '已发送' },
  { value: 'merged', label: '已合并' },
  { value: 'fallback', label: '已转其他渠道' },
  { value: 'skipped', label: '已跳过' },
  { value: 'dead', label: '发送失败' },
  { value: 'uncertain', label: '结果未知' },
]
export const NOTIFY_AUDIENCES = [
  { value: 'customer', label: '顾客' },
  { value: 'staff', label: '员工' },
  { value: 'wechat', label: '微信平台' },
]
export const RESENDABLE_STATES = ['dead', 'uncertain']
export const labelOf = (list, value) => (list.find((x) => x.value === value) || {}).label || value || '—'

export const AUDIT_ACTIONS = [
  { value: 'order.create', label: '创建订单' },
  { value: 'order.status', label: '修改订单状态' },
  { value: 'order.shipment', label: '添加运单' },
  { value: 'order.reveal', label: '查看完整个人信息' },
  { value: 'order.archive', label: '归档订单' },
  { value: 'order.paid', label: '微信支付确认' },
  { value: 'anomaly.acknowledge', label: '确认异常' },
  { value: 'anomaly.resolve', label: '解决异常' },
  { value: 'notification.resend', label: '重发通知' },
  { value: 'carrier.update', label: '修改承运商' },
  { value: 'auth.login', label: '登录' },
  { value: 'auth.login_failed', label: '登录失败' },
  { value: 'apikey.create', label: '创建 API 密钥' },
  { value: 'apikey.revoke', label: '吊销 API 密钥' },
  { value: 'staff.create', label: '创建员工账号' },
]

export const ARCHIVED_OPTIONS = [
  { value: 'exclude', label: '不含已归档' },
  { value: 'include', label: '包含已归档' },
  { value: 'only', label: '仅已归档' },
]
