// The sync state in words, shared by the indicator and the sync screen.
import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import { useDevice } from '@/device/store'
import { deviceMessageZh } from '@/device/errors'

/** A time for the indicator: the hour alone today, with the day otherwise. */
export function shortTime(value: number | string | null | undefined, locale: string): string {
  if (value === null || value === undefined || value === '') return ''
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return String(value)
  const today = date.toDateString() === new Date().toDateString()
  return date.toLocaleString(locale, {
    ...(today ? {} : { month: 'numeric', day: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  })
}

export function useSyncWords() {
  const { t, locale } = useI18n()
  const device = useDevice()

  const pendingText = computed(() => {
    const n = device.status.pending_events
    if (n) return t('sync.pending', { n })
    return device.syncState === 'synced' ? t('sync.synced') : t('sync.nothingPending')
  })

  const lastText = computed(() =>
    device.status.last_sync_ms != null
      ? t('sync.last', { time: shortTime(device.status.last_sync_ms, locale.value) })
      : t('sync.never'),
  )

  const failureText = computed(() => {
    const f = device.syncFailure
    if (!f) return ''
    if (f.code === 'server') {
      const said = locale.value.startsWith('zh') ? deviceMessageZh(f.detail) : null
      return t('sync.failed', { msg: said ?? f.detail })
    }
    return t('sync.failed', { msg: t(`sync.${f.code}`) })
  })

  /** The line under the indicator: what is going on, or nothing when all is well. */
  const message = computed(() => {
    switch (device.syncState) {
      case 'offline':
        return device.registered && device.status.pending_events ? t('sync.offlineHint') : ''
      case 'running':
        return t('sync.running')
      case 'error':
        return failureText.value
      default:
        return ''
    }
  })

  /** The time of the last sync alone, or "never". */
  const lastTime = computed(() =>
    device.status.last_sync_ms != null ? shortTime(device.status.last_sync_ms, locale.value) : t('sync.never'),
  )

  return { pendingText, lastText, lastTime, failureText, message }
}
