// The staff session: token, username, role and expiry, kept in sessionStorage (closed with
// the tab, never in localStorage). The console holds no API key or secret.
import { reactive } from 'vue'

const KEY = 'coldtrack.console.session'

export const session = reactive({ token: null, username: '', role: '', expiresAt: null, notice: '' })

function storage() {
  try {
    return globalThis.sessionStorage || null
  } catch {
    return null
  }
}

export function loadSession() {
  const s = storage()
  if (!s) return
  try {
    const saved = JSON.parse(s.getItem(KEY) || 'null')
    if (saved && saved.token) {
      if (saved.expiresAt && Date.parse(saved.expiresAt) <= Date.now()) {
        s.removeItem(KEY)
        return
      }
      Object.assign(session, { token: saved.token, username: saved.username || '', role: saved.role || '', expiresAt: saved.expiresAt || null })
    }
  } catch {
    s.removeItem(KEY)
  }
}

export function setSession({ token, username, role, expires_at: expiresAt }) {
  Object.assign(session, { token, username, role, expiresAt: expiresAt || null, notice: '' })
  const s = storage()
  if (s) s.setItem(KEY, JSON.stringify({ token, username, role, expiresAt }))
}

export function clearSession(notice = '') {
  Object.assign(session, { token: null, username: '', role: '', expiresAt: null, notice })
  const s = storage()
  if (s) s.removeItem(KEY)
}

export function isLoggedIn() {
  return Boolean(session.token)
}
