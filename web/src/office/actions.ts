// The two kinds of action of a back-office page: loading what it shows (a failure is kept in the
// page's own error line) and acting on it (a failure pops up, in the language in use).
import type { Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ElMessage } from 'element-plus'
import { messageOf, useAction } from '@/shared/action'

export function usePageActions(error: Ref<string>) {
  const { locale } = useI18n()
  const loading = useAction((err) => {
    error.value = messageOf(err, locale.value)
  })
  const acting = useAction((err) => {
    ElMessage.error({ message: messageOf(err, locale.value), duration: 6000 })
  })
  return { loading, acting }
}
