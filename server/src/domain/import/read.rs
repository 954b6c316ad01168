//! Reading a DMS export: the bytes decoded (UTF-8 with or without a byte-order mark, else GBK),
//! the CSV read as Excel writes it (quoted fields, doubled quotes, line breaks inside quotes), the
//! header matched against the documented column names in Chinese or English (`docs/import.md`),
//! and each row parsed into the domain's types. A row that does not parse is refused with its
//! file, line and reason; nothing else is decided here.

use std::collections::HashMap;

use carclub_shared::care::{VehicleFacts, VisitKind};
use carclub_shared::{
    CardNo, Money, ParseError, PersonName, Phone, Plate, ShortText, StoreId, TierId, Vin,
};
use serde::{Deserialize, Serialize};
use time::Date;

/// Which file of the export.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Customers,
    Vehicles,
    Visits,
}

impl FileKind {
    /// The kind as the API and the command line write it.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Customers => "customers",
            FileKind::Vehicles => "vehicles",
            FileKind::Visits => "visits",
        }
    }
}

/// How the file's bytes are to be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// Valid UTF-8 (with or without a byte-order mark) is read as UTF-8, anything else as GBK.
    #[default]
    Auto,
    Utf8,
    Gbk,
}

/// One uploaded or named file.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: FileKind,
    /// The file's name, as refusals name it.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why a whole file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file} is not {encoding} text")]
    Encoding {
        file: String,
        encoding: &'static str,
    },
    #[error("{file} has no {column} column (the header names it {names})")]
    MissingColumn {
        file: String,
        column: &'static str,
        names: String,
    },
    #[error("{file} is not CSV: {reason}")]
    NotCsv { file: String, reason: String },
    #[error("{kind} is given twice")]
    TwoFiles { kind: &'static str },
}

impl ReadError {
    /// The reason in Chinese, with the same values.
    pub fn describe_zh(&self) -> String {
        match self {
            ReadError::Encoding { file, encoding } => format!("{file} 不是 {encoding} 编码的文本"),
            ReadError::MissingColumn {
                file,
                column,
                names,
            } => {
                format!("{file} 缺少“{column}”列（表头可写作 {names}）")
            }
            ReadError::NotCsv { file, reason } => format!("{file} 不是 CSV 文件：{reason}"),
            ReadError::TwoFiles { kind } => format!("{kind} 文件重复提供"),
        }
    }
}

/// A row refused: where and why, in English and Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Refusal {
    pub file: String,
    pub kind: FileKind,
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
    pub reason_zh: String,
}

/// Decodes `bytes`: UTF-8 (a byte-order mark dropped) or GBK.
pub fn decode(name: &str, bytes: &[u8], encoding: Encoding) -> Result<String, ReadError> {
    let utf8 = |b: &[u8]| {
        let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
        std::str::from_utf8(b).map(str::to_owned)
    };
    let gbk = |b: &[u8]| {
        encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(b)
            .map(|s| s.into_owned())
    };
    match encoding {
        Encoding::Utf8 => utf8(bytes).map_err(|_| ReadError::Encoding {
            file: name.into(),
            encoding: "UTF-8",
        }),
        Encoding::Gbk => gbk(bytes).ok_or(ReadError::Encoding {
            file: name.into(),
            encoding: "GBK",
        }),
        Encoding::Auto => utf8(bytes)
            .ok()
            .or_else(|| gbk(bytes))
            .ok_or(ReadError::Encoding {
                file: name.into(),
                encoding: "UTF-8 or GBK",
            }),
    }
}

/// A column: its name in the docs and the header names accepted for it.
struct Column {
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
}

