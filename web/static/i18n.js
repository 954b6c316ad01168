// The app's words. Chinese (zh-CN) first; English available through the language switch.
// Keys are grouped by screen. A missing English string falls back to the Chinese one.

export const STRINGS = {
  'zh-CN': {
    'app.name': '车友汇',
    'app.tagline': '会员俱乐部',
    'app.updated': '应用已更新，点此刷新',
    'lang.switch': 'EN',
    'lang.switch.title': 'Switch to English',
    'nav.field': '现场',
    'nav.office': '后台',

    'sync.online': '在线',
    'sync.offline': '离线',
    'sync.pending': '待上传 {n} 条',
    'sync.nothing_pending': '无待上传',
    'sync.last': '上次同步 {time}',
    'sync.never': '尚未同步',
    'sync.running': '同步中…',
    'sync.synced': '已同步',
    'sync.failed': '同步失败：{msg}',
    'sync.timeout': '同步超时，请检查网络后重试',
    'sync.closed': '连接在同步完成前断开',
    'sync.offline_hint': '离线中，记录已保存在本机，联网后自动上传',
    'sync.now': '立即同步',

    'register.title': '注册此设备',
    'register.lead': '首次使用请用您的员工账号登录，本设备将领取一段会员卡号，之后离线也能办理入会。',
    'register.username': '用户名',
    'register.password': '密码',
    'register.device': '设备名称',
    'register.device.default': '浏览器',
    'register.submit': '登录并注册',
    'register.busy': '正在注册…',
    'register.offline': '注册设备需要联网，请连接网络后再试',
    'register.failed': '注册失败：{msg}',

    'who.user': '员工',
    'who.store': '门店',
    'who.device': '设备',

    'visit.title': '开始拜访',
    'visit.lead': '到达企业或小区后开始一次拜访，拜访期间可为客户办理入会。',
    'visit.site': '拜访地点（企业 / 小区）',
    'visit.site.placeholder': '例如：华能大厦 员工停车场',
    'visit.start': '开始拜访',
    'visit.current': '拜访中',
    'visit.since': '开始于 {time}',
    'visit.end.title': '结束拜访',
    'visit.notes': '拜访记录（检查项目、客户意见等）',
    'visit.notes.placeholder': '例如：为 12 位车主做了免费检查，客户希望增加周末保养时段',
    'visit.end': '结束拜访',
    'visit.ended': '拜访已结束',
    'visit.started': '拜访已开始',

    'enroll.title': '办理入会',
    'enroll.name': '姓名',
    'enroll.phone': '手机号',
    'enroll.vin': '车架号 (VIN)',
    'enroll.plate': '车牌号',
    'enroll.tier': '会员卡类型',
    'enroll.fee': '会费（元）',
    'enroll.receipt': '收据编号',
    'enroll.card': '会员卡号',
    'enroll.card.none': '本设备的卡号已用完，请回门店领取新卡段',
    'enroll.submit': '登记入会',
    'enroll.done': '已登记 {name}，卡号 {card}',
    'enroll.need_visit': '请先开始拜访再办理入会',

    'members.title': '已登记会员',
    'members.empty': '还没有登记会员',
    'members.filter': '在本机查找：姓名、手机号、车牌或卡号',
    'members.none_found': '没有符合的会员',
    'members.more': '另有 {n} 位未显示，请输入查找',
    'members.card': '卡号',
    'members.tier': '卡类',
    'members.reason': '原因：{reason}',

    'badge.pending': '待同步',
    'badge.synced': '已同步',
    'badge.rejected': '被拒绝',
    'badge.conflict': '冲突',

    'status.pending': '待审核',
    'status.active': '有效',
    'status.lapsed': '已失效',
    'status.expired': '已过期',
    'status.withdrawn': '已退会',
    'status.void': '已作废',

    'office.login.title': '后台登录',
    'office.login.lead': '俱乐部经理、客服与财务使用门店账号登录。',
    'office.login.submit': '登录',
    'office.login.failed': '登录失败：{msg}',
    'office.offline': '后台需要联网使用',
    'office.logout': '退出登录',
    'office.search': '搜索姓名、手机号、车牌或卡号',
    'office.search.submit': '搜索',
    'office.members': '会员',
    'office.members.count': '共 {n} 位',
    'office.members.empty': '没有找到会员',
    'office.col.name': '姓名',
    'office.col.phone': '手机号',
    'office.col.plate': '车牌',
    'office.col.vin': '车架号',
    'office.col.tier': '卡类',
    'office.col.card': '卡号',
    'office.col.status': '状态',
    'office.conflicts': '待处理冲突',
    'office.conflicts.empty': '没有待处理的冲突',
    'office.conflicts.resolution': '处理办法：{text}',
    'office.resolve.keep_none': '不指定保留的记录',
    'office.resolve.keep': '保留 {name}（{card}）',
    'office.resolve.note': '处理说明（必填）',
    'office.resolve.submit': '标记为已处理',
    'office.resolve.done': '冲突已处理',
    'conflict.duplicate_vin': '一车多卡',
    'conflict.duplicate_card': '卡号重复',
    'conflict.duplicate_receipt': '收据重复',
    'office.loading': '加载中…',
    'office.failed': '加载失败：{msg}',
    'office.session_expired': '登录已过期，请重新登录',

    'error.network': '无法连接服务器',
    'error.storage': '本机存储失败：{msg}',
    'error.start': '应用启动失败：{msg}',
  },
  en: {
    'app.name': 'Car Club',
    'app.tagline': 'Member club',
    'app.updated': 'The app was updated: tap to reload',
    'lang.switch': '中文',
    'lang.switch.title': '切换到中文',
    'nav.field': 'Field',
    'nav.office': 'Office',

    'sync.online': 'Online',
    'sync.offline': 'Offline',
    'sync.pending': '{n} waiting to upload',
    'sync.nothing_pending': 'Nothing to upload',
    'sync.last': 'Last sync {time}',
    'sync.never': 'Never synced',
    'sync.running': 'Syncing…',
    'sync.synced': 'Synced',
    'sync.failed': 'Sync failed: {msg}',
    'sync.timeout': 'Sync timed out; check the network and try again',
    'sync.closed': 'The connection closed before the sync finished',
    'sync.offline_hint': 'Offline: records are kept on this device and upload when back online',
    'sync.now': 'Sync now',

    'register.title': 'Register this device',
    'register.lead': 'Sign in with your staff account once; this device receives a block of card numbers so you can enroll members offline.',
    'register.username': 'Username',
    'register.password': 'Password',
    'register.device': 'Device name',
    'register.device.default': 'Browser',
    'register.submit': 'Sign in and register',
    'register.busy': 'Registering…',
    'register.offline': 'Registering a device needs the network; connect and try again',
    'register.failed': 'Registration failed: {msg}',

    'who.user': 'Staff',
    'who.store': 'Store',
    'who.device': 'Device',

    'visit.title': 'Start a visit',
    'visit.lead': 'Start a visit when you arrive at a company or compound; enroll members during the visit.',
    'visit.site': 'Site (company / compound)',
    'visit.site.placeholder': 'e.g. Huaneng Tower staff car park',
    'visit.start': 'Start visit',
    'visit.current': 'Visit under way',
    'visit.since': 'since {time}',
    'visit.end.title': 'End the visit',
    'visit.notes': 'Notes (checks done, customer feedback…)',
    'visit.notes.placeholder': 'e.g. free checks for 12 cars; customers ask for weekend service slots',
    'visit.end': 'End visit',
    'visit.ended': 'Visit ended',
    'visit.started': 'Visit started',

    'enroll.title': 'Enroll a member',
    'enroll.name': 'Name',
    'enroll.phone': 'Mobile phone',
    'enroll.vin': 'VIN',
    'enroll.plate': 'Plate',
    'enroll.tier': 'Card tier',
    'enroll.fee': 'Fee (yuan)',
    'enroll.receipt': 'Receipt number',
    'enroll.card': 'Card number',
    'enroll.card.none': 'This device has no card numbers left; collect a new block at the store',
    'enroll.submit': 'Enroll',
    'enroll.done': 'Enrolled {name}, card {card}',
    'enroll.need_visit': 'Start a visit before enrolling',

    'members.title': 'Members enrolled',
    'members.empty': 'No members enrolled yet',
    'members.filter': 'Find on this device: name, phone, plate or card',
    'members.none_found': 'No matching member',
    'members.more': '{n} more not shown: type to find them',
    'members.card': 'Card',
    'members.tier': 'Tier',
    'members.reason': 'Reason: {reason}',

    'badge.pending': 'Pending sync',
    'badge.synced': 'Synced',
    'badge.rejected': 'Rejected',
    'badge.conflict': 'Conflict',

    'status.pending': 'Awaiting approval',
    'status.active': 'Active',
    'status.lapsed': 'Lapsed',
    'status.expired': 'Expired',
    'status.withdrawn': 'Withdrawn',
    'status.void': 'Void',

    'office.login.title': 'Back office sign in',
    'office.login.lead': 'Club managers, customer care and finance sign in with their store account.',
    'office.login.submit': 'Sign in',
    'office.login.failed': 'Sign in failed: {msg}',
    'office.offline': 'The back office needs the network',
    'office.logout': 'Sign out',
    'office.search': 'Search name, phone, plate or card',
    'office.search.submit': 'Search',
    'office.members': 'Members',
    'office.members.count': '{n} in all',
    'office.members.empty': 'No members found',
    'office.col.name': 'Name',
    'office.col.phone': 'Phone',
    'office.col.plate': 'Plate',
    'office.col.vin': 'VIN',
    'office.col.tier': 'Tier',
    'office.col.card': 'Card',
    'office.col.status': 'Status',
    'office.conflicts': 'Conflicts to resolve',
    'office.conflicts.empty': 'No conflicts to resolve',
    'office.conflicts.resolution': 'Resolution: {text}',
    'office.resolve.keep_none': 'Keep no record in particular',
    'office.resolve.keep': 'Keep {name} ({card})',
    'office.resolve.note': 'What was decided (required)',
    'office.resolve.submit': 'Mark resolved',
    'office.resolve.done': 'Conflict resolved',
    'conflict.duplicate_vin': 'Two cards for one vehicle',
    'conflict.duplicate_card': 'Card number issued twice',
    'conflict.duplicate_receipt': 'Receipt counted twice',
    'office.loading': 'Loading…',
    'office.failed': 'Could not load: {msg}',
    'office.session_expired': 'Your session expired; sign in again',

    'error.network': 'Cannot reach the server',
    'error.storage': 'Could not save on this device: {msg}',
    'error.start': 'The app could not start: {msg}',
  },
};

export const LANGS = ['zh-CN', 'en'];
const STORAGE_KEY = 'carclub.lang';

let current = (() => {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch (_) {
    // Storage unavailable (private mode): Chinese by default.
  }
  return 'zh-CN';
})();

/** The language in use. */
export function lang() {
  return current;
}

/** Switches the language and remembers the choice. */
export function setLang(next) {
  if (!LANGS.includes(next)) return;
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch (_) {
    // Not remembered; the switch still applies to this page.
  }
}

/** The string for `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = STRINGS[current][key] ?? STRINGS['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Fills every element marked with data-i18n (text), data-i18n-placeholder or data-i18n-title. */
export function translatePage(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}
