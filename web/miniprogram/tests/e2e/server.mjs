// The real `coldtrack serve --demo` with the built H5 page under /m/, and headless Chromium:
// for the end-to-end test and the first-screen benchmark (shared code: web/e2e-support/).
import { existsSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import * as coldtrack from '../../../e2e-support/coldtrack.mjs'

export const webRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const h5Dir = join(webRoot, 'dist/build/h5')

// Resolves with { url, example: {orderNo, last4}, stop() } once the server prints its banner.
export async function startDemoServer() {
  if (!existsSync(join(h5Dir, 'index.html'))) throw new Error(`${h5Dir} is not built: npm run build:h5`)
  return coldtrack.startDemoServer({
    tag: 'h5',
    env: { COLDTRACK_WEB_H5_DIR: h5Dir },
    ready: (out) => {
      const m = /tracking page: \S+ \(e\.g\. order (\S+), phone last 4 (\d{4})\)/.exec(out)
      return m && { example: { orderNo: m[1], last4: m[2] } }
    },
  })
}

export const launchBrowser = () => coldtrack.launchBrowser(chromium)
