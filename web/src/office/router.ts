// The back office's pages. Each names the permission (an operation of the matrix) it needs; the
// navigation shows a person only the pages their role may use, and a page they may not use sends
// them to the first one they may.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { useSession } from './session'

declare module 'vue-router' {
  interface RouteMeta {
    /** The operation the page needs. */
    needs?: string
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
    path: '/approvals',
    name: 'approvals',
    component: () => import('./views/Approvals.vue'),
    meta: { needs: 'decide_enrollment', nav: 'office.nav.approvals', icon: 'Stamp' },
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
  const first = pages.find((p) => p.meta?.nav && (!p.meta.needs || session.can(p.meta.needs)))
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
  if (needs && !session.can(needs)) return homePage() === to.path ? true : homePage()
  return true
})

export default router
