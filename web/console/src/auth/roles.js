// Who may do what in the console. The API enforces the same rules (403 permission_denied);
// these helpers only hide what a role cannot use.
export const ROLE_RANK = { viewer: 1, operator: 2, admin: 3 }
export const ROLE_LABEL = { viewer: '只读', operator: '操作员', admin: '管理员' }

// The minimum role per action.
export const ACTION_ROLE = {
  'order.status': 'operator',
  'order.create': 'operator',
  'anomaly.ack': 'operator',
  'anomaly.resolve': 'operator',
  'order.reveal': 'admin',
  'notification.resend': 'admin',
  'carrier.edit': 'admin',
  'audit.view': 'admin',
}

export function hasRole(role, minimum) {
  return (ROLE_RANK[role] || 0) >= (ROLE_RANK[minimum] || Infinity)
}

export function can(role, action) {
  const minimum = ACTION_ROLE[action]
  if (!minimum) return false
  return hasRole(role, minimum)
}

export function roleLabel(role) {
  return ROLE_LABEL[role] || role || '未知'
}
