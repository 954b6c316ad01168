// A tier's name in the language in use: the club's word for the tier where there is one, else the
// program's own name.
import { useI18n } from 'vue-i18n'

export function useTierName() {
  const { t, te } = useI18n()
  return (id: string, name?: string) => (te(`tier.${id}`) ? t(`tier.${id}`) : (name ?? id))
}
