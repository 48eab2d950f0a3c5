import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The console is served by `coldtrack serve` under /console/; in development the API is
// proxied to a local `coldtrack serve --demo` (COLDTRACK_DEV_API, default port 18282).
const devApi = process.env.COLDTRACK_DEV_API || 'http://127.0.0.1:18282'

export default defineConfig({
  base: '/console/',
  plugins: [
    vue(),
    // Element Plus components (and their styles) are imported on demand.
    Components({
      dts: false,
      resolvers: [ElementPlusResolver({ importStyle: 'css' })],
    }),
  ],
  server: {
    port: 5273,
    proxy: { '/api': { target: devApi, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          // element-plus: left to rollup (a manual chunk would keep its whole index)
          if (id.includes('node_modules/vue') || id.includes('node_modules/@vue') || id.includes('node_modules/vue-router')) return 'vue'
          return undefined
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/unit/**/*.test.js'],
    css: false,
    server: { deps: { inline: ['element-plus'] } },
  },
})
