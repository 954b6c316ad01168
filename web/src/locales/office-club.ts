// The words of the back office's club screens.
import type { Area } from './index'

const zh = {}

const en: typeof zh = {}

export default { 'zh-CN': zh, en } satisfies Area<typeof zh>
