// The words of the back office's admin screens.
import type { Area } from './index'

const zh = {}

const en: typeof zh = {}

export default { 'zh-CN': zh, en } satisfies Area<typeof zh>
