// The app's API client. VITE_API_BASE: '' (same origin; right for the H5 page served by the
// backend under /m/) or an absolute https URL (required by the mini-program).
import { createClient } from './client'

export const API_BASE = import.meta.env.VITE_API_BASE || ''

export const api = createClient({ baseURL: API_BASE })
