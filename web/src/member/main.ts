// The member app (我的卡): a club member's own card on their phone, on Vant.
import { createApp } from 'vue'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import App from './App.vue'
import router from './router'
import { appI18n } from '@/locales'
import common from '@/locales/common'
import member from '@/locales/member'
import { startServiceWorker } from '@/shared/pwa'
import './member.css'

createApp(App).use(appI18n(common, member)).use(router).mount('#app')
startServiceWorker()
