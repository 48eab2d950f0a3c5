#!/usr/bin/env node
// Local preview of the built H5 page the way the backend serves it: dist/build/h5 under /m/
// (history mode: unknown paths fall back to index.html) and /api/* proxied to a ColdTrack
// server. Usage: COLDTRACK_URL=http://127.0.0.1:18181 PORT=5180 node scripts/preview-h5.js
'use strict'
const fs = require('fs')
const http = require('http')
const path = require('path')

const root = path.resolve(__dirname, '../dist/build/h5')
const upstream = new URL(process.env.COLDTRACK_URL || 'http://127.0.0.1:8080')
const port = Number(process.env.PORT || 5180)
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon' }

http
  .createServer((req, res) => {
    if (req.url.startsWith('/api/')) {
      const p = http.request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
        (r) => {
          res.writeHead(r.statusCode, r.headers)
          r.pipe(res)
        },
      )
      p.on('error', (e) => {
        console.error('proxy:', e.message)
        res.writeHead(502)
        res.end()
      })
      req.pipe(p)
      return
    }
    if (!req.url.startsWith('/m/')) {
      res.writeHead(302, { location: '/m/' })
      res.end()
      return
    }
    const rel = decodeURIComponent(req.url.slice(3).split('?')[0])
    let file = path.join(root, rel)
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(root, 'index.html')
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' })
    fs.createReadStream(file).pipe(res)
  })
  .listen(port, '127.0.0.1', () => console.log(`H5 preview at http://127.0.0.1:${port}/m/ (API: ${upstream.origin})`))
