// The real `coldtrack serve --demo` serving the built console under /console/, and headless
// Debian Chromium (shared code: web/e2e-support/).
import { existsSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import * as coldtrack from '../../../e2e-support/coldtrack.mjs'

export const consoleRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const repoRoot = coldtrack.repoRoot
export const distDir = join(consoleRoot, 'dist')
export const coldtrackBinary = coldtrack.coldtrackBinary

// Resolves with { url, accounts: {admin, operator, viewer}, stop() } once the banner is printed.
export async function startDemoServer({ orders = '2000', extraEnv = {} } = {}) {
  if (!existsSync(join(distDir, 'index.html'))) throw new Error(`${distDir} is not built: npm run build`)
  return coldtrack.startDemoServer({
    orders,
    tag: 'console',
    env: { COLDTRACK_WEB_CONSOLE_DIR: distDir, ...extraEnv },
    ready: (out) => {
      const accounts = {}
      for (const role of ['admin', 'operator', 'viewer']) {
        const m = new RegExp(`demo-${role} / (\\S+)`).exec(out)
        if (m) accounts[role] = { username: `demo-${role}`, password: m[1] }
      }
      return Object.keys(accounts).length === 3 && { accounts }
    },
  })
}

export const launchBrowser = () => coldtrack.launchBrowser(chromium)

// A staff session token through the API, for the test's own direct calls.
export async function apiLogin(url, { username, password }) {
  const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) })
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`)
  return (await res.json()).token
}
