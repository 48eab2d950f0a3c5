// Component tests: the real SFCs with Element Plus, mounted in jsdom.
import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createRouter, createMemoryHistory } from 'vue-router'
import AnomalyTable from '../../src/components/AnomalyTable.vue'
import OrderFilterForm from '../../src/components/OrderFilterForm.vue'
import ErrorAlert from '../../src/components/ErrorAlert.vue'
import { ApiError } from '../../src/api/client.js'

const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { template: '<div/>' } }, { path: '/overview', name: 'overview', component: { template: '<div/>' } }, { path: '/orders/:no', name: 'order', component: { template: '<div/>' } }] })

const anomalies = [
  { id: 1, kind: 'temperature', kind_label: '温度超标', order_no: 'DEMO1', carrier: 'SF', severity: 'critical', severity_label: '紧急', reason: 'above_-12', reason_label: '高于 -12°C', state: 'open', state_label: '待处理', opened_at: '2026-11-26T10:00:00+08:00', evidence: { peak_c: -5.3, duration_minutes: 164 } },
  { id: 2, kind: 'no_update', kind_label: '长时间无物流更新', order_no: 'DEMO2', carrier: 'YTO', severity: 'major', severity_label: '严重', reason: 'NO_UPDATE', reason_label: '长时间未更新', state: 'acknowledged', state_label: '已确认', opened_at: '2026-11-26T08:00:00+08:00', evidence: { silent_hours: 19.6, limit_hours: 12 } },
]

function mountTable(role) {
  return mount(AnomalyTable, { props: { items: anomalies, role, now: Date.parse('2026-11-26T12:00:00+08:00') }, global: { plugins: [router] }, attachTo: document.body })
}

describe('AnomalyTable', () => {
  beforeEach(() => { document.body.innerHTML = '' })

  it('shows no acknowledge or resolve buttons to viewers', async () => {
    const w = mountTable('viewer')
    await flushPromises()
    expect(w.text()).toContain('温度超标')
    expect(w.text()).toContain('DEMO1')
    expect(w.findAll('[data-test=ack]')).toHaveLength(0)
    expect(w.findAll('[data-test=resolve]')).toHaveLength(0)
    expect(w.findAll('button').filter((b) => /确认|解决/.test(b.text()))).toHaveLength(0)
    expect(w.text()).not.toContain('操作')
    w.unmount()
  })

  it('lets operators acknowledge open anomalies and resolve unresolved ones', async () => {
    const w = mountTable('operator')
    await flushPromises()
    // Only the open one can be acknowledged; both can be resolved.
    expect(w.findAll('[data-test=ack]').length).toBeGreaterThanOrEqual(1)
    expect(w.findAll('[data-test=resolve]').length).toBeGreaterThanOrEqual(2)
    await w.find('[data-test=ack]').trigger('click')
    expect(w.emitted('ack')[0][0].id).toBe(1)
    w.unmount()
  })

  it('says why and for how long', async () => {
    const w = mountTable('admin')
    await flushPromises()
    expect(w.text()).toContain('峰值 -5.3°C')
    expect(w.text()).toContain('已 19.6 小时无变化')
    expect(w.text()).toContain('2小时') // opened at 10:00, now 12:00
    w.unmount()
  })
})

