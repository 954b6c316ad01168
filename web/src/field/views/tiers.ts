// A tier's name in the language in use: the program's own name in Chinese, the club's English word
// for the tier where there is one.
import { useI18n } from 'vue-i18n'

export function useTierName() {
  const { t, te, locale } = useI18n()
  return (id: string, name?: string) => {
    if (locale.value.startsWith('zh') && name) return name
    return te(`tier.${id}`) ? t(`tier.${id}`) : (name ?? id)
  }
}
