import { createRouter, createWebHistory } from 'vue-router'
import { session, isLoggedIn } from './auth/session.js'
import { can } from './auth/roles.js'
import LayoutShell from './components/LayoutShell.vue'
import LoginView from './views/LoginView.vue'

export const routes = [
  { path: '/login', name: 'login', component: LoginView, meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: LayoutShell,
    children: [
      { path: '', redirect: { name: 'overview' } },
      { path: 'overview', name: 'overview', component: () => import('./views/OverviewView.vue'), meta: { title: '概览' } },
      { path: 'orders', name: 'orders', component: () => import('./views/OrdersView.vue'), meta: { title: '订单查询' } },
      { path: 'orders/:no', name: 'order', component: () => import('./views/OrderDetailView.vue'), meta: { title: '订单详情' }, props: true },
      { path: 'batch', name: 'batch', component: () => import('./views/BatchView.vue'), meta: { title: '批量查看' } },
      { path: 'anomalies', name: 'anomalies', component: () => import('./views/AnomaliesView.vue'), meta: { title: '异常工作台' } },
      { path: 'cold-chain', name: 'cold-chain', component: () => import('./views/ColdChainView.vue'), meta: { title: '冷链看板' } },
      { path: 'notifications', name: 'notifications', component: () => import('./views/NotificationsView.vue'), meta: { title: '通知记录' } },
      { path: 'audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { title: '审计日志', action: 'audit.view' } },
      { path: 'carriers', name: 'carriers', component: () => import('./views/CarriersView.vue'), meta: { title: '承运商' } },
      { path: 'forbidden', name: 'forbidden', component: () => import('./views/ForbiddenView.vue'), meta: { title: '没有权限' } },
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: '页面不存在' } },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

router.beforeEach((to) => {
  if (!to.meta.public && !isLoggedIn()) {
    return { name: 'login', query: to.fullPath && to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  if (to.name === 'login' && isLoggedIn()) return { name: 'overview' }
  if (to.meta.action && !can(session.role, to.meta.action)) return { name: 'forbidden' }
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title ? `${to.meta.title} · ` : ''}ColdTrack 商家控制台`
})
