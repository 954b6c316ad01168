// The field app's screens, one per tab (hash routes, so a reload offline opens the same screen).
// Registering the device is not a route: until the device is registered the app shows nothing else.
import { createRouter, createWebHashHistory } from 'vue-router'
import Visit from './views/Visit.vue'
import Members from './views/Members.vue'
import Sync from './views/Sync.vue'

export default createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/visit' },
    { path: '/visit', name: 'visit', component: Visit },
    { path: '/members', name: 'members', component: Members },
    { path: '/sync', name: 'sync', component: Sync },
    { path: '/:rest(.*)*', redirect: '/visit' },
  ],
})
