//! Domain value types that carry their rules: each is a newtype with a private field, built only
//! through a fallible constructor, and `Deserialize` goes through that constructor, so a value of the
//! type is always valid (parse, don't validate).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, OffsetDateTime, UtcOffset};

/// Why a value could not be parsed into a domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} is too long: {len} characters, at most {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what} {value:?} is not valid: {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
}

fn invalid(what: &'static str, value: &str, reason: &'static str) -> ParseError {
    let mut value = value.to_owned();
    if value.chars().count() > 40 {
        value = value.chars().take(40).collect::<String>() + "…";
    }
    ParseError::Invalid {
        what,
        value,
        reason,
    }
}

impl ParseError {
    /// The error in Chinese, with the same values.
    pub fn describe_zh(&self) -> String {
        match self {
            ParseError::Empty { what } => format!("{}不能为空", what_zh(what)),
            ParseError::TooLong { what, len, max } => {
                format!("{}太长：{len} 个字符，最多 {max} 个", what_zh(what))
            }
            ParseError::Invalid {
                what,
                value,
                reason,
            } => format!("{} {value:?} 无效：{}", what_zh(what), reason_zh(reason)),
        }
    }

    /// The Chinese of a `ParseError`'s English message, as a deserializer carries it on (a custom
    /// error keeps only the words); `None` when `message` is not one.
    pub fn message_zh(message: &str) -> Option<String> {
        let known = |what: &str| WHATS.iter().find(|w| **w == what).copied();
        if let Some(what) = message.strip_suffix(" must not be empty") {
            return known(what).map(|what| ParseError::Empty { what }.describe_zh());
        }
        if let Some((what, rest)) = message.split_once(" is too long: ") {
            let (len, max) = rest.split_once(" characters, at most ")?;
            return Some(
                ParseError::TooLong {
                    what: known(what)?,
                    len: len.parse().ok()?,
                    max: max.parse().ok()?,
                }
                .describe_zh(),
            );
        }
        let (subject, reason) = message.split_once(" is not valid: ")?;
        let what = WHATS.iter().find(|w| {
            subject
                .strip_prefix(**w)
                .is_some_and(|v| v.starts_with(" \""))
        })?;
        // The value is quoted as `Debug` quotes it; it is kept as written.
        let value = &subject[what.len() + 1..];
        Some(format!(
            "{} {value} 无效：{}",
            what_zh(what),
            reason_zh(reason)
        ))
    }
}

/// Everything a [`ParseError`] may name.
const WHATS: &[&str] = &[
    "phone",
    "VIN",
    "plate",
    "card number",
    "receipt number",
    "tier",
    "benefit",
    "text",
    "ID number",
    "amount",
    "time",
    "MemberId",
    "DeviceId",
    "EventId",
    "VisitId",
    "UserId",
    "CompanyId",
    "StoreId",
];

/// What a [`ParseError`] names, in Chinese.
fn what_zh(what: &str) -> &'static str {
    match what {
        "phone" => "手机号",
        "VIN" => "车架号（VIN）",
        "plate" => "车牌号",
        "card number" => "卡号",
        "receipt number" => "收据号",
        "tier" => "会员等级",
        "benefit" => "权益",
        "text" => "文字",
        "ID number" => "身份证号",
        "amount" => "金额",
        "time" => "时间",
        "MemberId" => "会员编号",
        "DeviceId" => "设备编号",
        "EventId" => "事件编号",
        "VisitId" => "上门服务编号",
        "UserId" => "用户编号",
        "CompanyId" => "企业编号",
        "StoreId" => "门店编号",
        _ => "取值",
    }
}

/// Why a value is not valid, in Chinese.
fn reason_zh(reason: &str) -> &'static str {
    match reason {
        "not a UUID" => "不是有效的编号（UUID）",
        "expected an 11-digit mobile number" => "应为 11 位手机号码",
        "a mobile number starts with 13 to 19" => "手机号码以 13 至 19 开头",
        "a VIN has 17 characters" => "车架号为 17 位",
        "only digits and letters" => "只能包含数字和字母",
        "the letters I, O and Q are never used" => "车架号中不使用字母 I、O、Q",
        "must start with a province character" => "应以省份简称开头",
        "the second character is the city letter" => "第二位应为城市字母",
        "expected 5 or 6 letters and digits after the city letter" => {
            "城市字母后应有 5 或 6 位字母和数字"
        }
        "4 to 20 letters, digits and dashes" => "应为 4 至 20 位字母、数字或短横线",
        "1 to 32 letters, digits and dashes" => "应为 1 至 32 位字母、数字或短横线",
        "lower-case letters, digits, - and _" => "只能包含小写字母、数字、- 和 _",
        "control characters are not allowed" => "不能包含控制字符",
        "expected 17 digits and a check character" => "应为 17 位数字加 1 位校验码",
        "the check character does not match" => "校验码不符",
        "expected yuan with at most two decimals" => "应为以元为单位、最多两位小数的金额",
        "too large" => "数值过大",
        "expected RFC 3339 (2026-01-31T09:00:00+08:00) or a date" => {
            "应为 RFC 3339 时间（如 2026-01-31T09:00:00+08:00）或日期"
        }
        _ => "格式不对",
    }
}

