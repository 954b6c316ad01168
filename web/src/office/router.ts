// The back office's pages. Each names the permission (an operation of the matrix) it needs; the
// navigation shows a person only the pages their role may use, and a page they may not use sends
// them to the first one they may.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { useSession } from './session'

declare module 'vue-router' {
  interface RouteMeta {
    /** The operation the page needs, or several of which any one will do. */
    needs?: string | string[]
    /** The navigation entry's words (a message key) and icon; pages without one are reached from others. */
    nav?: string
    icon?: string
  }
}

export const pages: RouteRecordRaw[] = [
  {
    path: '/members',
    name: 'members',
    component: () => import('./views/Members.vue'),
    meta: { needs: 'list_members', nav: 'office.nav.members', icon: 'User' },
  },
  {
    path: '/members/:id',
    name: 'member',
    component: () => import('./views/MemberFile.vue'),
    props: true,
    meta: { needs: 'view_member_file' },
  },
  {
    path: '/dashboard',
    name: 'dashboard',
    component: () => import('./views/Dashboard.vue'),
    meta: { needs: 'view_kpis', nav: 'office.nav.dashboard', icon: 'DataAnalysis' },
  },
  {
    path: '/approvals',
    name: 'approvals',
    component: () => import('./views/Approvals.vue'),
    meta: { needs: 'decide_enrollment', nav: 'office.nav.approvals', icon: 'Stamp' },
  },
  {
    path: '/contact-changes',
    name: 'contact-changes',
    component: () => import('./views/ContactChanges.vue'),
    meta: { needs: 'decide_contact_change', nav: 'office.nav.contactChanges', icon: 'Iphone' },
  },
  {
    path: '/till',
    name: 'till',
    component: () => import('./views/Till.vue'),
    meta: { needs: 'settle_order', nav: 'office.nav.till', icon: 'Wallet' },
  },
  {
    path: '/conflicts',
    name: 'conflicts',
    component: () => import('./views/Conflicts.vue'),
    meta: { needs: 'view_conflicts', nav: 'office.nav.conflicts', icon: 'Warning' },
  },
  {
    path: '/staff',
    name: 'staff',
    component: () => import('./views/Staff.vue'),
    meta: { needs: 'manage_staff', nav: 'office.nav.staff', icon: 'Van' },
  },
  {
    path: '/complaints',
    name: 'complaints',
    component: () => import('./views/Complaints.vue'),
    meta: { needs: 'view_complaints', nav: 'office.nav.complaints', icon: 'ChatLineSquare' },
  },
  {
    path: '/care-today',
    name: 'care-today',
    component: () => import('./views/care/CareToday.vue'),
    meta: { needs: 'work_calls', nav: 'office.nav.careToday', icon: 'Phone' },
  },
  {
    path: '/appointments',
    name: 'appointments',
    component: () => import('./views/care/Appointments.vue'),
    meta: { needs: 'view_appointments', nav: 'office.nav.appointments', icon: 'AlarmClock' },
  },
  {
    path: '/lost',
    name: 'lost',
    component: () => import('./views/care/LostCustomers.vue'),
    meta: { needs: 'view_care', nav: 'office.nav.lost', icon: 'Compass' },
  },
  {
    path: '/scripts',
    name: 'scripts',
    component: () => import('./views/care/Scripts.vue'),
    meta: { needs: 'manage_care', nav: 'office.nav.scripts', icon: 'EditPen' },
  },
  {
    path: '/campaigns',
    name: 'campaigns',
    component: () => import('./views/care/Campaigns.vue'),
    meta: { needs: 'view_care', nav: 'office.nav.campaigns', icon: 'Promotion' },
  },
  {
    path: '/outbox',
    name: 'outbox',
    component: () => import('./views/care/Outbox.vue'),
    meta: { needs: 'view_outbox', nav: 'office.nav.outbox', icon: 'Message' },
  },
  {
    path: '/events',
    name: 'events',
    component: () => import('./views/ClubEvents.vue'),
    meta: { needs: 'view_club_events', nav: 'office.nav.events', icon: 'Calendar' },
  },
  {
    path: '/cards',
    name: 'cards',
    component: () => import('./views/CardStock.vue'),
    meta: { needs: ['manage_cards', 'write_off_cards'], nav: 'office.nav.cards', icon: 'CreditCard' },
  },
  {
    path: '/import',
    name: 'import',
    component: () => import('./views/Import.vue'),
    meta: { needs: ['import_customers', 'export_care'], nav: 'office.nav.imports', icon: 'Document' },
  },
  {
    path: '/partners',
    name: 'partners',
    component: () => import('./views/Partners.vue'),
    meta: { needs: ['view_partners', 'view_corporate'], nav: 'office.nav.partners', icon: 'Shop' },
  },
  {
    path: '/people',
    name: 'people',
    component: () => import('./views/People.vue'),
    meta: { needs: ['manage_staff', 'manage_stores'], nav: 'office.nav.people', icon: 'UserFilled' },
  },
  {
    path: '/audit',
    name: 'audit',
    component: () => import('./views/Audit.vue'),
    meta: { needs: 'view_audit', nav: 'office.nav.audit', icon: 'Document' },
  },
]

const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/Login.vue') },
    {
      path: '/',
      component: () => import('./Layout.vue'),
      children: pages,
    },
  ],
})

/** The first page the signed-in role may use. */
export function homePage(): string {
  const session = useSession()
  const first = pages.find((p) => p.meta?.nav && session.allows(p.meta.needs))
  return first?.path ?? '/members'
}

router.beforeEach(async (to) => {
  const session = useSession()
  if (to.name === 'login') return true
  if (!session.token) return { name: 'login', query: { next: to.fullPath } }
  if (!session.user) {
    try {
      await session.load()
    } catch {
      session.clear()
      return { name: 'login', query: { next: to.fullPath } }
    }
  }
  if (to.path === '/') return homePage()
  const needs = to.meta.needs
  if (!session.allows(needs)) return homePage() === to.path ? true : homePage()
  return true
})

export default router
