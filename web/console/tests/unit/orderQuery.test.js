import { describe, it, expect } from 'vitest'
import { emptyFilters, filtersToQuery, filtersFromRoute, filtersToRoute, validateFilters } from '../../src/utils/orderQuery.js'
import { buildQuery } from '../../src/api/client.js'

describe('order filters', () => {
  it('sends nothing for an empty form', () => {
    expect(filtersToQuery(emptyFilters())).toEqual({})
  })
  it('maps every filter to the API parameter', () => {
    const f = { order_no: ' SHOP1 ', phone: '139 1234 5678', range: ['2026-11-01', '2026-11-07'], statuses: ['SHIPPED', 'IN_TRANSIT'], carrier: 'SF', waybill_no: 'SF123', archived: 'include' }
    const q = filtersToQuery(f, { limit: 200, cursor: 'abc' })
    expect(q).toEqual({
      order_no: 'SHOP1', phone: '13912345678', from: '2026-11-01T00:00:00+08:00', to: '2026-11-08T00:00:00+08:00',
      status: 'SHIPPED,IN_TRANSIT', carrier: 'SF', waybill_no: 'SF123', archived: 'include', limit: 200, cursor: 'abc',
    })
    expect(buildQuery(q)).toContain('from=2026-11-01T00%3A00%3A00%2B08%3A00')
  })
  it('leaves out the default archived=exclude', () => {
    expect(filtersToQuery({ ...emptyFilters(), archived: 'exclude' })).toEqual({})
  })
  it('validates the phone and the number alphabets', () => {
    expect(validateFilters({ ...emptyFilters(), phone: '1391234' })).toHaveProperty('phone')
    expect(validateFilters({ ...emptyFilters(), phone: '13912345678' })).toEqual({})
    expect(validateFilters({ ...emptyFilters(), order_no: '订单' })).toHaveProperty('order_no')
  })
  it('round-trips through the URL', () => {
    const f = { ...emptyFilters(), phone: '13912345678', range: ['2026-11-26', '2026-11-26'], statuses: ['PAID'], archived: 'only' }
    const back = filtersFromRoute(filtersToRoute(f))
    expect(back).toEqual(f)
    expect(filtersFromRoute({ from: 'bad', to: '2026-11-01', archived: 'weird' })).toMatchObject({ range: [], archived: 'exclude' })
  })
})
