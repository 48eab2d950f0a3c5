// Starts the real `coldtrack serve --demo` (SQLite, the carrier and WeChat simulator in-process)
// with the built H5 page under /m/, on a free port in a fresh directory, and headless Chromium
// driven by playwright-core. Shared by the end-to-end test and the first-screen benchmark.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'

const here = dirname(fileURLToPath(import.meta.url))
export const webRoot = resolve(here, '../..')
export const repoRoot = resolve(webRoot, '../..')
export const h5Dir = join(webRoot, 'dist/build/h5')

export function coldtrackBinary() {
  const bin = process.env.COLDTRACK_BIN || join(repoRoot, 'build/coldtrack')
  if (!existsSync(bin)) throw new Error(`${bin} not found: build it (scripts/build.sh) or set COLDTRACK_BIN`)
  return bin
}

// Resolves with { url, example: {orderNo, last4}, stop() } once the server prints its banner.
export async function startDemoServer({ extraEnv = {} } = {}) {
  if (!existsSync(join(h5Dir, 'index.html'))) throw new Error(`${h5Dir} is not built: npm run build:h5`)
  const dir = mkdtempSync(join(tmpdir(), 'ct-e2e-'))
  const child = spawn(coldtrackBinary(), ['serve', '--demo', '--demo-orders', '2000'], {
    cwd: dir,
    env: {
      ...process.env,
      COLDTRACK_SERVER_PORT: '0',
      COLDTRACK_SERVER_HOST: '127.0.0.1',
      COLDTRACK_WEB_H5_DIR: h5Dir,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => { err += d })
  const ready = new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`coldtrack did not start in 30 s:\n${err}`)), 30000)
    child.stdout.on('data', (d) => {
      out += d
      const url = /coldtrack listening on (http:\/\/\S+)/.exec(out)
      const example = /tracking page: \S+ \(e\.g\. order (\S+), phone last 4 (\d{4})\)/.exec(out)
      if (url && example) {
        clearTimeout(timer)
        resolveReady({ url: url[1], example: { orderNo: example[1], last4: example[2] } })
      }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`coldtrack exited ${code}:\n${err}`)) })
  })
  const info = await ready
  return {
    ...info,
    logs: () => err,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((r) => child.once('exit', r))
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim()
    } catch { /* next */ }
  }
  throw new Error('chromium not found: apt-get install chromium (or set CHROMIUM_PATH)')
}

// Debian's Chromium, headless; the flags keep it off the network it cannot reach.
export async function launchBrowser() {
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
