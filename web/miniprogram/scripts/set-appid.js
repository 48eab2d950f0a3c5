#!/usr/bin/env node
// After `uni build -p mp-weixin`: writes the mini-program's appid from COLDTRACK_MP_APPID into
// dist/build/mp-weixin/project.config.json (the file WeChat DevTools and miniprogram-ci upload
// from). Without the variable the placeholder "touristappid" stays, which DevTools accepts for a
// local preview only.
'use strict'
const fs = require('fs')
const path = require('path')

const file = path.resolve(__dirname, '../dist/build/mp-weixin/project.config.json')
const appid = (process.env.COLDTRACK_MP_APPID || 'touristappid').trim()

if (!/^(wx[0-9a-f]{16}|touristappid)$/.test(appid)) {
  console.error(`COLDTRACK_MP_APPID must look like wx0123456789abcdef (got "${appid}")`)
  process.exit(2)
}
if (!fs.existsSync(file)) {
  console.error(`${file} not found: run the mp-weixin build first`)
  process.exit(1)
}
const config = JSON.parse(fs.readFileSync(file, 'utf8'))
config.appid = appid
fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n')
console.log(`mp-weixin appid: ${appid}`)

const base = process.env.VITE_API_BASE || ''
if (!/^https:\/\//.test(base)) {
  console.warn(
    'warning: VITE_API_BASE is not an https URL; the mini-program can only call an absolute https ' +
      'domain listed in its request whitelist (fine for tests and local previews).',
  )
}
