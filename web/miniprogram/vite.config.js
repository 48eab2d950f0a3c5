import { defineConfig } from 'vite'
import uni from '@dcloudio/vite-plugin-uni'

// API base URL and other settings come from the environment (see README.md):
// VITE_API_BASE is read in src/api/config.js through import.meta.env.
export default defineConfig({
  plugins: [uni()],
})
