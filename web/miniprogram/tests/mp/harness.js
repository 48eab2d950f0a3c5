// Runs pages of the compiled mini-program (dist/build/mp-weixin) in miniprogram-simulate with a
// scripted `wx`: wx.request answers from a route table, wx.login hands out codes, storage is a Map.
const fs = require('fs')
const os = require('os')
const path = require('path')

const BUILD = path.resolve(__dirname, '../../dist/build/mp-weixin')
let DIST = BUILD

// WeChat evaluates `bindtap="{{a}}"` to a method name from the page data; the simulator's
// template engine takes the attribute literally. So the tests run on a copy of the build whose
// templates carry the evaluated name in a data attribute, and one dispatcher method calls it.
function prepareBuild() {
  if (!fs.existsSync(path.join(BUILD, 'app.js'))) {
    throw new Error('dist/build/mp-weixin is missing: run `npm run build:mp-weixin` first')
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'coldtrack-mp-'))
  const copy = (from, to) => {
    for (const name of fs.readdirSync(from)) {
      const src = path.join(from, name)
      const dst = path.join(to, name)
      if (fs.statSync(src).isDirectory()) {
        fs.mkdirSync(dst)
        copy(src, dst)
      } else if (name.endsWith('.wxml')) {
        const wxml = fs
          .readFileSync(src, 'utf8')
          .replace(/\b(bind|catch):?([a-z]+)="\{\{([^"]+?)\}\}"/g, (m, kind, type, expr) => `${kind}${type}="__ctEvent" data-ct-${type}="{{${expr}}}"`)
        fs.writeFileSync(dst, wxml)
      } else {
        fs.copyFileSync(src, dst)
      }
    }
  }
  copy(BUILD, out)
  return out
}

function installEventDispatcher() {
  const register = global.Component
  global.Component = (options) => {
    options.methods = Object.assign({}, options.methods, {
      __ctEvent(evt) {
        const key = 'ct' + evt.type.charAt(0).toUpperCase() + evt.type.slice(1)
        const name = evt.currentTarget && evt.currentTarget.dataset && evt.currentTarget.dataset[key]
        if (name && typeof this[name] === 'function') this[name](evt)
      },
    })
    return register(options)
  }
}

function pathOf(url) {
  return url.split('?')[0].replace(/^https?:\/\/[^/]+/, '')
}

function queryOf(url) {
  const q = {}
  const s = url.split('?')[1]
  if (!s) return q
  for (const part of s.split('&')) {
    const [k, v = ''] = part.split('=')
    q[decodeURIComponent(k)] = decodeURIComponent(v)
  }
  return q
}

function createWx() {
  const routes = []
  const storage = new Map()
  let codes = 0
  const wx = {
    request: jest.fn((opts) => {
      const req = { ...opts, path: pathOf(opts.url), query: queryOf(opts.url) }
      const route = routes.find((r) => r.match(req))
      const a = route ? route.reply(req) : { statusCode: 404, data: { error: { code: 'not_found' } } }
      setTimeout(() => {
        if (a.fail) opts.fail && opts.fail(a.fail)
        else opts.success && opts.success({ header: {}, errMsg: 'request:ok', ...a })
        opts.complete && opts.complete({})
      }, a.delay || 0)
      return { abort() {} }
    }),
    login: jest.fn((opts) => {
      codes += 1
      setTimeout(() => opts.success && opts.success({ code: `mpcode-${codes}`, errMsg: 'login:ok' }), 0)
    }),
    getStorageSync: jest.fn((k) => (storage.has(k) ? storage.get(k) : '')),
    setStorageSync: jest.fn((k, v) => storage.set(k, v)),
    removeStorageSync: jest.fn((k) => storage.delete(k)),
    setStorage: jest.fn((o) => {
      storage.set(o.key, o.data)
      o.success && o.success({ errMsg: 'setStorage:ok' })
    }),
    getSystemInfoSync: () => ({
      platform: 'devtools',
      system: 'iOS 17',
      language: 'zh_CN',
      windowWidth: 375,
      windowHeight: 667,
      screenWidth: 375,
      screenHeight: 667,
      pixelRatio: 2,
      SDKVersion: '3.4.0',
      version: '8.0.50',
    }),
    getWindowInfo: () => ({ windowWidth: 375, windowHeight: 667, pixelRatio: 2, screenWidth: 375, screenHeight: 667 }),
    getDeviceInfo: () => ({ platform: 'devtools', system: 'iOS 17', brand: 'devtools', model: 'iPhone' }),
    getAppBaseInfo: () => ({ language: 'zh_CN', SDKVersion: '3.4.0', version: '8.0.50' }),
    getLaunchOptionsSync: () => ({ path: 'pages/orders/index', query: {}, scene: 1001 }),
    getEnterOptionsSync: () => ({ path: 'pages/orders/index', query: {}, scene: 1001 }),
    onAppShow: jest.fn(),
    onAppHide: jest.fn(),
    preloadAssets: jest.fn(),
    canIUse: () => true,
    showToast: jest.fn(),
    stopPullDownRefresh: jest.fn(),
    setClipboardData: jest.fn((o) => o.success && o.success({ errMsg: 'setClipboardData:ok' })),
    navigateTo: jest.fn((o) => o.success && o.success({ errMsg: 'navigateTo:ok' })),
    navigateBack: jest.fn(),
    reLaunch: jest.fn(),
    requestSubscribeMessage: jest.fn(),
  }
  return {
    wx,
    storage,
    /** Answer requests to `p` (a path, or a predicate on {path, query, header, data}) with reply(req). */
    on(p, reply) {
      routes.unshift({ match: typeof p === 'function' ? p : (req) => req.path === p, reply })
    },
    reset() {
      routes.length = 0
      wx.request.mockClear()
      wx.login.mockClear()
      wx.showToast.mockClear()
      wx.requestSubscribeMessage.mockReset()
      wx.navigateTo.mockClear()
    },
    requests(p) {
      return wx.request.mock.calls
        .map((c) => ({ ...c[0], path: pathOf(c[0].url), query: queryOf(c[0].url) }))
        .filter((r) => !p || r.path === p)
    },
  }
}