const fn col(name: &'static str, aliases: &'static [&'static str], required: bool) -> Column {
    Column {
        name,
        aliases,
        required,
    }
}

const CUSTOMER_COLUMNS: &[Column] = &[
    col(
        "customer_id",
        &["客户编号", "客户号", "customer_id", "customer"],
        true,
    ),
    col("name", &["姓名", "客户姓名", "name"], true),
    col(
        "phone",
        &["手机", "手机号", "电话", "phone", "mobile"],
        true,
    ),
    col("store", &["门店", "store"], false),
    col("member", &["会员", "是否会员", "member"], false),
    col("tier", &["等级", "会员等级", "tier"], false),
    col("card", &["卡号", "会员卡号", "card"], false),
    col("joined", &["入会日期", "joined"], false),
    col(
        "valid_until",
        &["有效期至", "到期日期", "valid_until"],
        false,
    ),
    col("birthday", &["生日", "birthday"], false),
    col("sms", &["短信", "接收短信", "sms"], false),
];

const VEHICLE_COLUMNS: &[Column] = &[
    col(
        "customer_id",
        &["客户编号", "客户号", "customer_id", "customer"],
        true,
    ),
    col("vin", &["vin", "车架号", "vin码"], true),
    col("plate", &["车牌", "车牌号", "plate"], true),
    col("model", &["车型", "model"], false),
    col("delivery", &["交车日期", "delivery", "delivered"], false),
    col("warranty_end", &["保修到期", "warranty_end"], false),
    col("insurance_expiry", &["保险到期", "insurance_expiry"], false),
    col("insurer", &["保险公司", "insurer"], false),
    col(
        "inspection_due",
        &["年检", "年检到期", "inspection_due"],
        false,
    ),
];

const VISIT_COLUMNS: &[Column] = &[
    col("vin", &["vin", "车架号", "vin码"], true),
    col("date", &["日期", "进厂日期", "date"], true),
    col("km", &["里程", "km", "mileage"], false),
    col("kind", &["类型", "kind", "type"], true),
    col("amount", &["金额", "amount"], false),
    col("advisor", &["顾问", "服务顾问", "advisor"], false),
    col("elsewhere", &["外店", "elsewhere"], false),
    col("elsewhere_place", &["外店地点", "elsewhere_place"], false),
];

fn columns(kind: FileKind) -> &'static [Column] {
    match kind {
        FileKind::Customers => CUSTOMER_COLUMNS,
        FileKind::Vehicles => VEHICLE_COLUMNS,
        FileKind::Visits => VISIT_COLUMNS,
    }
}

/// The documented header names of each column of `kind`, for docs and messages.
pub fn column_names(kind: FileKind) -> Vec<(&'static str, Vec<&'static str>, bool)> {
    columns(kind)
        .iter()
        .map(|c| (c.name, c.aliases.to_vec(), c.required))
        .collect()
}

/// A row with its cells by column name.
struct Row<'a> {
    cells: HashMap<&'static str, &'a str>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.cells
            .get(column)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

/// A reason a cell was refused, in both languages.
pub(crate) struct Bad {
    pub en: String,
    pub zh: String,
}

/// A column's name in Chinese, as the documented Chinese header calls it (`column` itself for a
/// name no table holds; a test checks every column of the tables has its own).
fn column_zh(column: &str) -> &str {
    match column {
        "customer_id" => "客户编号",
        "name" => "姓名",
        "phone" => "手机号",
        "store" => "门店",
        "member" => "是否会员",
        "tier" => "会员等级",
        "card" => "卡号",
        "joined" => "入会日期",
        "valid_until" => "会籍有效期至",
        "birthday" => "生日",
        "sms" => "接收短信",
        "vin" => "车架号（VIN）",
        "plate" => "车牌号",
        "model" => "车型",
        "delivery" => "交车日期",
        "warranty_end" => "保修到期",
        "insurance_expiry" => "保险到期",
        "insurer" => "保险公司",
        "inspection_due" => "年检到期",
        "date" => "进厂日期",
        "km" => "里程",
        "kind" => "类型",
        "amount" => "金额",
        "advisor" => "服务顾问",
        "elsewhere" => "外店",
        "elsewhere_place" => "外店地点",
        other => other,
    }
}

/// The Chinese of the reasons the import's own cell parsers give (dates, yes/no, visit kinds,
/// kilometres); `None` for a reason of a shared value type, which words its own.
fn import_reason_zh(reason: &str) -> Option<&'static str> {
    Some(match reason {
        DATE_REASON => "应为日期，如 2024-03-01（也可写作 2024/3/1、2024.03.01 或 20240301）",
        YES_NO_REASON => "应为“是”或“否”",
        KIND_REASON => "应为首保、定保、维修、事故或保险理赔",
        KM_REASON => "应为整数公里数（不超过 2,000,000）",
        _ => return None,
    })
}

