// What the device says when it refuses something. client-core names the field it refused
// (`phone: phone "12345" is not valid: expected an 11-digit mobile number`) in English; this finds
// the field, so the screen can show the message there, and says the message in Chinese where it is
// one the domain is known to give (the same words as shared's `ParseError::describe_zh`).
import common from '@/locales/common'

/** A device refusal: the field it names (if any) and its message in the language asked for. */
export interface DeviceProblem {
  field: string | null
  message: string
}

/** The field names client-core uses, as the enrollment and visit forms call them. */
const FIELDS: Record<string, string> = {
  name: 'name',
  phone: 'phone',
  vin: 'vin',
  plate: 'plate',
  tier: 'tier',
  fee: 'fee',
  fee_fen: 'fee',
  receipt: 'receipt',
  card: 'card',
  id_number: 'id_number',
  model: 'model',
  site: 'site',
  notes: 'notes',
  company: 'company',
  documents: 'documents',
  channel: 'channel',
  referrer: 'referrer',
  member: 'member',
  checks: 'checks',
  recommended: 'recommended',
  benefit: 'benefit',
  count: 'count',
  value: 'value',
}

const WHAT_ZH: Record<string, string> = {
  phone: '手机号',
  VIN: '车架号（VIN）',
  plate: '车牌号',
  'card number': '卡号',
  'receipt number': '收据号',
  tier: '会员等级',
  text: '文字',
  'ID number': '身份证号',
  amount: '金额',
  CompanyId: '企业编号',
}

/** The pre-inspection's checks by their Chinese names, as every screen shows them. */
const ITEM_ZH: Record<string, string> = common['zh-CN'].check

const REASON_ZH: Record<string, string> = {
  'expected an 11-digit mobile number': '应为 11 位手机号码',
  'a mobile number starts with 13 to 19': '手机号码以 13 至 19 开头',
  'a VIN has 17 characters': '车架号为 17 位',
  'only digits and letters': '只能包含数字和字母',
  'the letters I, O and Q are never used': '车架号中不使用字母 I、O、Q',
  'must start with a province character': '应以省份简称开头',
  'the second character is the city letter': '第二位应为城市字母',
  'expected 5 or 6 letters and digits after the city letter': '城市字母后应有 5 或 6 位字母和数字',
  '4 to 20 letters, digits and dashes': '应为 4 至 20 位字母、数字或短横线',
  '1 to 32 letters, digits and dashes': '应为 1 至 32 位字母、数字或短横线',
  'lower-case letters, digits, - and _': '只能包含小写字母、数字、- 和 _',
  'control characters are not allowed': '不能包含控制字符',
  'expected 17 digits and a check character': '应为 17 位数字加 1 位校验码',
  'the check character does not match': '校验码不符',
  'expected yuan with at most two decimals': '应为以元为单位、最多两位小数的金额',
  'too large': '数值过大',
  'not a UUID': '不是有效的编号（UUID）',
}

/** The Chinese of one of the device's English messages, or `null` when it is not a known one. */
export function deviceMessageZh(message: string): string | null {
  let m: RegExpMatchArray | null
  // What the server tells a device when it could not save an upload (its code, a colon, words).
  if (message.startsWith('disk_full:')) {
    return '服务器磁盘已满，这次同步的记录没有保存；记录仍在本机，下次同步时会重新上传'
  }
  if (message.startsWith('store_reopened:')) return '服务器磁盘出错后已重新打开存储，请再同步一次'
  if (message.startsWith('not_saved:')) return '服务器暂时无法保存记录；记录仍在本机，下次同步时会重新上传'

  if ((m = message.match(/^(.+) must not be empty$/)) && WHAT_ZH[m[1]]) return `${WHAT_ZH[m[1]]}不能为空`
  if ((m = message.match(/^(.+) is too long: (\d+) characters, at most (\d+)$/)) && WHAT_ZH[m[1]]) {
    return `${WHAT_ZH[m[1]]}太长：${m[2]} 个字符，最多 ${m[3]} 个`
  }
  if ((m = message.match(/^(.+?) (".*") is not valid: (.+)$/)) && WHAT_ZH[m[1]]) {
    return `${WHAT_ZH[m[1]]} ${m[2]} 无效：${REASON_ZH[m[3]] ?? '格式不对'}`
  }
  if ((m = message.match(/^the (.+) fee is (.+), not (.+)$/))) return `${m[1]}的会费是 ${m[2]}，不是 ${m[3]}`
  if ((m = message.match(/^the (.+) tier cannot be bought$/))) return `${m[1]}不能在现场办理`
  if (message === 'write a receipt for the fee collected') return '收了会费，请填写收据编号'
  if ((m = message.match(/^(.+) is not in this device's card block$/))) return `卡号 ${m[1]} 不在本设备的卡段内`
  if ((m = message.match(/^(.+) was already issued on this device$/))) return `卡号 ${m[1]} 已在本设备发放过`
  if ((m = message.match(/^a visit at (.+) is in progress: end it first$/))) return `正在拜访 ${m[1]}，请先结束拜访`
  if (message.startsWith('a car bought here is enrolled on its purchase invoice')) {
    return '购车入会须查验购车发票：查验后请勾选'
  }
  if (message === 'choose the member who referred them') return '请选择推荐人'
  if ((m = message.match(/^(.+) is not a member this device knows$/))) return `本设备没有这位会员（${m[1]}）`
  if ((m = message.match(/^the checklist has no ([a-z_]+) check$/))) return `预检清单缺少“${ITEM_ZH[m[1]] ?? m[1]}”`
  if ((m = message.match(/^the checklist has ([a-z_]+) twice$/))) return `预检清单中“${ITEM_ZH[m[1]] ?? m[1]}”重复`
  if ((m = message.match(/^(.+) is not a vehicle of (.+)$/))) return `车辆 ${m[1]} 不在 ${m[2]} 名下`
  if ((m = message.match(/^(.+) has (\d+) of (.+) left this year$/))) return `${m[1]} 今年的“${m[3]}”只剩 ${m[2]} 次`
  if ((m = message.match(/^(.+) cannot use (.+) today$/))) return `${m[1]} 今天不能使用“${m[2]}”`
  if (message === 'use it at least once') return '至少使用一次'
  if (message === 'the value cannot be negative') return '金额不能为负数'
  if (message === 'no visit is in progress: start one first') return '请先开始拜访再办理入会'
  if (message.startsWith('this device has no unused card numbers left')) {
    return '本设备的卡号已用完，请向俱乐部经理领取新卡段'
  }
  if (message.startsWith('this device is not registered')) return '本设备尚未注册'
  if (message === 'this device is already registered') return '本设备已注册'
  if ((m = message.match(/^the device's local data is damaged: (.+)$/))) return `本机数据已损坏：${m[1]}`
  if ((m = message.match(/^the server sent something this device cannot read: (.+)$/))) {
    return `服务器发来的数据本设备无法读取：${m[1]}`
  }
  return null
}

/**
 * Reads a device error: the field it names (`phone: …`) as the forms call it, and the message in
 * `locale` (Chinese where known, else the device's own English words).
 */
export function deviceProblem(err: unknown, locale: string): DeviceProblem {
  const text = err instanceof Error ? err.message : String(err)
  const match = /^([a-z_]+): ([\s\S]*)$/.exec(text)
  const field = match ? (FIELDS[match[1]] ?? null) : null
  const body = match && field ? match[2] : text
  const zh = locale.startsWith('zh') ? deviceMessageZh(body) : null
  return { field, message: zh ?? body }
}
