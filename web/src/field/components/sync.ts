// The sync state in words, shared by the indicator and the sync screen.
import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import { useDevice } from '@/device/store'
import { deviceMessageZh } from '@/device/errors'
import { moment } from '@/shared/format'

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
      ? t('sync.last', { time: moment(device.status.last_sync_ms, locale.value) })
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

  return { pendingText, lastText, failureText, message }
}
