// The back office's frame: sign-in, navigation, store switcher.
import type { Area } from './index'

const zh = {
  office: {
    title: '车友汇后台',
    signIn: {
      title: '后台登录',
      lead: '门店员工使用：俱乐部经理、服务顾问、财务、前台、客服',
      username: '用户名',
      password: '密码',
      submit: '登录',
      required: '请输入用户名和密码',
      memberAccount: '这是会员账号，请使用“我的卡”',
      expired: '登录已过期，请重新登录',
    },
    nav: {
      members: '会员查询',
      approvals: '入会审核',
      contactChanges: '联系方式变更',
      till: '收银结算',
      conflicts: '同步冲突',
      staff: '外拓分配',
      complaints: '投诉处理',
      careToday: '客服今日',
      appointments: '预约登记',
      lost: '流失客户',
      scripts: '话术',
      campaigns: '关怀活动',
      outbox: '消息发件箱',
      events: '俱乐部活动',
      cards: '会员卡库存',
      partners: '合作商户',
      people: '门店与员工',
      audit: '审计日志',
    },
    store: { label: '门店', all: '全部门店' },
    user: { signedInAs: '{name}（{role}）' },
    forbidden: '您的角色无权使用此功能',
  },
}

const en: typeof zh = {
  office: {
    title: 'Car Club back office',
    signIn: {
      title: 'Back office sign-in',
      lead: 'For store staff: club manager, service advisors, finance, reception, customer care',
      username: 'Username',
      password: 'Password',
      submit: 'Sign in',
      required: 'Enter your username and password',
      memberAccount: 'This is a member account; use “My card”',
      expired: 'Your session ended; please sign in again',
    },
    nav: {
      members: 'Members',
      approvals: 'Approvals',
      contactChanges: 'Contact changes',
      till: 'Till',
      conflicts: 'Sync conflicts',
      staff: 'Field staff',
      complaints: 'Complaints',
      careToday: 'Care today',
      appointments: 'Appointments',
      lost: 'Lost customers',
      scripts: 'Scripts',
      campaigns: 'Care campaigns',
      outbox: 'Outbox',
      events: 'Club events',
      cards: 'Card stock',
      partners: 'Partners',
      people: 'Stores & staff',
      audit: 'Audit log',
    },
    store: { label: 'Store', all: 'All stores' },
    user: { signedInAs: '{name} ({role})' },
    forbidden: 'Your role may not use this',
  },
}

export default { 'zh-CN': zh, en } satisfies Area<typeof zh>