/// Implements `Display`, `FromStr`, `Serialize` and `Deserialize` for a string newtype with a `parse`.
macro_rules! string_type {
    ($name:ident) => {
        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                Self::parse(s)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Identifiers: UUIDv7, so they sort by creation time.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A fresh identifier (UUIDv7).
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
            /// The sixteen bytes of the identifier.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
            /// The identifier from its sixteen bytes.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(uuid::Uuid::from_bytes(bytes))
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                uuid::Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| invalid(stringify!($name), s, "not a UUID"))
            }
        }
    };
}

id_type!(
    /// A member (a person holding one or more cards).
    MemberId
);
id_type!(
    /// A registered device (a field phone, a browser, the command-line device).
    DeviceId
);
id_type!(
    /// One domain event.
    EventId
);
id_type!(
    /// One on-site visit.
    VisitId
);
id_type!(
    /// A person who logs in: staff or member.
    UserId
);
id_type!(
    /// A company under a corporate agreement (大客户协议): the agreement's id. Members enrolled on
    /// site at the company belong to it; field staff may be assigned to it.
    CompanyId
);
id_type!(
    /// A store (4S店), a branch of the club.
    StoreId
);
id_type!(
    /// A club event (活动) members are invited to.
    ActivityId
);

/// A mainland mobile number: eleven digits starting with 1. Spaces, dashes and a +86 prefix are
/// accepted on input and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);
string_type!(Phone);

impl Phone {
    /// Parses a phone number.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let mut digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.is_empty() {
            return Err(ParseError::Empty { what: "phone" });
        }
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = rest.to_owned();
        }
        if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "phone",
                input,
                "expected an 11-digit mobile number",
            ));
        }
        if !digits.starts_with('1') || digits.as_bytes()[1] < b'3' {
            return Err(invalid(
                "phone",
                input,
                "a mobile number starts with 13 to 19",
            ));
        }
        Ok(Self(digits))
    }

    /// The number with its middle four digits hidden, for roles that do not need it.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// A vehicle identification number: 17 characters, digits and capital letters except I, O and Q.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vin(String);
string_type!(Vin);

impl Vin {
    /// Parses a VIN; lower case is accepted and upper-cased.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let vin = input.trim().to_ascii_uppercase();
        if vin.is_empty() {
            return Err(ParseError::Empty { what: "VIN" });
        }
        if vin.len() != 17 {
            return Err(invalid("VIN", input, "a VIN has 17 characters"));
        }
        if !vin
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(invalid("VIN", input, "only digits and letters"));
        }
        if vin.bytes().any(|b| matches!(b, b'I' | b'O' | b'Q')) {
            return Err(invalid(
                "VIN",
                input,
                "the letters I, O and Q are never used",
            ));
        }
        Ok(Self(vin))
    }
}

const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领";

/// A mainland licence plate such as 粤B12345 or 粤BD12345 (new energy). Spaces and the middle dot
/// are accepted on input and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Plate(String);
string_type!(Plate);

impl Plate {
    /// Parses a plate.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let plate: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '·' | '-' | '•'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if plate.is_empty() {
            return Err(ParseError::Empty { what: "plate" });
        }
        let mut chars = plate.chars();
        let province = chars.next().unwrap_or(' ');
        if !PROVINCES.contains(province) {
            return Err(invalid(
                "plate",
                input,
                "must start with a province character",
            ));
        }
        if !chars.next().is_some_and(|c| c.is_ascii_uppercase()) {
            return Err(invalid(
                "plate",
                input,
                "the second character is the city letter",
            ));
        }
        let rest: Vec<char> = chars.collect();
        let special = |c: char| "挂学警港澳领".contains(c);
        let body_len = rest.iter().filter(|c| !special(**c)).count();
        let ok_chars = rest.iter().enumerate().all(|(i, c)| {
            (c.is_ascii_digit() || (c.is_ascii_uppercase() && *c != 'I' && *c != 'O'))
                || (i == rest.len() - 1 && special(*c))
        });
        if !(4..=6).contains(&body_len) || !ok_chars {
            return Err(invalid(
                "plate",
                input,
                "expected 5 or 6 letters and digits after the city letter",
            ));
        }
        Ok(Self(plate))
    }
}