let env = null
let simulate = null

/** Install wx and the App/Page globals, then load the compiled app once per test file. */
function setup() {
  if (env) return env
  env = createWx()
  global.wx = env.wx
  let app = null
  global.App = (options) => {
    app = options
  }
  global.getApp = () => app
  global.getCurrentPages = () => []
  global.Page = () => {}
  // miniprogram-simulate defines the global Component that the compiled vendor code captures.
  DIST = prepareBuild()
  const copyDir = DIST
  afterAll(() => fs.rmSync(copyDir, { recursive: true, force: true }))
  simulate = require('miniprogram-simulate')
  installEventDispatcher()
  require(path.join(DIST, 'app.js'))
  return env
}

/** Render a page and call its onLoad with the query, as the framework would. */
const pageIds = {}
async function openPage(page, query = {}) {
  // Jest keeps its own module registry, so a page's js runs (and registers) only once per file:
  // load once, render as often as needed.
  const id = pageIds[page] || (pageIds[page] = simulate.load(path.join(DIST, page), { compiler: 'simulate', rootPath: DIST }))
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  comp.instance.onLoad(query)
  await settle()
  return comp
}

/** Let timers, promises and re-renders run. */
async function settle(ms = 30) {
  await simulate.sleep(ms)
}

/** Elements whose class list has `name` (classes are prefixed with the component's tag name). */
function byClass(root, name) {
  return Array.from(root.querySelectorAll('*')).filter((el) =>
    (el.getAttribute('class') || '').split(/\s+/).some((c) => c === name || c.endsWith('--' + name)),
  )
}

function text(el) {
  return (el.textContent || '').replace(/\s+/g, ' ').trim()
}

/**
 * Tap an element: a selector of the page's own template (index-th match), or a rendered DOM
 * element anywhere, including inside child components (found with byClass).
 */
async function tap(comp, target, index = 0) {
  if (typeof target === 'string') {
    const nodes = comp.querySelectorAll(target)
    if (!nodes[index]) throw new Error(`no element ${target}[${index}]`)
    nodes[index].dispatchEvent('tap')
  } else {
    // the simulator's own DOM-event engine (a dependency of j-component)
    const exparser = require(require.resolve('miniprogram-exparser', { paths: [require.resolve('j-component')] }))
    if (!target || !target.__wxElement) throw new Error('not a rendered element')
    exparser.Event.dispatchEvent(
      target.__wxElement,
      exparser.Event.create('tap', {}, { bubbles: true, capturePhase: true, composed: true, extraFields: { touches: {}, changedTouches: {} } }),
    )
  }
  await settle()
}

module.exports = { setup, openPage, settle, byClass, text, tap }