const DATE_REASON: &str = "expected a date such as 2024-03-01";
const YES_NO_REASON: &str = "expected 是 or 否 (yes or no)";
const KIND_REASON: &str = "expected 首保, 定保, 维修, 事故 or 保险理赔";
const KM_REASON: &str = "expected whole kilometres";

impl Bad {
    /// A cell of `column` that does not parse: the column named as its Chinese header is, the
    /// value as written and the reason in each language.
    fn cell(column: &str, e: &ParseError) -> Self {
        let name = column_zh(column);
        let zh = match e {
            ParseError::Invalid { value, reason, .. } => {
                // A shared value type words its reason itself, after the name it gives the value.
                let shared = e.describe_zh();
                let why = import_reason_zh(reason).unwrap_or_else(|| {
                    shared
                        .split_once("无效：")
                        .map_or(shared.as_str(), |(_, why)| why)
                });
                format!("{name}“{value}”无效：{why}")
            }
            ParseError::Empty { .. } => format!("{name}为空"),
            ParseError::TooLong { len, max, .. } => {
                format!("{name}太长：{len} 个字符，最多 {max} 个")
            }
        };
        Self {
            en: format!("{column}: {e}"),
            zh,
        }
    }
    pub(crate) fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            zh: zh.into(),
        }
    }
}

fn required<'r, T>(
    row: &'r Row<'_>,
    column: &str,
    parse: impl FnOnce(&'r str) -> Result<T, ParseError>,
) -> Result<T, Bad> {
    match row.get(column) {
        Some(v) => parse(v).map_err(|e| Bad::cell(column, &e)),
        None => Err(Bad::new(
            format!("{column} is empty"),
            format!("{}为空", column_zh(column)),
        )),
    }
}

fn optional<'r, T>(
    row: &'r Row<'_>,
    column: &str,
    parse: impl FnOnce(&'r str) -> Result<T, ParseError>,
) -> Result<Option<T>, Bad> {
    row.get(column)
        .map(parse)
        .transpose()
        .map_err(|e| Bad::cell(column, &e))
}

fn bad_date(input: &str) -> ParseError {
    ParseError::Invalid {
        what: "date",
        value: input.chars().take(40).collect(),
        reason: DATE_REASON,
    }
}

/// A date as DMS exports write it: `2024-03-01`, `2024/3/1`, `2024.03.01` or `20240301`, with
/// any time of day after it ignored.
pub fn parse_date(input: &str) -> Result<Date, ParseError> {
    let day = input.split_whitespace().next().unwrap_or("");
    let parts: Vec<&str> = if day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) {
        vec![&day[..4], &day[4..6], &day[6..]]
    } else {
        day.split(['-', '/', '.']).collect()
    };
    let [y, m, d] = parts.as_slice() else {
        return Err(bad_date(input));
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return Err(bad_date(input));
    };
    let month = time::Month::try_from(m).map_err(|_| bad_date(input))?;
    if !(1900..=2200).contains(&y) {
        return Err(bad_date(input));
    }
    Date::from_calendar_date(y, month, d).map_err(|_| bad_date(input))
}

fn parse_yes_no(input: &str) -> Result<bool, ParseError> {
    match input.trim().to_lowercase().as_str() {
        "是" | "会员" | "y" | "yes" | "true" | "1" => Ok(true),
        "否" | "非会员" | "n" | "no" | "false" | "0" => Ok(false),
        _ => Err(ParseError::Invalid {
            what: "text",
            value: input.chars().take(40).collect(),
            reason: YES_NO_REASON,
        }),
    }
}

