// The words of bringing customers in from the DMS (导入客户) and of the care exports. Kept under
// `imp` so they never collide with another area's words.
import type { Area } from './index'

const zh = {
  office: { nav: { imports: '导入客户' } },
  imp: {
    title: '导入客户',
    lead: '从经销商管理系统（DMS）导出的客户、车辆和进厂记录 CSV 文件（UTF-8 或 GBK 编码，表头可用中文或英文，见 docs/import.md）。先检查：列出将新增、更新、不变和被拒绝的行，被拒绝的行注明文件、行号和原因，不会写入任何数据。确认后再导入；同样的文件再次导入不会重复。',
    kinds: { customers: '客户文件', vehicles: '车辆文件', visits: '进厂记录文件' },
    columns: {
      customers: '客户编号、姓名、手机、门店、会员（是/否）、等级、卡号、入会日期、生日、短信',
      vehicles: '客户编号、VIN、车牌、车型、交车日期、保修到期、保险到期、保险公司、年检',
      visits: 'VIN、日期、里程、类型（首保/定保/维修/事故/保险理赔）、金额、顾问、外店',
    },
    encoding: '文件编码',
    auto: '自动识别',
    check: '检查（不写入）',
    start: '确认导入',
    running: '正在导入：已处理 {done} / {total} 行',
    done: '导入完成：共 {total} 行',
    finished: '导入完成',
    dryRunTitle: '检查结果（尚未导入）',
    resultTitle: '导入结果',
    file: '文件',
    added: '新增',
    updated: '更新',
    unchanged: '不变',
    refused: '拒绝',
    refusedTitle: '被拒绝的行（{n}）',
    line: '行号',
    reason: '原因',
    exportTitle: '导出关怀数据',
    exportLead: '进厂记录和关怀回访结果导出为 CSV，可直接用 Excel 打开；每次导出都记入审计日志。',
    exportVisits: '导出进厂记录',
    exportCare: '导出关怀回访结果',
    exported: '已导出，并记入审计日志',
  },
}

const en: typeof zh = {
  office: { nav: { imports: 'Import customers' } },
  imp: {
    title: 'Bring customers in',
    lead: 'CSV files of customers, vehicles and service visits exported from the dealer management system (DMS), in UTF-8 or GBK, with Chinese or English headers (docs/import.md). Check first: the rows that would be added, updated, left unchanged or refused, each refusal with its file, line and reason — nothing is written. Then import; the same files imported again change nothing.',
    kinds: { customers: 'Customers file', vehicles: 'Vehicles file', visits: 'Service visits file' },
    columns: {
      customers: 'customer_id, name, phone, store, member (yes/no), tier, card, joined, birthday, sms',
      vehicles: 'customer_id, VIN, plate, model, delivery, warranty_end, insurance_expiry, insurer, inspection_due',
      visits: 'VIN, date, km, kind (first_service/regular_service/repair/accident/insurance_claim), amount, advisor, elsewhere',
    },
    encoding: 'Encoding',
    auto: 'Detect',
    check: 'Check (writes nothing)',
    start: 'Import',
    running: 'Importing: {done} of {total} rows',
    done: 'Imported: {total} rows',
    finished: 'Import finished',
    dryRunTitle: 'Check (nothing imported yet)',
    resultTitle: 'Import result',
    file: 'File',
    added: 'Added',
    updated: 'Updated',
    unchanged: 'Unchanged',
    refused: 'Refused',
    refusedTitle: 'Refused rows ({n})',
    line: 'Line',
    reason: 'Reason',
    exportTitle: 'Export care data',
    exportLead: 'Service visits and care call outcomes as CSV that opens in Excel as it is; every export is in the audit log.',
    exportVisits: 'Export service visits',
    exportCare: 'Export care outcomes',
    exported: 'Exported, and recorded in the audit log',
  },
}

export default { 'zh-CN': zh, en } satisfies Area<typeof zh>
