import { describe, it, expect } from 'vitest'
import { can, hasRole, roleLabel } from '../../src/auth/roles.js'

describe('role gating', () => {
  const actions = ['order.status', 'anomaly.ack', 'anomaly.resolve', 'order.reveal', 'notification.resend', 'carrier.edit', 'audit.view']
  it('viewers can use none of the actions', () => {
    for (const a of actions) expect(can('viewer', a)).toBe(false)
  })
  it('operators change status and handle anomalies only', () => {
    expect(can('operator', 'order.status')).toBe(true)
    expect(can('operator', 'anomaly.ack')).toBe(true)
    expect(can('operator', 'anomaly.resolve')).toBe(true)
    for (const a of ['order.reveal', 'notification.resend', 'carrier.edit', 'audit.view']) expect(can('operator', a)).toBe(false)
  })
  it('admins can do everything', () => {
    for (const a of actions) expect(can('admin', a)).toBe(true)
  })
  it('unknown roles and actions are refused', () => {
    expect(can('', 'anomaly.ack')).toBe(false)
    expect(can(undefined, 'audit.view')).toBe(false)
    expect(can('admin', 'no.such.action')).toBe(false)
    expect(hasRole('superuser', 'viewer')).toBe(false)
  })
  it('has Chinese role names', () => {
    expect(roleLabel('admin')).toBe('管理员')
    expect(roleLabel('operator')).toBe('操作员')
    expect(roleLabel('viewer')).toBe('只读')
  })
})