/// A membership card number: 4 to 20 capital letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardNo(String);
string_type!(CardNo);

impl CardNo {
    /// Parses a card number.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let card = input.trim().to_ascii_uppercase();
        if card.is_empty() {
            return Err(ParseError::Empty {
                what: "card number",
            });
        }
        if !(4..=20).contains(&card.len())
            || !card
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'-')
        {
            return Err(invalid(
                "card number",
                input,
                "4 to 20 letters, digits and dashes",
            ));
        }
        Ok(Self(card))
    }

    /// The card number printed from a block's prefix and a serial number.
    pub fn from_serial(prefix: &str, serial: u64) -> Result<Self, ParseError> {
        Self::parse(&format!("{prefix}{serial:08}"))
    }
}

/// The number written on a paper fee receipt.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptNo(String);
string_type!(ReceiptNo);

impl ReceiptNo {
    /// Parses a receipt number: 1 to 32 letters, digits and dashes.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let r = input.trim().to_ascii_uppercase();
        if r.is_empty() {
            return Err(ParseError::Empty {
                what: "receipt number",
            });
        }
        if r.len() > 32 || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(invalid(
                "receipt number",
                input,
                "1 to 32 letters, digits and dashes",
            ));
        }
        Ok(Self(r))
    }
}

/// Parses a program key: 1 to 32 lower-case letters, digits, `-` and `_`.
fn parse_key(what: &'static str, input: &str) -> Result<String, ParseError> {
    let t = input.trim();
    if t.is_empty() {
        return Err(ParseError::Empty { what });
    }
    if t.len() > 32
        || !t
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(invalid(what, input, "lower-case letters, digits, - and _"));
    }
    Ok(t.to_owned())
}

/// A tier id of a program, such as `standard` or `gold`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TierId(String);
string_type!(TierId);

impl TierId {
    /// Parses a tier id: 1 to 32 lower-case letters, digits, `-` and `_`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        parse_key("tier", input).map(Self)
    }
}

/// A benefit id of a program, such as `labor_discount` or `free_wash`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BenefitId(String);
string_type!(BenefitId);

impl BenefitId {
    /// Parses a benefit id: 1 to 32 lower-case letters, digits, `-` and `_`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        parse_key("benefit", input).map(Self)
    }
}

/// Reads an integer of type `T` from any integer, or from a float with no fractional part that
/// `T` holds exactly (`158.0`, which JSON Schema counts as an integer). Formats that are not
/// self-describing hand it the integer they were asked for.
struct IntegralVisitor<T> {
    expecting: &'static str,
    ty: std::marker::PhantomData<T>,
}

impl<T> IntegralVisitor<T> {
    const fn new(expecting: &'static str) -> Self {
        Self {
            expecting,
            ty: std::marker::PhantomData,
        }
    }
}

impl<T: TryFrom<i64> + TryFrom<u64>> serde::de::Visitor<'_> for IntegralVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        // 2^63, exact as a float: below it in magnitude, an integral float casts exactly.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        let exact = if v.fract() != 0.0 || !(-LIMIT..2.0 * LIMIT).contains(&v) {
            None
        } else if v < 0.0 {
            T::try_from(v as i64).ok()
        } else {
            T::try_from(v as u64).ok()
        };
        exact.ok_or_else(|| E::invalid_value(serde::de::Unexpected::Float(v), &self))
    }
}

/// Reads an integer field that JSON may also write as an integral float (`158.0`, which JSON
/// Schema counts as an integer); a fraction or an out-of-range number is refused. For
/// self-describing formats (JSON): use as `#[serde(deserialize_with = "integral")]`.
pub fn integral<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    d.deserialize_any(IntegralVisitor::<T>::new("a whole number in range"))
}

/// [`integral`] for an optional field (`null` or absent is `None`; pair it with
/// `#[serde(default)]`).
pub fn integral_opt<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    struct Whole<T>(T);
    impl<'de, T: TryFrom<i64> + TryFrom<u64>> Deserialize<'de> for Whole<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            integral(d).map(Whole)
        }
    }
    Ok(Option::<Whole<T>>::deserialize(d)?.map(|w| w.0))
}

