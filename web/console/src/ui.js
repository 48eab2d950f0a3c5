// Element Plus services, imported from their own modules so the bundle keeps only what is used.
export { ElMessage } from 'element-plus/es/components/message/index.mjs'
export { ElMessageBox } from 'element-plus/es/components/message-box/index.mjs'
