// The member app: being built.
import { createApp } from 'vue'
import App from './App.vue'
import { appI18n } from '@/locales'
import common from '@/locales/common'
import { startServiceWorker } from '@/shared/pwa'

createApp(App).use(appI18n(common)).mount('#app')
startServiceWorker()
