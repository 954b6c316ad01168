// Vant forms in the language in use: a rule's message is fixed when the rule fails, so a field
// shown refused is checked again when the language changes, and its message follows.
import { watch, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import type { FormInstance } from 'vant'

export function useFormLanguage(form: Ref<FormInstance | undefined>) {
  const { locale } = useI18n()
  watch(locale, () => {
    const f = form.value
    if (!f) return
    const status = f.getValidationStatus()
    for (const [name, state] of Object.entries(status)) {
      if (state === 'failed') f.validate(name).catch(() => {})
    }
  })
}
