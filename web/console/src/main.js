import { createApp } from 'vue'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import './styles.css'
import App from './App.vue'
import { router } from './router.js'
import { loadSession, clearSession } from './auth/session.js'
import { setUnauthorizedHandler } from './api/index.js'

loadSession()

// Any 401 means the session is over (expired, logged out elsewhere, account disabled).
setUnauthorizedHandler(() => {
  clearSession('登录已失效或已在别处退出，请重新登录')
  const current = router.currentRoute.value
  if (current.name !== 'login') {
    router.replace({ name: 'login', query: current.fullPath && current.fullPath !== '/' ? { redirect: current.fullPath } : {} })
  }
})

createApp(App).use(router).mount('#app')