/// A number of club points. Unsigned, so a balance can never be negative: an overdraw is a
/// violation to resolve, not a negative number.
///
/// Read from an integer, or from a number with no fractional part such as `120.0` (JSON does not
/// tell them apart); a fraction, a negative or an out-of-range number is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Points(u64);

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let visitor = IntegralVisitor::<u64>::new("a whole number of points");
        // Self-describing formats (JSON, and the buffer serde reads tagged enums through) say what
        // kind of number they hold; binary ones are asked for the integer.
        if d.is_human_readable() {
            d.deserialize_any(visitor).map(Points)
        } else {
            d.deserialize_u64(visitor).map(Points)
        }
    }
}

impl Points {
    /// No points.
    pub const ZERO: Points = Points(0);

    /// A number of points.
    pub const fn new(points: u64) -> Self {
        Self(points)
    }
    /// The number of points.
    pub const fn get(self) -> u64 {
        self.0
    }
    /// The points left after taking `rhs`, or `None` when there are not enough.
    pub fn checked_sub(self, rhs: Points) -> Option<Points> {
        self.0.checked_sub(rhs.0).map(Points)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::ops::Add for Points {
    type Output = Points;
    fn add(self, rhs: Points) -> Points {
        Points(self.0.saturating_add(rhs.0))
    }
}
impl std::ops::AddAssign for Points {
    fn add_assign(&mut self, rhs: Points) {
        *self = *self + rhs;
    }
}
impl std::iter::Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, |a, b| a + b)
    }
}

/// Trimmed text of one line, 1 to `MAX` characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// Parses the text.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let t = input.trim();
        if t.is_empty() {
            return Err(ParseError::Empty { what: "text" });
        }
        let len = t.chars().count();
        if len > MAX {
            return Err(ParseError::TooLong {
                what: "text",
                len,
                max: MAX,
            });
        }
        if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(invalid("text", input, "control characters are not allowed"));
        }
        Ok(Self(t.to_owned()))
    }
}
impl<const MAX: usize> Text<MAX> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl<const MAX: usize> FromStr for Text<MAX> {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::parse(s)
    }
}
impl<const MAX: usize> Serialize for Text<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A name, a site, a company: up to 100 characters.
pub type ShortText = Text<100>;
/// Notes and feedback: up to 2,000 characters.
pub type LongText = Text<2000>;

/// A person's name: 1 to 50 characters.
pub type PersonName = Text<50>;

/// A mainland resident ID number (18 characters, ISO 7064 MOD 11-2 check character).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);
string_type!(IdNumber);

impl IdNumber {
    /// Parses an ID number and checks its check character.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let id = input.trim().to_ascii_uppercase();
        if id.is_empty() {
            return Err(ParseError::Empty { what: "ID number" });
        }
        let b = id.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
            return Err(invalid(
                "ID number",
                input,
                "expected 17 digits and a check character",
            ));
        }
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = b[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        let check = b"10X98765432"[(sum % 11) as usize];
        if b[17] != check {
            return Err(invalid(
                "ID number",
                input,
                "the check character does not match",
            ));
        }
        Ok(Self(id))
    }

    /// The number with all but the first and last four characters hidden.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }
}

/// An amount of money in fen (0.01 yuan). Never a float: read from an integer, or from a number
/// with no fractional part such as `18000.0` (JSON does not tell them apart); a fraction of a fen
/// or an out-of-range number is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = 18000))]
#[serde(transparent)]
pub struct Money(i64);

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let visitor = IntegralVisitor::<i64>::new("a whole number of fen");
        // As for `Points`: self-describing formats say what kind of number they hold.
        if d.is_human_readable() {
            d.deserialize_any(visitor).map(Money)
        } else {
            d.deserialize_i64(visitor).map(Money)
        }
    }
}

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(0);

    /// An amount in fen.
    pub const fn from_fen(fen: i64) -> Self {
        Self(fen)
    }
    /// An amount in whole yuan.
    pub const fn from_yuan(yuan: i64) -> Self {
        Self(yuan * 100)
    }
    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }
    /// Whole yuan, rounded down.
    pub const fn whole_yuan(self) -> i64 {
        self.0.div_euclid(100)
    }
    /// Parses an amount of yuan such as `180`, `180.5` or `¥180.50`.
    pub fn parse_yuan(input: &str) -> Result<Self, ParseError> {
        let t = input.trim().trim_start_matches(['¥', '￥']).trim();
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole)
            || (!frac.is_empty() && !digits(frac))
            || frac.len() > 2
            || whole.len() > 12
        {
            return Err(invalid(
                "amount",
                input,
                "expected yuan with at most two decimals",
            ));
        }
        let whole: i64 = whole
            .parse()
            .map_err(|_| invalid("amount", input, "too large"))?;
        let frac: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
        Ok(Self(whole * 100 + frac))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}¥{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}
impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}
impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// The stores' business time zone (China Standard Time, UTC+8): "today" and expiry dates are
/// counted in it.
pub const BUSINESS_OFFSET: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// An instant, as milliseconds since the Unix epoch (UTC). Written as RFC 3339 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(value_type = String, format = DateTime, example = "2026-03-01T10:00:00+08:00")
)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant from milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }
    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }
    /// The instant as a date-time in UTC.
    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
    /// The instant from a date-time.
    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        Self((dt.unix_timestamp_nanos() / 1_000_000) as i64)
    }
    /// The business day (UTC+8) this instant falls on.
    pub fn date(self) -> Date {
        self.to_datetime().to_offset(BUSINESS_OFFSET).date()
    }
    /// The start of a business day (00:00 UTC+8).
    pub fn start_of(date: Date) -> Self {
        Self::from_datetime(date.midnight().assume_offset(BUSINESS_OFFSET))
    }
    /// Parses RFC 3339 text, or a plain date (the start of that business day).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let t = input.trim();
        if let Some(nanos) = datetime_text::parse_rfc3339_nanos(t) {
            return Ok(Self((nanos / 1_000_000) as i64));
        }
        datetime_text::parse_date(t)
            .map(Self::start_of)
            .ok_or_else(|| {
                invalid(
                    "time",
                    input,
                    "expected RFC 3339 (2026-01-31T09:00:00+08:00) or a date",
                )
            })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match datetime_text::format_rfc3339(i128::from(self.0) * 1_000_000, BUSINESS_OFFSET) {
            Some(s) => f.write_str(&s),
            None => write!(f, "{}ms", self.0),
        }
    }
}
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde for `time::Date` as `YYYY-MM-DD` text: `#[serde(with = "crate::types::iso_date")]`.
pub mod iso_date;

/// RFC 3339 and `YYYY-MM-DD` text without `time`'s general parser and formatter.
pub mod datetime_text;

