#!/usr/bin/env node
// Prints the size of the mini-program's main package (every file of dist/build/mp-weixin except
// subpackage roots declared in app.json) and fails at WeChat's 2 MB limit.
'use strict'
const fs = require('fs')
const path = require('path')

const root = path.resolve(__dirname, '../dist/build/mp-weixin')
const LIMIT = 2 * 1024 * 1024

if (!fs.existsSync(path.join(root, 'app.json'))) {
  console.error('dist/build/mp-weixin/app.json not found: run `npm run build:mp-weixin` first')
  process.exit(1)
}
const app = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8'))
const subRoots = (app.subPackages || app.subpackages || []).map((p) => path.join(root, p.root))

function walk(dir) {
  let total = 0
  let files = 0
  for (const name of fs.readdirSync(dir)) {
    const full = path.join(dir, name)
    if (subRoots.some((r) => full === r || full.startsWith(r + path.sep))) continue
    const st = fs.statSync(full)
    if (st.isDirectory()) {
      const sub = walk(full)
      total += sub.total
      files += sub.files
    } else {
      total += st.size
      files += 1
    }
  }
  return { total, files }
}

const { total, files } = walk(root)
const kb = (total / 1024).toFixed(1)
console.log(`mp-weixin main package: ${kb} KB in ${files} files (limit 2048 KB)`)
if (subRoots.length) console.log(`subpackages not counted: ${subRoots.map((r) => path.relative(root, r)).join(', ')}`)
if (total >= LIMIT) {
  console.error('main package is at or over the 2 MB limit')
  process.exit(1)
}
