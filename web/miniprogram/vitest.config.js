import { defineConfig } from 'vitest/config'

// Run the unit tests in a time zone far from China's, so that any formatting that leaks the
// machine's zone instead of Asia/Shanghai fails.
process.env.TZ = 'America/Los_Angeles'

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.js'],
    environment: 'node',
  },
})