describe('OrderFilterForm', () => {
  it('builds the API query from what staff typed', async () => {
    const w = mount(OrderFilterForm, {
      props: { initial: { statuses: ['SHIPPED', 'IN_TRANSIT'], range: ['2026-11-20', '2026-11-26'], carrier: 'SF' }, carriers: [{ code: 'SF', name: '顺丰' }] },
      attachTo: document.body,
    })
    await w.find('input[data-test=f-phone]').setValue('139 1234 5678')
    await w.find('input[data-test=f-order-no]').setValue('')
    await w.find('[data-test=f-search]').trigger('submit')
    await w.find('form').trigger('submit')
    const events = w.emitted('search')
    expect(events).toBeTruthy()
    const { query } = events[events.length - 1][0]
    expect(query).toEqual({
      phone: '13912345678',
      from: '2026-11-20T00:00:00+08:00',
      to: '2026-11-27T00:00:00+08:00',
      status: 'SHIPPED,IN_TRANSIT',
      carrier: 'SF',
    })
    w.unmount()
  })

  it('refuses a partial phone number with a Chinese message and sends nothing', async () => {
    const w = mount(OrderFilterForm, { attachTo: document.body, global: { stubs: { transition: false, 'transition-group': false } } })
    await w.find('input[data-test=f-phone]').setValue('1391234')
    await w.find('form').trigger('submit')
    // Element Plus shows a form item's message after a 100 ms debounce.
    await new Promise((r) => setTimeout(r, 150))
    await flushPromises()
    expect(w.emitted('search')).toBeFalsy()
    expect(w.findAll('.el-form-item.is-error')).toHaveLength(1)
    expect(w.text()).toContain('手机号须为 11 位数字')
    w.unmount()
  })

  it('applies the 近7天 shortcut', async () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-11-26T02:00:00Z'))
    const w = mount(OrderFilterForm, { attachTo: document.body })
    const link = w.findAll('.quick a, .quick .el-link').find((x) => x.text() === '近7天')
    await link.trigger('click')
    await w.find('form').trigger('submit')
    const { query } = w.emitted('search')[0][0]
    expect(query).toEqual({ from: '2026-11-20T00:00:00+08:00', to: '2026-11-27T00:00:00+08:00' })
    vi.useRealTimers()
    w.unmount()
  })
})

describe('ErrorAlert', () => {
  it('shows the API message in Chinese context and offers a retry', async () => {
    const err = new ApiError({ status: 403, code: 'permission_denied', message: 'this action needs the admin role', requestId: 'r9' })
    const w = mount(ErrorAlert, { props: { error: err } })
    expect(w.text()).toContain('没有权限执行此操作')
    expect(w.text()).toContain('需要管理员权限')
    await w.find('button').trigger('click')
    expect(w.emitted('retry')).toHaveLength(1)
  })
})

describe('LoginView', () => {
  async function tryLogin(response) {
    const { default: LoginView } = await import('../../src/views/LoginView.vue')
    const fetchMock = vi.fn(async () => response)
    vi.stubGlobal('fetch', fetchMock)
    const w = mount(LoginView, { global: { plugins: [router] }, attachTo: document.body })
    await w.find('input[data-test=username]').setValue('wang.li')
    await w.find('input[data-test=password]').setValue('pw')
    await w.find('form').trigger('submit')
    await flushPromises()
    vi.unstubAllGlobals()
    return { w, fetchMock }
  }

  it('says 用户名或密码错误 on 401 without sending a bearer token', async () => {
    const { w, fetchMock } = await tryLogin(new Response(JSON.stringify({ error: { code: 'unauthenticated', message: 'wrong' } }), { status: 401 }))
    expect(w.find('[data-test=login-error]').text()).toContain('用户名或密码错误')
    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe('/api/auth/login')
    expect(JSON.parse(init.body)).toEqual({ username: 'wang.li', password: 'pw' })
    expect(init.headers.Authorization).toBeUndefined()
    w.unmount()
  })

  it('says 账户已锁定 with the minutes from Retry-After on 423', async () => {
    const { w } = await tryLogin(new Response(JSON.stringify({ error: { code: 'account_locked', message: 'locked' } }), { status: 423, headers: { 'Retry-After': '840' } }))
    expect(w.find('[data-test=login-error]').text()).toContain('账户已锁定，请 14 分钟后再试')
    w.unmount()
  })

  it('keeps the session in sessionStorage after a successful login', async () => {
    const body = { token: 'tok-1', username: 'wang.li', role: 'operator', expires_at: '2099-01-01T00:00:00+08:00' }
    const { w } = await tryLogin(new Response(JSON.stringify(body), { status: 200 }))
    const saved = JSON.parse(sessionStorage.getItem('coldtrack.console.session'))
    expect(saved).toMatchObject({ token: 'tok-1', username: 'wang.li', role: 'operator' })
    expect(localStorage.length).toBe(0)
    w.unmount()
  })
})
