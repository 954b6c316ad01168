// The field app (现场): field staff on a phone, offline-first, on Vant. It runs the device —
// client-core compiled to wasm (src/device) — keeps its records in IndexedDB and syncs them with
// the server whenever the network allows.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import App from './App.vue'
import router from './router'
import { appI18n } from '@/locales'
import common from '@/locales/common'
import field from '@/locales/field'
import { startServiceWorker } from '@/shared/pwa'
import './field.css'

createApp(App).use(createPinia()).use(appI18n(common, field)).use(router).mount('#app')
startServiceWorker()
