import { describe, it, expect } from 'vitest'
import { parseOrderNos } from '../../src/utils/batch.js'

describe('parseOrderNos', () => {
  it('splits on new lines, commas (also Chinese), semicolons and spaces', () => {
    const r = parseOrderNos('A1\nA2, A3，A4；A5 A6\r\n\tA7、A8')
    expect(r.valid).toEqual(['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8'])
    expect(r.total).toBe(8)
  })
  it('drops duplicates and says which', () => {
    const r = parseOrderNos('A1\nA2\nA1\nA1')
    expect(r.valid).toEqual(['A1', 'A2'])
    expect(r.duplicates).toEqual(['A1'])
    expect(r.total).toBe(4)
  })
  it('lists invalid numbers apart', () => {
    const r = parseOrderNos('SHOP-1 订单2 bad!no ' + 'x'.repeat(65))
    expect(r.valid).toEqual(['SHOP-1'])
    expect(r.invalid).toEqual(['订单2', 'bad!no', 'x'.repeat(65)])
  })
  it('refuses more than 200', () => {
    const many = Array.from({ length: 201 }, (_, i) => `N${i}`).join('\n')
    expect(parseOrderNos(many).tooMany).toBe(true)
    expect(parseOrderNos(many.split('\n').slice(0, 200).join('\n')).tooMany).toBe(false)
  })
  it('handles empty input', () => {
    expect(parseOrderNos('')).toMatchObject({ total: 0, valid: [], invalid: [], duplicates: [], tooMany: false })
    expect(parseOrderNos(null).valid).toEqual([])
  })
})
