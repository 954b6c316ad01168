// The back office (后台): a desktop app for the store's staff, on Element Plus.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'element-plus/theme-chalk/el-message.css'
import 'element-plus/theme-chalk/el-message-box.css'
import App from './App.vue'
import router from './router'
import { appI18n } from '@/locales'
import common from '@/locales/common'
import office from '@/locales/office'
import officeMembers from '@/locales/office-members'
import officeCounter from '@/locales/office-counter'
import officeCare from '@/locales/office-care'
import officeCareDay from '@/locales/office-care-day'
import officeClub from '@/locales/office-club'
import officeAdmin from '@/locales/office-admin'
import officeServiceFile from '@/locales/office-service-file'
import officeDashboard from '@/locales/office-dashboard'
import officeImport from '@/locales/office-import'
import { startServiceWorker } from '@/shared/pwa'
import './office.css'

const app = createApp(App)
app.use(createPinia())
app.use(appI18n(common, office, officeMembers, officeCounter, officeCare, officeCareDay, officeClub, officeAdmin, officeServiceFile, officeDashboard, officeImport))
app.use(router)
app.mount('#app')
startServiceWorker()
