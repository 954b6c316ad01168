// The member app's screens: sign-in (or activation with a code), then the card (with the points
// history behind it), the car's reminders, club events, the store's perks and feedback behind a
// tab bar. Hash routes, so a reload keeps the screen.
import { createRouter, createWebHashHistory } from 'vue-router'
import { token } from './session'
import SignIn from './views/SignIn.vue'
import CardPage from './views/CardPage.vue'
import RemindersPage from './views/RemindersPage.vue'
import EventsPage from './views/EventsPage.vue'
import FeedbackPage from './views/FeedbackPage.vue'
import HistoryPage from './views/HistoryPage.vue'
import ClubPage from './views/ClubPage.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** The words key of the screen's title. */
    title?: string
    /** Shown without signing in. */
    public?: boolean
  }
}

const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/login', name: 'login', component: SignIn, meta: { title: 'app.name', public: true } },
    { path: '/card', name: 'card', component: CardPage, meta: { title: 'member.title' } },
    { path: '/reminders', name: 'reminders', component: RemindersPage, meta: { title: 'member.reminders.title' } },
    { path: '/events', name: 'events', component: EventsPage, meta: { title: 'member.events.title' } },
    { path: '/history', name: 'history', component: HistoryPage, meta: { title: 'member.history.title' } },
    { path: '/club', name: 'club', component: ClubPage, meta: { title: 'member.club.title' } },
    { path: '/feedback', name: 'feedback', component: FeedbackPage, meta: { title: 'member.complaints.title' } },
    { path: '/:rest(.*)*', redirect: '/card' },
  ],
})

router.beforeEach((to) => {
  if (!token.value && !to.meta.public) return { name: 'login' }
  if (token.value && to.name === 'login') return { name: 'card' }
  return true
})

export default router
