//! OpenAPI schemas (utoipa) of the string value types, which serialize as their canonical text.
//!
//! Each pattern is one that every canonical value matches and that every matching value parses:
//! whatever a client generates from the schema is accepted, and whatever the server writes
//! conforms. Parsing is more lenient than the pattern (surrounding spaces, lower case, phone
//! separators); the JSON written is always the canonical form. A regular expression cannot state
//! an ID number's check character, so that rule is only described.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use super::*;

fn text_schema(
    description: &str,
    pattern: &str,
    min: usize,
    max: usize,
    example: &str,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .min_length(Some(min))
        .max_length(Some(max))
        .examples([serde_json::Value::from(example)])
        .into()
}

macro_rules! string_schema {
    ($name:ident, $description:expr, $pattern:expr, $min:expr, $max:expr, $example:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                text_schema($description, $pattern, $min, $max, $example)
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

string_schema!(
    Phone,
    "A mainland mobile number: eleven digits, 13 to 19 first. Spaces, dashes and a +86 prefix are \
     accepted on input and dropped.",
    "^1[3-9][0-9]{9}$",
    11,
    11,
    "13800138000"
);
string_schema!(
    Vin,
    "A vehicle identification number: 17 digits and letters except I, O and Q; written in \
     capitals.",
    "^[0-9A-HJ-NPR-Za-hj-npr-z]{17}$",
    17,
    17,
    "LSVAU2180N2183294"
);
string_schema!(
    Plate,
    "A mainland licence plate: a province character, the city letter, 4 to 6 letters (not I or O) \
     and digits, and an optional special character (挂学警港澳领).",
    "^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-Za-z][0-9A-HJ-NP-Za-hj-np-z]{4,6}[挂学警港澳领]?$",
    6,
    9,
    "粤B12345"
);
string_schema!(
    CardNo,
    "A membership card number: 4 to 20 letters, digits and dashes; written in capitals.",
    "^[0-9A-Za-z-]{4,20}$",
    4,
    20,
    "C00000001"
);
string_schema!(
    ReceiptNo,
    "The number of a paper fee receipt or settlement slip: 1 to 32 letters, digits and dashes; \
     written in capitals.",
    "^[0-9A-Za-z-]{1,32}$",
    1,
    32,
    "R-001"
);
string_schema!(
    TierId,
    "A tier id of the program: 1 to 32 lower-case letters, digits, - and _.",
    "^[a-z0-9_-]{1,32}$",
    1,
    32,
    "standard"
);
string_schema!(
    BenefitId,
    "A benefit id of the program: 1 to 32 lower-case letters, digits, - and _.",
    "^[a-z0-9_-]{1,32}$",
    1,
    32,
    "free_wash"
);
string_schema!(
    IdNumber,
    "A mainland resident ID number: 17 digits and a check character (ISO 7064 MOD 11-2, a digit \
     or X), which must match.",
    "^[0-9]{17}[0-9Xx]$",
    18,
    18,
    "11010519491231002X"
);

/// One line of text: at least one character that is neither white space nor a control
/// character, and no control characters other than tab and newline. `maxLength` counts
/// characters, as [`Text`] does.
const TEXT_PATTERN: &str =
    r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$";

impl<const MAX: usize> utoipa::PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        let description = format!(
            "Text of 1 to {MAX} characters (surrounding white space is trimmed), no control \
             characters but tab and newline."
        );
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(description))
            .pattern(Some(TEXT_PATTERN))
            .min_length(Some(1))
            .max_length(Some(MAX))
            .into()
    }
}

impl<const MAX: usize> utoipa::ToSchema for Text<MAX> {
    /// One name per length, so the three lengths in use do not overwrite each other.
    fn name() -> Cow<'static, str> {
        match MAX {
            50 => Cow::Borrowed("PersonName"),
            100 => Cow::Borrowed("ShortText"),
            2000 => Cow::Borrowed("LongText"),
            _ => Cow::Owned(format!("Text{MAX}")),
        }
    }
}

/// A calendar day as the API writes it (`YYYY-MM-DD`): the schema of the optional days of a
/// service file, so that a nullable day keeps its format.
pub struct CalendarDay;

impl utoipa::PartialSchema for CalendarDay {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::Date,
            )))
            .description(Some("A calendar day, YYYY-MM-DD."))
            .examples([serde_json::json!("2026-03-01")])
            .into()
    }
}

impl utoipa::ToSchema for CalendarDay {}