#[cfg(feature = "openapi")]
pub mod openapi;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_accepts_formats_and_rejects_others() {
        assert_eq!(
            Phone::parse("+86 138-0013-8000").unwrap().as_str(),
            "13800138000"
        );
        assert!(Phone::parse("1380013800").is_err());
        assert!(Phone::parse("12800138000").is_err());
        assert!(Phone::parse("").is_err());
        assert_eq!(Phone::parse("13800138000").unwrap().masked(), "138****8000");
    }

    #[test]
    fn vin_rules() {
        assert_eq!(
            Vin::parse("lsvau2180n2183294").unwrap().as_str(),
            "LSVAU2180N2183294"
        );
        assert!(Vin::parse("LSVAU2180N218329").is_err());
        assert!(Vin::parse("LSVAU2180N218329O").is_err());
        assert!(Vin::parse("LSVAU2180N21832-4").is_err());
    }

    #[test]
    fn plate_rules() {
        assert_eq!(Plate::parse("粤B·12345").unwrap().as_str(), "粤B12345");
        assert!(Plate::parse("粤BD12345").is_ok());
        assert!(Plate::parse("粤B1234学").is_ok());
        assert!(Plate::parse("XB12345").is_err());
        assert!(Plate::parse("粤B12").is_err());
        assert!(Plate::parse("粤B12I45").is_err());
    }

    #[test]
    fn id_number_check_character() {
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("110105194912310021").is_err());
    }

    #[test]
    fn money_parses_yuan_and_prints() {
        assert_eq!(Money::parse_yuan("180").unwrap().fen(), 18000);
        assert_eq!(Money::parse_yuan("¥180.5").unwrap().fen(), 18050);
        assert!(Money::parse_yuan("1.234").is_err());
        assert!(Money::parse_yuan("-1").is_err());
        assert_eq!(Money::from_fen(18005).to_string(), "¥180.05");
    }

    #[test]
    fn timestamps_round_trip_in_business_time() {
        let t = Timestamp::parse("2026-01-31T23:30:00Z").unwrap();
        assert_eq!(t.date().to_string(), "2026-02-01");
        let back: Timestamp = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        assert_eq!(
            Timestamp::parse("2026-02-01").unwrap().date().to_string(),
            "2026-02-01"
        );
    }

    #[test]
    fn deserialize_goes_through_parse() {
        assert!(serde_json::from_str::<Vin>("\"short\"").is_err());
        assert!(serde_json::from_str::<ShortText>("\"\"").is_err());
        let long = format!("\"{}\"", "字".repeat(101));
        assert!(serde_json::from_str::<ShortText>(&long).is_err());
    }

    #[test]
    fn money_and_points_take_integral_floats_only() {
        let money = |j: &str| serde_json::from_str::<Money>(j).ok();
        assert_eq!(money("221"), Some(Money::from_fen(221)));
        assert_eq!(money("221.0"), Some(Money::from_fen(221)));
        assert_eq!(money("-1300.0"), Some(Money::from_fen(-1300)));
        assert_eq!(money("2.21e2"), Some(Money::from_fen(221)));
        assert_eq!(money("221.5"), None);
        assert_eq!(money("1e19"), None);
        assert_eq!(money("-1e19"), None);
        assert_eq!(money("18446744073709551615"), None);
        assert_eq!(money("\"221\""), None);
        let points = |j: &str| serde_json::from_str::<Points>(j).ok();
        assert_eq!(points("120"), Some(Points::new(120)));
        assert_eq!(points("120.0"), Some(Points::new(120)));
        assert_eq!(points("18446744073709551615"), Some(Points::new(u64::MAX)));
        assert_eq!(
            points("1e19"),
            Some(Points::new(10_000_000_000_000_000_000))
        );
        assert_eq!(points("0.5"), None);
        assert_eq!(points("-1"), None);
        assert_eq!(points("-1.0"), None);
        assert_eq!(points("2e19"), None);
        // Through a JSON value, as the server reads bodies, and from a plain integer.
        let v = serde_json::json!({ "fee": 18000.0 });
        assert_eq!(
            serde_json::from_value::<Money>(v["fee"].clone()).ok(),
            Some(Money::from_fen(18000))
        );
        let d = serde::de::value::I64Deserializer::<serde::de::value::Error>::new(-5);
        assert_eq!(Money::deserialize(d), Ok(Money::from_fen(-5)));
    }

    #[test]
    fn every_parse_error_reads_in_chinese_also_from_its_message() {
        let errors = [
            Phone::parse("").unwrap_err(),
            Phone::parse("123").unwrap_err(),
            Phone::parse("10012345678").unwrap_err(),
            Vin::parse("").unwrap_err(),
            Vin::parse("ABC").unwrap_err(),
            Vin::parse("LSVAU2180N2-83432").unwrap_err(),
            Vin::parse("LSVAU2180N2I83432").unwrap_err(),
            Plate::parse("").unwrap_err(),
            Plate::parse("XA12345").unwrap_err(),
            Plate::parse("沪112345").unwrap_err(),
            Plate::parse("沪A1").unwrap_err(),
            CardNo::parse("").unwrap_err(),
            CardNo::parse("x").unwrap_err(),
            ReceiptNo::parse("").unwrap_err(),
            ReceiptNo::parse("a b").unwrap_err(),
            TierId::parse("").unwrap_err(),
            BenefitId::parse("Free Wash").unwrap_err(),
            Text::<8>::parse("").unwrap_err(),
            Text::<8>::parse("123456789").unwrap_err(),
            Text::<8>::parse("a\u{7}b").unwrap_err(),
            IdNumber::parse("").unwrap_err(),
            IdNumber::parse("12345").unwrap_err(),
            IdNumber::parse("110101199003070000").unwrap_err(),
            Money::parse_yuan("1.234").unwrap_err(),
            Money::parse_yuan("99999999999999999999").unwrap_err(),
            Timestamp::parse("yesterday").unwrap_err(),
            "nope".parse::<MemberId>().unwrap_err(),
            "nope".parse::<StoreId>().unwrap_err(),
        ];
        for e in errors {
            let zh = e.describe_zh();
            assert!(
                !zh.contains("格式不对") && !zh.starts_with("取值"),
                "{e} has no Chinese of its own: {zh}"
            );
            assert_eq!(ParseError::message_zh(&e.to_string()), Some(zh), "{e}");
        }
        assert_eq!(ParseError::message_zh("invalid type: string"), None);
    }
}