fn parse_kind(input: &str) -> Result<VisitKind, ParseError> {
    Ok(match input.trim().to_lowercase().as_str() {
        "首保" | "first_service" => VisitKind::FirstService,
        "定保" | "保养" | "regular_service" => VisitKind::RegularService,
        "维修" | "repair" => VisitKind::Repair,
        "事故" | "事故维修" | "accident" => VisitKind::Accident,
        "保险理赔" | "理赔" | "insurance_claim" => VisitKind::InsuranceClaim,
        _ => {
            return Err(ParseError::Invalid {
                what: "text",
                value: input.chars().take(40).collect(),
                reason: KIND_REASON,
            });
        }
    })
}

fn parse_km(input: &str) -> Result<u32, ParseError> {
    let t: String = input.chars().filter(|c| *c != ',').collect();
    let t = t
        .trim()
        .trim_end_matches("km")
        .trim_end_matches("公里")
        .trim();
    t.parse::<u32>()
        .ok()
        .filter(|km| *km <= 2_000_000)
        .ok_or(ParseError::Invalid {
            what: "text",
            value: input.chars().take(40).collect(),
            reason: KM_REASON,
        })
}

fn parse_money(input: &str) -> Result<Money, ParseError> {
    let t: String = input.chars().filter(|c| *c != ',').collect();
    Money::parse_yuan(&t)
}

/// A store named in a row: by its name or its id.
pub type Stores = HashMap<String, StoreId>;

/// A customer row.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    pub line: u64,
    /// The DMS customer number, as written (trimmed).
    pub key: String,
    pub name: PersonName,
    pub phone: Phone,
    pub store: StoreId,
    pub member: bool,
    pub tier: Option<TierId>,
    pub card: Option<CardNo>,
    pub joined: Option<Date>,
    pub valid_until: Option<Date>,
    pub birthday: Option<Date>,
    pub sms: Option<bool>,
}

/// A vehicle row.
#[derive(Debug, Clone)]
pub struct VehicleRow {
    pub line: u64,
    pub customer: String,
    pub vin: Vin,
    pub plate: Plate,
    pub facts: VehicleFacts,
}

/// A service visit row.
#[derive(Debug, Clone)]
pub struct VisitRow {
    pub line: u64,
    pub vin: Vin,
    pub on: Date,
    pub km: Option<u32>,
    pub kind: VisitKind,
    pub amount: Money,
    pub advisor: Option<String>,
    pub elsewhere: Option<(ShortText, ShortText)>,
}

/// The rows of the three files that parsed, and those refused.
#[derive(Debug, Default)]
pub struct Rows {
    pub customers: Vec<CustomerRow>,
    pub vehicles: Vec<VehicleRow>,
    pub visits: Vec<VisitRow>,
    pub refused: Vec<Refusal>,
    /// The name of each file read.
    pub files: HashMap<FileKind, String>,
    /// How many data rows each file has.
    pub totals: HashMap<FileKind, u64>,
}

impl Rows {
    pub(crate) fn refuse(&mut self, kind: FileKind, line: u64, why: Bad) {
        self.refused.push(Refusal {
            file: self.files.get(&kind).cloned().unwrap_or_default(),
            kind,
            line,
            reason: why.en,
            reason_zh: why.zh,
        });
    }
}

/// Line numbers from the byte offsets the CSV reader gives (its own line count is off after a
/// CRLF; its offset points at the record's start, or at the `\n` of the CRLF before it).
struct Lines<'t> {
    text: &'t [u8],
    counted: usize,
    newlines: u64,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text: text.as_bytes(),
            counted: 0,
            newlines: 0,
        }
    }

    /// The line (1 for the first) of the record starting at `byte`; offsets only grow.
    fn at(&mut self, byte: u64) -> u64 {
        let end = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
            .min(self.text.len());
        if end > self.counted {
            self.newlines += self.text[self.counted..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.counted = end;
        }
        self.newlines + 1
    }
}

