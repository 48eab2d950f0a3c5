// A list read page by page with the API's opaque cursors: the cursors of the pages already
// seen are kept on a stack, so 上一页 goes back without the API needing a reverse cursor.
import { reactive } from 'vue'

export function useCursorList(fetchPage) {
  const state = reactive({
    items: [],
    loading: false,
    error: null,
    loaded: false,
    stack: [null], // cursor of each page seen; the last is the current page's
    nextCursor: null,
  })
  let seq = 0

  async function load(cursor) {
    const mine = ++seq
    state.loading = true
    state.error = null
    try {
      const page = await fetchPage(cursor)
      if (mine !== seq) return false
      state.items = page.items || []
      state.nextCursor = page.next_cursor || null
      state.loaded = true
      return true
    } catch (err) {
      if (mine !== seq) return false
      state.error = err
      return false
    } finally {
      if (mine === seq) state.loading = false
    }
  }

  return {
    state,
    page: () => state.stack.length,
    async reset() {
      state.stack = [null]
      return load(null)
    },
    async reload() {
      return load(state.stack[state.stack.length - 1])
    },
    async next() {
      if (!state.nextCursor) return false
      const cursor = state.nextCursor
      const ok = await load(cursor)
      if (ok) state.stack.push(cursor)
      return ok
    },
    async prev() {
      if (state.stack.length <= 1) return false
      const cursor = state.stack[state.stack.length - 2]
      const ok = await load(cursor)
      if (ok) state.stack.pop()
      return ok
    },
  }
}
