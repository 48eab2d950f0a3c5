// Component tests of the compiled mini-program (dist/build/mp-weixin) in miniprogram-simulate.
module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/tests/mp/**/*.test.js'],
  transform: {},
  testTimeout: 20000,
}