/// Normalises a header cell: no byte-order mark, no spaces, lower case.
fn header_key(cell: &str) -> String {
    cell.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// Reads every source into rows. `default_store` is the store of rows that name none.
pub fn read(
    sources: &[Source],
    encoding: Encoding,
    stores: &Stores,
    default_store: StoreId,
) -> Result<Rows, ReadError> {
    let mut rows = Rows::default();
    for s in sources {
        if rows.files.insert(s.kind, s.name.clone()).is_some() {
            return Err(ReadError::TwoFiles {
                kind: s.kind.as_str(),
            });
        }
    }
    for s in sources {
        let text = decode(&s.name, &s.bytes, encoding)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(h)) => h,
            Some(Err(e)) => {
                return Err(ReadError::NotCsv {
                    file: s.name.clone(),
                    reason: e.to_string(),
                });
            }
            None => csv::StringRecord::new(),
        };
        let keys: Vec<String> = header.iter().map(header_key).collect();
        let mut at: Vec<(usize, &'static str)> = Vec::new();
        for c in columns(s.kind) {
            match keys.iter().position(|k| c.aliases.contains(&k.as_str())) {
                Some(i) => at.push((i, c.name)),
                None if c.required => {
                    return Err(ReadError::MissingColumn {
                        file: s.name.clone(),
                        column: c.name,
                        names: c.aliases.join(" / "),
                    });
                }
                None => {}
            }
        }
        let mut total = 0;
        let mut lines = Lines::new(&text);
        for record in records {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| lines.at(p.byte()));
                    total += 1;
                    rows.refuse(
                        s.kind,
                        line,
                        Bad::new(
                            format!("not a CSV row: {e}"),
                            format!("不是有效的 CSV 行：{e}"),
                        ),
                    );
                    continue;
                }
            };
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            total += 1;
            let line = record.position().map_or(0, |p| lines.at(p.byte()));
            let row = Row {
                cells: at
                    .iter()
                    .filter_map(|(i, name)| record.get(*i).map(|v| (*name, v)))
                    .collect(),
            };
            let parsed = match s.kind {
                FileKind::Customers => {
                    customer(&row, line, stores, default_store).map(|c| rows.customers.push(c))
                }
                FileKind::Vehicles => vehicle(&row, line).map(|v| rows.vehicles.push(v)),
                FileKind::Visits => visit(&row, line).map(|v| rows.visits.push(v)),
            };
            if let Err(why) = parsed {
                rows.refuse(s.kind, line, why);
            }
        }
        rows.totals.insert(s.kind, total);
    }
    Ok(rows)
}

fn customer(
    row: &Row<'_>,
    line: u64,
    stores: &Stores,
    default_store: StoreId,
) -> Result<CustomerRow, Bad> {
    let key = required(row, "customer_id", |s| Ok(s.to_owned()))?;
    if key.chars().count() > 16 || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Bad::new(
            format!("customer_id {key:?} is not valid: at most 16 letters, digits and dashes"),
            format!("客户编号 {key:?} 无效：最多 16 个字母、数字或短横线"),
        ));
    }
    let name = required(row, "name", PersonName::parse)?;
    let phone = required(row, "phone", Phone::parse)?;
    let store = match row.get("store") {
        None => default_store,
        Some(s) => *stores.get(s).ok_or_else(|| {
            Bad::new(
                format!("store {s:?} is not one of the group's stores"),
                format!("门店 {s:?} 不是集团的门店"),
            )
        })?,
    };
    let member = optional(row, "member", parse_yes_no)?.unwrap_or(false);
    let tier = optional(row, "tier", TierId::parse)?;
    let card = optional(row, "card", CardNo::parse)?;
    if member && card.is_none() {
        return Err(Bad::new(
            "a member needs a card number (卡号/card)",
            "会员必须有卡号（卡号/card）",
        ));
    }
    Ok(CustomerRow {
        line,
        key,
        name,
        phone,
        store,
        member,
        tier,
        card: card.filter(|_| member),
        joined: optional(row, "joined", parse_date)?,
        valid_until: optional(row, "valid_until", parse_date)?,
        birthday: optional(row, "birthday", parse_date)?,
        sms: optional(row, "sms", parse_yes_no)?,
    })
}

