// Order and parcel statuses as customers see them, the list tabs, and the lifecycle step bar.
import { formatDateTime, parseTime } from './time'

// tone: success (green), active (blue), warning (orange), danger (red), muted (grey)
export const ORDER_STATUS = {
  CREATED: { label: '待付款', tone: 'warning', hint: '订单已提交，等待付款' },
  PAID: { label: '待发货', tone: 'active', hint: '已付款，商家正在为您备货' },
  SHIPPED: { label: '已发货', tone: 'active', hint: '包裹已交给快递，等待揽收运输' },
  IN_TRANSIT: { label: '运输中', tone: 'active', hint: '包裹正在冷链运输途中' },
  DELIVERED: { label: '已签收', tone: 'success', hint: '包裹已签收，请尽快放入冰箱冷冻保存' },
  COMPLETED: { label: '已完成', tone: 'success', hint: '订单已完成，感谢您的购买' },
  CANCELLED: { label: '已取消', tone: 'muted', hint: '订单已取消' },
  REFUNDING: { label: '退款中', tone: 'warning', hint: '退款申请处理中，商家会尽快处理' },
  REFUNDED: { label: '已退款', tone: 'muted', hint: '款项已原路退回' },
  EXCEPTION: { label: '异常', tone: 'danger', hint: '订单配送出现异常，商家正在处理' },
}

export function orderStatusView(status, fallbackLabel) {
  const s = ORDER_STATUS[status]
  if (s) return s
  return { label: fallbackLabel || '处理中', tone: 'active', hint: '' }
}

/** Tabs of 我的订单 and the status list each one asks the backend for (empty = all). */
export const STATUS_TABS = [
  { key: 'all', label: '全部', statuses: [] },
  { key: 'unpaid', label: '待付款', statuses: ['CREATED'] },
  { key: 'unshipped', label: '待发货', statuses: ['PAID'] },
  { key: 'moving', label: '运输中', statuses: ['SHIPPED', 'IN_TRANSIT'] },
  { key: 'delivered', label: '已签收', statuses: ['DELIVERED', 'COMPLETED'] },
  { key: 'problem', label: '异常', statuses: ['EXCEPTION', 'REFUNDING'] },
]

// Unified carrier statuses (see the backend's tracking taxonomy).
const TRACKING_TONE = {
  NO_INFO: 'muted',
  AWAITING_PICKUP: 'muted',
  PICKED_UP: 'active',
  IN_TRANSIT: 'active',
  OUT_FOR_DELIVERY: 'active',
  AT_PICKUP_POINT: 'warning',
  DELIVERED: 'success',
  EXCEPTION: 'danger',
  RETURNING: 'danger',
  RETURNED: 'danger',
  CUSTOMS: 'active',
}
const TRACKING_LABEL = {
  NO_INFO: '暂无物流信息',
  AWAITING_PICKUP: '等待揽收',
  PICKED_UP: '已揽收',
  IN_TRANSIT: '运输中',
  OUT_FOR_DELIVERY: '派送中',
  AT_PICKUP_POINT: '待取件',
  DELIVERED: '已签收',
  EXCEPTION: '物流异常',
  RETURNING: '退回中',
  RETURNED: '已退回',
  CUSTOMS: '清关中',
}

export function trackingStatusView(t) {
  if (!t) return { label: '暂无物流信息', tone: 'muted' }
  return {
    label: t.status_label || TRACKING_LABEL[t.status] || '运输中',
    tone: TRACKING_TONE[t.status] || 'active',
  }
}

// The happy path, in order. COMPLETED counts as having reached 已签收.
export const LIFECYCLE_STEPS = [
  { status: 'CREATED', label: '已下单' },
  { status: 'PAID', label: '已付款' },
  { status: 'SHIPPED', label: '已发货' },
  { status: 'IN_TRANSIT', label: '运输中' },
  { status: 'DELIVERED', label: '已签收' },
]
const RANK = { CREATED: 0, PAID: 1, SHIPPED: 2, IN_TRANSIT: 3, DELIVERED: 4, COMPLETED: 4 }

// States off the happy path: the bar stops where the order got to and a tag says why.
const HALT = {
  CANCELLED: { label: '已取消', tone: 'muted', text: '订单已取消，未产生扣款或款项已退回。' },
  REFUNDING: { label: '退款中', tone: 'warning', text: '您的退款申请正在处理，商家会尽快给您答复。' },
  REFUNDED: { label: '已退款', tone: 'muted', text: '款项已原路退回，一般 1-3 个工作日到账。' },
  EXCEPTION: {
    label: '配送异常',
    tone: 'danger',
    text: '包裹配送出现问题（如延误、破损或拒收），商家正在处理，请留意后续通知。',
  },
}

/**
 * Lifecycle step bar from the order's history (oldest first) and current status.
 * Returns { steps: [{status,label,state:'done'|'current'|'todo',at,atText}], currentIndex, halted }
 * - a step is reached when the order has been at it or any later step (a skipped 运输中 counts);
 *   its time is the first event at that status (none for a skipped step);
 * - `current` marks the furthest step while the order is still moving; a delivered order has all done;
 * - CANCELLED / REFUNDING / REFUNDED / EXCEPTION stop the bar: `halted` {status,label,tone,text,at,atText}.
 */
export function lifecycle(history, status, now = Date.now()) {
  const events = Array.isArray(history) ? history.filter((e) => e && e.status) : []
  let maxRank = -1
  const firstAt = {}
  for (const e of events) {
    const r = RANK[e.status]
    if (r === undefined) continue
    if (r > maxRank) maxRank = r
    if (e.status !== 'COMPLETED' && !(e.status in firstAt)) firstAt[e.status] = e.at
  }
  if (!('DELIVERED' in firstAt)) {
    const done = events.find((e) => e.status === 'COMPLETED')
    if (done) firstAt.DELIVERED = done.at
  }
  if (RANK[status] !== undefined && RANK[status] > maxRank) maxRank = RANK[status]
  if (maxRank < 0) maxRank = 0 // every order starts as placed

  const halt = HALT[status]
  const finished = maxRank === 4 && !halt
  const steps = LIFECYCLE_STEPS.map((s, i) => {
    let state = 'todo'
    if (i < maxRank || (i === maxRank && (finished || halt))) state = 'done'
    else if (i === maxRank) state = 'current'
    const at = firstAt[s.status] || null
    return { status: s.status, label: s.label, state, at: state === 'todo' ? null : at, atText: state === 'todo' ? '' : formatDateTime(at, now) }
  })

  let halted = null
  if (halt) {
    let at = null
    for (let i = events.length - 1; i >= 0; i--) {
      if (events[i].status === status) {
        at = events[i].at
        break
      }
    }
    halted = { status, label: halt.label, tone: halt.tone, text: halt.text, at, atText: formatDateTime(at, now) }
  }
  return { steps, currentIndex: maxRank, halted }
}

/** Time of the newest history event (for "updated" lines), or NaN. */
export function lastEventTime(history) {
  if (!Array.isArray(history) || history.length === 0) return NaN
  return parseTime(history[history.length - 1].at)
}
