import { describe, it, expect, vi } from 'vitest'
import { buildCsv, csvCell, ordersCsv, BOM, fetchAllPages } from '../../src/utils/csv.js'

describe('csv', () => {
  it('starts with a BOM and ends lines with CRLF', () => {
    const text = buildCsv([{ title: '订单号', value: (r) => r.no }], [{ no: 'A1' }, { no: 'A2' }])
    expect(text.charCodeAt(0)).toBe(0xfeff)
    expect(text.startsWith(BOM)).toBe(true)
    expect(text.slice(1)).toBe('订单号\r\nA1\r\nA2\r\n')
  })
  it('keeps Chinese as is, UTF-8 when encoded', () => {
    const text = buildCsv([{ title: '收件人', value: (r) => r.n }], [{ n: '张*' }])
    const bytes = new TextEncoder().encode(text)
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(text).toContain('张*')
  })
  it('quotes commas, quotes, new lines and edge spaces', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('他说"好"')).toBe('"他说""好"""')
    expect(csvCell('一\n二')).toBe('"一\n二"')
    expect(csvCell(' x')).toBe('" x"')
    expect(csvCell('plain')).toBe('plain')
    expect(csvCell(null)).toBe('')
    expect(csvCell(0)).toBe('0')
  })
  it('defuses formulas but leaves numbers alone', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(csvCell('-5.3')).toBe('-5.3')
    expect(csvCell(-5.3)).toBe('-5.3')
    expect(csvCell('+86')).toBe('+86')
  })
  it('exports orders with yuan, shipments and China times', () => {
    const text = ordersCsv([{
      order_no: 'SHOP1', status: 'IN_TRANSIT', status_label: '运输中',
      customer: { name: '张*', phone: '139****5678' }, address: { province: '上海市', city: '上海市' },
      items: [{ name: '三鲜水饺 1kg', quantity: 2 }, { name: '汤圆, 黑芝麻', quantity: 1 }],
      amount_fen: 9180, archived: false,
      shipments: [{ carrier: 'SF', carrier_name: '顺丰', waybill_no: 'SF123' }],
      created_at: '2026-11-25T13:05:00+08:00', updated_at: '2026-11-25T05:06:07Z',
    }])
    const lines = text.slice(1).split('\r\n')
    expect(lines[0]).toBe('订单号,状态,收件人,手机号,省份,城市,商品,金额(元),承运商,运单号,已归档,下单时间,更新时间')
    expect(lines[1]).toBe('SHOP1,运输中,张*,139****5678,上海市,上海市,"三鲜水饺 1kg×2；汤圆, 黑芝麻×1",91.80,顺丰,SF123,否,2026-11-25 13:05:00,2026-11-25 13:06:07')
  })
})

describe('fetchAllPages', () => {
  it('follows cursors and reports progress', async () => {
    const pages = { null: { items: [1, 2], next_cursor: 'c2' }, c2: { items: [3], next_cursor: null } }
    const progress = []
    const fetchPage = vi.fn(async (cursor) => pages[String(cursor)])
    const rows = await fetchAllPages(fetchPage, { onProgress: (n) => progress.push(n) })
    expect(rows).toEqual([1, 2, 3])
    expect(progress).toEqual([2, 3])
    expect(fetchPage.mock.calls.map((c) => c[0])).toEqual([null, 'c2'])
  })
  it('stops when cancelled', async () => {
    const controller = new AbortController()
    const fetchPage = vi.fn(async () => {
      controller.abort()
      return { items: [1], next_cursor: 'more' }
    })
    await expect(fetchAllPages(fetchPage, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(fetchPage).toHaveBeenCalledTimes(1)
  })
})