fn vehicle(row: &Row<'_>, line: u64) -> Result<VehicleRow, Bad> {
    Ok(VehicleRow {
        line,
        customer: required(row, "customer_id", |s| Ok(s.to_owned()))?,
        vin: required(row, "vin", Vin::parse)?,
        plate: required(row, "plate", Plate::parse)?,
        facts: VehicleFacts {
            model: optional(row, "model", ShortText::parse)?,
            delivered: optional(row, "delivery", parse_date)?,
            warranty_end: optional(row, "warranty_end", parse_date)?,
            insurance_expiry: optional(row, "insurance_expiry", parse_date)?,
            insurer: optional(row, "insurer", ShortText::parse)?,
            inspection_due: optional(row, "inspection_due", parse_date)?,
            licence_due: None,
        },
    })
}

fn visit(row: &Row<'_>, line: u64) -> Result<VisitRow, Bad> {
    let elsewhere = match optional(row, "elsewhere", ShortText::parse)? {
        Some(store) => {
            let place = optional(row, "elsewhere_place", ShortText::parse)?
                .unwrap_or_else(|| store.clone());
            Some((store, place))
        }
        None => None,
    };
    Ok(VisitRow {
        line,
        vin: required(row, "vin", Vin::parse)?,
        on: required(row, "date", parse_date)?,
        km: optional(row, "km", parse_km)?,
        kind: required(row, "kind", parse_kind)?,
        amount: optional(row, "amount", parse_money)?.unwrap_or(Money::ZERO),
        advisor: row.get("advisor").map(str::to_owned),
        elsewhere,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_dms_exports_write_them() {
        let d = Date::from_calendar_date(2024, time::Month::March, 1).unwrap();
        for s in [
            "2024-03-01",
            "2024/3/1",
            "2024.03.01",
            "20240301",
            "2024-03-01 08:30:00",
        ] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        for s in ["2024-02-30", "03/01/2024", "yesterday", "2024-13-01"] {
            assert!(parse_date(s).is_err(), "{s}");
        }
    }

    #[test]
    fn lines_are_counted_with_crlf_lf_and_breaks_inside_quotes() {
        let stores = Stores::new();
        let store = StoreId::new();
        for text in [
            "VIN,日期,类型\r\nbad,2024-01-01,首保\r\n\"x\ny\",2024-01-01,首保\r\nbad,2024-01-01,首保\r\n",
            "VIN,日期,类型\nbad,2024-01-01,首保\n\"x\ny\",2024-01-01,首保\nbad,2024-01-01,首保\n",
        ] {
            let source = Source {
                kind: FileKind::Visits,
                name: "visits.csv".into(),
                bytes: text.as_bytes().to_vec(),
            };
            let rows = read(&[source], Encoding::Auto, &stores, store).unwrap();
            let lines: Vec<u64> = rows.refused.iter().map(|r| r.line).collect();
            assert_eq!(lines, vec![2, 3, 5], "{text:?}");
        }
    }

    #[test]
    fn every_refused_cell_has_its_own_chinese_reason() {
        for kind in [FileKind::Customers, FileKind::Vehicles, FileKind::Visits] {
            for c in columns(kind) {
                assert_ne!(column_zh(c.name), c.name, "{} has no Chinese name", c.name);
            }
        }
        let mut stores = Stores::new();
        let store = StoreId::new();
        stores.insert("本店".into(), store);
        let long = "长".repeat(200);
        let files = [
            (
                FileKind::Customers,
                format!(
                    "customer_id,name,phone,store,member,tier,card,joined,valid_until,birthday,sms\n\
                     C1,张三,1380013800,,,,,,,,\n\
                     C2,张三,13800138002,别家,,,,,,,\n\
                     C3,张三,13800138003,,也许,,,,,,\n\
                     C4,张三,13800138004,,是,Gold!,A-0004,,,,\n\
                     C5,张三,13800138005,,是,,A!,,,,\n\
                     C6,张三,13800138006,,是,,,,,,\n\
                     C7,张三,13800138007,,否,,,2024-02-30,,,\n\
                     C8,张三,13800138008,,否,,,,,昨天,\n\
                     C9,张三,13800138009,,否,,,,,,可以\n\
                     C10,{long},13800138010,,否,,,,,,\n\
                     C11,,13800138011,,否,,,,,,\n\
                     C#12,张三,13800138012,,否,,,,,,\n"
                ),
            ),
            (
                FileKind::Vehicles,
                format!(
                    "customer_id,vin,plate,model,delivery,warranty_end,insurance_expiry,insurer,inspection_due\n\
                     C1,LSVAU2180N21000O5,粤B10001,,,,,,\n\
                     C1,LSVAU2180N2100001,B10001,,,,,,\n\
                     C1,LSVAU2180N2100001,粤B10001,{long},,,,,\n\
                     C1,LSVAU2180N2100001,粤B10001,,2021-13-01,,,,\n\
                     C1,LSVAU2180N2100001,粤B10001,,,x,,,\n\
                     C1,LSVAU2180N2100001,粤B10001,,,,x,,\n\
                     C1,LSVAU2180N2100001,粤B10001,,,,,{long},\n\
                     C1,LSVAU2180N2100001,粤B10001,,,,,,x\n\
                     C1,,粤B10001,,,,,,\n"
                ),
            ),
            (
                FileKind::Visits,
                format!(
                    "vin,date,km,kind,amount,advisor,elsewhere,elsewhere_place\n\
                     LSVAU2180N2100001,2025-13-01,1,首保,0,,,\n\
                     LSVAU2180N2100001,2025-01-01,很多,首保,0,,,\n\
                     LSVAU2180N2100001,2025-01-01,1,洗车,0,,,\n\
                     LSVAU2180N2100001,2025-01-01,1,首保,1.234,,,\n\
                     LSVAU2180N2100001,2025-01-01,1,首保,0,,{long},\n\
                     LSVAU2180N2100001,2025-01-01,1,首保,0,,城西,{long}\n\
                     LSVAU2180N2100001,,1,首保,0,,,\n"
                ),
            ),
        ];
        for (kind, text) in files {
            let source = Source {
                kind,
                name: "f.csv".into(),
                bytes: text.into_bytes(),
            };
            let rows = read(&[source], Encoding::Auto, &stores, store).unwrap();
            let data_lines = text_lines(kind);
            assert_eq!(
                rows.refused.len(),
                data_lines,
                "{kind:?}: {:#?}",
                rows.refused
            );
            for r in &rows.refused {
                let zh = &r.reason_zh;
                for generic in ["格式不对", "取值", "文字"] {
                    assert!(
                        !zh.contains(generic),
                        "{kind:?} line {}: {zh} ({})",
                        r.line,
                        r.reason
                    );
                }
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{kind:?} line {}: {zh}",
                    r.line
                );
                let column = r.reason.split(':').next().unwrap_or("");
                if column_zh(column) != column {
                    assert!(zh.starts_with(column_zh(column)), "{zh} ({})", r.reason);
                }
            }
        }
        let visits: Vec<String> = {
            let source = Source {
                kind: FileKind::Visits,
                name: "visits.csv".into(),
                bytes: "vin,date,kind\nLSVAU2180N2100001,2025-13-01,定保\n".into(),
            };
            let rows = read(&[source], Encoding::Auto, &stores, store).unwrap();
            rows.refused.into_iter().map(|r| r.reason_zh).collect()
        };
        assert_eq!(
            visits,
            vec![
                "进厂日期“2025-13-01”无效：应为日期，如 2024-03-01（也可写作 2024/3/1、2024.03.01 或 20240301）"
                    .to_owned()
            ]
        );
    }

    /// How many bad rows each file of the test above has.
    fn text_lines(kind: FileKind) -> usize {
        match kind {
            FileKind::Customers => 12,
            FileKind::Vehicles => 9,
            FileKind::Visits => 7,
        }
    }

    #[test]
    fn gbk_is_read_when_the_bytes_are_not_utf8() {
        let (gbk, _, _) = encoding_rs::GBK.encode("客户编号,姓名\r\nC1,张三\r\n");
        let text = decode("c.csv", &gbk, Encoding::Auto).unwrap();
        assert!(text.contains("张三"));
        let bom = b"\xEF\xBB\xBF\xE5\xBC\xA0";
        assert_eq!(decode("c.csv", bom, Encoding::Auto).unwrap(), "张");
        assert!(decode("c.csv", &gbk, Encoding::Utf8).is_err());
    }
}
