// What the front ends' end-to-end tests and benchmarks share: starting the real
// `coldtrack serve --demo` on a free port in a fresh directory, and Debian's Chromium headless.
// Plain Node, no packages: each project passes its own playwright-core `chromium`.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export function coldtrackBinary() {
  const bin = process.env.COLDTRACK_BIN || join(repoRoot, 'build/coldtrack')
  if (!existsSync(bin)) throw new Error(`${bin} not found: build it (scripts/build.sh) or set COLDTRACK_BIN`)
  return bin
}

// Starts `coldtrack serve --demo --demo-orders <orders>` with `env` added and resolves with
// { url, out, logs(), stop() } once `ready(stdout)` returns a truthy value (merged in).
export async function startDemoServer({ orders = '2000', env = {}, ready, timeoutMs = 60000, tag = 'e2e' }) {
  const dir = mkdtempSync(join(tmpdir(), `ct-${tag}-`))
  const child = spawn(coldtrackBinary(), ['serve', '--demo', '--demo-orders', String(orders)], {
    cwd: dir,
    env: { ...process.env, COLDTRACK_SERVER_PORT: '0', COLDTRACK_SERVER_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => { err += d })
  const started = new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`coldtrack did not start in ${timeoutMs / 1000} s:\n${out}\n${err}`)), timeoutMs)
    child.stdout.on('data', (d) => {
      out += d
      const url = /coldtrack listening on (http:\/\/\S+)/.exec(out)
      const extra = url && ready(out)
      if (extra) {
        clearTimeout(timer)
        resolveReady({ url: url[1], ...extra })
      }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`coldtrack exited ${code}:\n${err}`)) })
  })
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const info = await started
    return { ...info, out: () => out, logs: () => err, stop }
  } catch (e) {
    await stop()
    throw e
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

// Debian's Chromium, headless, through the caller's playwright-core `chromium`; the flags keep
// it off the network it cannot reach.
export function launchBrowser(chromium) {
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
