//! Input layouts: the presets (`generic`, `cdnow`, `line-items`), header matching with column-name
//! overrides, and the resolved `Layout` that says which field holds what.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A known input layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Preset {
    /// CSV with a header: customer id, order id (optional), timestamp, amount (or quantity and unit
    /// price), category (optional). Common header spellings are recognised (see the README).
    #[default]
    Generic,
    /// The CDNOW file of the BTYD papers: whitespace-separated `customer date(YYYYMMDD) cds dollars`,
    /// an optional header line, and in the 1/10 sample file a sample-id column second.
    Cdnow,
    /// Line-item exports such as UCI Online Retail: `InvoiceNo, StockCode, Description, Quantity,
    /// InvoiceDate, UnitPrice, CustomerID, Country`; amount = quantity × unit price, the stock code is
    /// the category, and rows without a customer id are counted and skipped.
    LineItems,
    /// Shopify's orders export (`orders_export_1.csv`, every layout since 2020: matched by column
    /// names). One row per line item; order-level fields (`Total`, `Financial Status`,
    /// `Cancelled at`, `Refunded Amount`, `Currency`, `Payment Method`) only on an order's first
    /// row. See "From your shop's export" in the README for the rules.
    Shopify,
}

impl Preset {
    /// The preset a header says the file is written in, when it is one a shop would not think to
    /// name: UCI Online Retail's line-item header (`InvoiceNo, StockCode, Description, Quantity,
    /// InvoiceDate, UnitPrice, CustomerID, Country`, in any order and spelling of case) is
    /// `line-items`. `None`: the generic layout.
    pub(crate) fn detect(header: &[String]) -> Option<Preset> {
        let norm: Vec<String> = header.iter().map(|h| normalise(h)).collect();
        let has_all = |names: &[&str]| names.iter().all(|name| norm.iter().any(|n| n == name));
        if has_all(&SHOPIFY_REQUIRED) {
            return Some(Preset::Shopify);
        }
        has_all(&["invoiceno", "stockcode", "quantity", "invoicedate", "unitprice", "customerid"])
            .then_some(Preset::LineItems)
    }

    /// All presets with their command-line names.
    pub const ALL: [(&'static str, Preset); 4] = [
        ("generic", Preset::Generic),
        ("cdnow", Preset::Cdnow),
        ("line-items", Preset::LineItems),
        ("shopify", Preset::Shopify),
    ];
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Preset::ALL.iter().find(|(_, p)| p == self).map_or("?", |(n, _)| n);
        f.write_str(name)
    }
}

impl FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Preset> {
        Preset::ALL.iter().find(|(n, _)| *n == s).map(|(_, p)| *p).ok_or_else(|| {
            let names: Vec<&str> = Preset::ALL.iter().map(|(n, _)| *n).collect();
            Error::invalid("preset", s, format!("expected one of: {}", names.join(", ")))
        })
    }
}

/// Header names that override the preset's; `None` keeps the preset's choice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnNames {
    /// Customer id column.
    pub customer: Option<String>,
    /// Order id column.
    pub order: Option<String>,
    /// Date or timestamp column.
    pub timestamp: Option<String>,
    /// Order-line amount column.
    pub amount: Option<String>,
    /// Quantity column (with `unit_price`, instead of `amount`).
    pub quantity: Option<String>,
    /// Unit price column.
    pub unit_price: Option<String>,
    /// Category (or SKU) column.
    pub category: Option<String>,
}

/// How a row's fields are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Split {
    Delimited(u8),
    Whitespace,
}

/// Shopify's columns every layout has (normalised), by which it is recognised: the abandoned-
/// checkouts export shares the names but has no `Cancelled at` or `Financial Status` values.
const SHOPIFY_REQUIRED: [&str; 8] =
    ["name", "email", "financialstatus", "createdat", "total", "cancelledat", "refundedamount", "lineitemsku"];

/// The order-level columns of a platform export, resolved from its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Platform {
    /// The payment state (`Financial Status`).
    pub status: usize,
    /// Set when the order was cancelled (`Cancelled at`).
    pub cancelled: usize,
    /// What has been refunded on the order so far (`Refunded Amount`).
    pub refunded: usize,
    /// The order's currency, when the export has it.
    pub currency: Option<usize>,
    /// The payment method (`Payment Method`: the Bogus Gateway is a test order).
    pub payment: Option<usize>,
    /// A line's quantity and unit price: its share of the order's total among the categories.
    pub line_quantity: Option<usize>,
    pub line_price: Option<usize>,
}

/// Where a row's money comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Amount(usize),
    QuantityPrice { quantity: usize, price: usize },
}

/// Which field holds what, resolved from a preset and a header.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// The preset in effect: the one asked for, or the one the header was recognised as.
    pub preset: Preset,
    /// The preset was recognised from the header rather than asked for.
    pub detected: bool,
    pub split: Split,
    pub names: Vec<String>,
    pub customer: usize,
    pub order: Option<usize>,
    pub timestamp: usize,
    pub value: Value,
    pub category: Option<usize>,
    /// Rows without a customer id are skipped (counted) instead of rejected.
    pub skip_missing_customer: bool,
    /// The order column is `order_key`: the stored key itself, as `retention export` writes it
    /// (16 hex digits), so a restored store keeps every order's identity for later upserts. Only
    /// in an export (see `export`).
    pub order_is_key: bool,
    /// The settings of the store an export came from, when the input is one.
    pub export: Option<ExportSettings>,
    /// A platform export's order-level columns: rows are then read by the platform rules.
    pub platform: Option<Platform>,
}

/// The store settings a `retention export` was written with: a restore needs the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExportSettings {
    /// `CODE:DECIMALS`.
    pub currency: String,
    pub time_zone: String,
}

impl ExportSettings {
    /// Parses `currency=CODE:DECIMALS time_zone=ZONE`, the settings line of an export.
    pub(crate) fn parse(line: &str) -> Option<ExportSettings> {
        let (mut currency, mut time_zone) = (None, None);
        for field in line.split_ascii_whitespace() {
            match field.split_once('=') {
                Some(("currency", v)) => currency = Some(v.to_string()),
                Some(("time_zone", v)) => time_zone = Some(v.to_string()),
                _ => return None,
            }
        }
        Some(ExportSettings { currency: currency?, time_zone: time_zone? })
    }
}

// Normalised spellings (lower case, letters and digits only) recognised per column, best first.
const CUSTOMER: &[&str] = &["customerid", "customer", "clientid", "userid", "customerno"];
const ORDER: &[&str] =
    &["orderid", "order", "invoiceno", "invoice", "ordernumber", "orderno", "transactionid", ORDER_KEY];
/// The normalised name of the column `retention export` writes order keys into.
pub(crate) const ORDER_KEY: &str = "orderkey";
const TIMESTAMP: &[&str] =
    &["timestamp", "date", "orderdate", "invoicedate", "createdat", "datetime", "time", "purchasedate"];
const AMOUNT: &[&str] = &["amount", "total", "ordertotal", "value", "revenue", "sales", "dollarvalue"];
const QUANTITY: &[&str] = &["quantity", "qty"];
const PRICE: &[&str] = &["unitprice", "price"];
const CATEGORY: &[&str] = &["category", "productcategory", "stockcode", "sku"];

fn normalise(s: &str) -> String {
    s.trim().chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

impl Layout {
    /// Resolves a delimited layout from the header fields.
    pub(crate) fn from_header(
        preset: Preset,
        columns: &ColumnNames,
        header: Vec<String>,
        delimiter: u8,
        source: &str,
    ) -> Result<Layout> {
        let detected = if preset == Preset::Generic { Preset::detect(&header) } else { None };
        let preset = detected.unwrap_or(preset);
        if preset == Preset::Shopify {
            return Layout::shopify(header, delimiter, detected.is_some(), source);
        }
        let norm: Vec<String> = header.iter().map(|h| normalise(h)).collect();
        let find = |explicit: &Option<String>, aliases: &[&str]| -> Option<usize> {
            match explicit {
                Some(name) => header
                    .iter()
                    .position(|h| h.trim() == name.trim())
                    .or_else(|| norm.iter().position(|n| *n == normalise(name))),
                None => aliases.iter().find_map(|a| norm.iter().position(|n| n == a)),
            }
        };
        let missing = |what: &str, flag: &str, explicit: &Option<String>, aliases: &[&str]| {
            let wanted = match explicit {
                Some(name) => format!("a column named {name:?} ({flag})"),
                None => format!("a {what} column (one of: {}; or name it with {flag})", aliases.join(", ")),
            };
            let mut reason = format!("no {what} column: expected {wanted}; the header has: {}", header.join(", "));
            if header.len() == 1 {
                let h = &header[0];
                if let Some(d) = [';', '\t', '|', ','].into_iter().find(|&d| h.contains(d) && d as u8 != delimiter) {
                    reason.push_str(&format!(" (one column only: is the file separated by {d:?}? use --delimiter)"));
                }
            }
            Error::InputFormat { source_name: source.to_string(), reason }
        };
        let customer = find(&columns.customer, CUSTOMER)
            .ok_or_else(|| missing("customer id", "--customer-col", &columns.customer, CUSTOMER))?;
        let timestamp = find(&columns.timestamp, TIMESTAMP)
            .ok_or_else(|| missing("date or timestamp", "--timestamp-col", &columns.timestamp, TIMESTAMP))?;
        let order = find(&columns.order, ORDER);
        if columns.order.is_some() && order.is_none() {
            return Err(missing("order id", "--order-col", &columns.order, ORDER));
        }
        let category = find(&columns.category, CATEGORY);
        if columns.category.is_some() && category.is_none() {
            return Err(missing("category", "--category-col", &columns.category, CATEGORY));
        }
        let amount = find(&columns.amount, AMOUNT);
        let qty_price = || Some((find(&columns.quantity, QUANTITY)?, find(&columns.unit_price, PRICE)?));
        let explicit_lines = columns.quantity.is_some() || columns.unit_price.is_some();
        let lines_missing =
            || missing("quantity and unit price", "--quantity-col and --price-col", &None, &["quantity", "unitprice"]);
        let value = if explicit_lines || (preset == Preset::LineItems && columns.amount.is_none()) {
            match (qty_price(), amount) {
                (Some((quantity, price)), _) => Value::QuantityPrice { quantity, price },
                (None, Some(a)) if !explicit_lines => Value::Amount(a),
                (None, _) => return Err(lines_missing()),
            }
        } else {
            match (amount, qty_price()) {
                (Some(a), _) => Value::Amount(a),
                (None, Some((quantity, price))) => Value::QuantityPrice { quantity, price },
                (None, None) => return Err(missing("amount", "--amount-col", &columns.amount, AMOUNT)),
            }
        };
        Ok(Layout {
            preset,
            detected: detected.is_some(),
            split: Split::Delimited(delimiter),
            names: header,
            customer,
            order,
            timestamp,
            value,
            category,
            skip_missing_customer: preset == Preset::LineItems,
            order_is_key: false,
            export: None,
            platform: None,
        })
    }

    /// Shopify's orders export: the customer is the e-mail, the order its `Name` (#1001), the day
    /// `Created at`'s date as written, the money the first row's `Total` less `Refunded Amount`,
    /// the category the line's SKU.
    fn shopify(header: Vec<String>, delimiter: u8, detected: bool, source: &str) -> Result<Layout> {
        let norm: Vec<String> = header.iter().map(|h| normalise(h)).collect();
        let at = |name: &str| norm.iter().position(|n| n == name);
        let need = |name: &str| {
            at(name).ok_or_else(|| Error::InputFormat {
                source_name: source.to_string(),
                reason: format!(
                    "a Shopify orders export needs a column {name:?}; the header has: {}",
                    header.join(", ")
                ),
            })
        };
        Ok(Layout {
            preset: Preset::Shopify,
            detected,
            split: Split::Delimited(delimiter),
            customer: need("email")?,
            order: Some(need("name")?),
            timestamp: need("createdat")?,
            value: Value::Amount(need("total")?),
            category: Some(need("lineitemsku")?),
            skip_missing_customer: true,
            order_is_key: false,
            export: None,
            platform: Some(Platform {
                status: need("financialstatus")?,
                cancelled: need("cancelledat")?,
                refunded: need("refundedamount")?,
                currency: at("currency"),
                payment: at("paymentmethod"),
                line_quantity: at("lineitemquantity"),
                line_price: at("lineitemprice"),
            }),
            names: header,
        })
    }

    /// The CDNOW layout, with or without the sample-id column.
    pub(crate) fn cdnow(fields: usize, source: &str) -> Result<Layout> {
        let (names, customer, timestamp, amount): (&[&str], _, _, _) = match fields {
            4 => (&["customer_id", "date", "number_of_cds", "dollar_value"], 0, 1, 3),
            5 => (&["customer_id", "sample_id", "date", "number_of_cds", "dollar_value"], 0, 2, 4),
            n => {
                return Err(Error::InputFormat {
                    source_name: source.to_string(),
                    reason: format!(
                        "the cdnow preset expects 4 columns (customer, YYYYMMDD, CDs, dollars) or 5 (with a sample id second); the first row has {n}"
                    ),
                });
            }
        };
        Ok(Layout {
            preset: Preset::Cdnow,
            detected: false,
            split: Split::Whitespace,
            names: names.iter().map(|s| s.to_string()).collect(),
            customer,
            order: None,
            timestamp,
            value: Value::Amount(amount),
            category: None,
            skip_missing_customer: false,
            order_is_key: false,
            export: None,
            platform: None,
        })
    }

    /// What each role was read from, as `(role, column)` for the ingest report: customer, order,
    /// date, amount (or quantity and unit price) and category.
    pub(crate) fn mapping(&self) -> Vec<(String, String)> {
        let name = |i: usize| self.names.get(i).map_or_else(|| (i + 1).to_string(), |n| n.trim().to_string());
        let mut out = vec![("customer".to_string(), name(self.customer))];
        if let Some(o) = self.order {
            out.push(("order".into(), name(o)));
        }
        out.push(("date".into(), name(self.timestamp)));
        match self.value {
            Value::Amount(a) => out.push(("amount".into(), name(a))),
            Value::QuantityPrice { quantity, price } => {
                out.push(("quantity".into(), name(quantity)));
                out.push(("unit price".into(), name(price)));
            }
        }
        if let Some(c) = self.category {
            out.push(("category".into(), name(c)));
        }
        out
    }

    /// Number of fields every row must have.
    pub(crate) fn width(&self) -> usize {
        self.names.len()
    }

    /// How an error names column `i` (0-based): its 1-based number, and its header name if any,
    /// so the user can find it both in a spreadsheet and in the header.
    pub(crate) fn column_name(&self, i: usize) -> String {
        match self.names.get(i) {
            Some(n) if !n.trim().is_empty() => format!("{} ({})", i + 1, n.trim()),
            _ => (i + 1).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    #[test]
    fn generic_header_spellings() {
        let l = Layout::from_header(
            Preset::Generic,
            &ColumnNames::default(),
            header("Customer ID,Order_ID,Date,Total,Category"),
            b',',
            "f",
        )
        .unwrap();
        assert_eq!((l.customer, l.order, l.timestamp, l.value, l.category), (0, Some(1), 2, Value::Amount(3), Some(4)));
        let l = Layout::from_header(
            Preset::Generic,
            &ColumnNames::default(),
            header("customer_id,timestamp,amount"),
            b',',
            "f",
        )
        .unwrap();
        assert_eq!((l.order, l.category), (None, None));
    }

    #[test]
    fn line_items_multiply_quantity_and_price() {
        let h = header("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country");
        let l = Layout::from_header(Preset::LineItems, &ColumnNames::default(), h, b',', "f").unwrap();
        assert_eq!(l.value, Value::QuantityPrice { quantity: 3, price: 5 });
        assert_eq!((l.customer, l.order, l.timestamp, l.category), (6, Some(0), 4, Some(1)));
        assert!(l.skip_missing_customer && !l.detected);
    }

    /// UCI Online Retail's header is recognised without `--preset line-items` (also reordered and
    /// in other case), and the mapping names what was used; a generic header stays generic.
    #[test]
    fn line_items_are_detected_from_the_header() {
        for h in [
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
            "customerid,invoiceno,invoicedate,stockcode,quantity,unitprice",
        ] {
            let l = Layout::from_header(Preset::Generic, &ColumnNames::default(), header(h), b',', "f").unwrap();
            assert_eq!((l.preset, l.detected), (Preset::LineItems, true), "{h}");
            assert!(matches!(l.value, Value::QuantityPrice { .. }) && l.skip_missing_customer);
        }
        let l = Layout::from_header(
            Preset::Generic,
            &ColumnNames::default(),
            header("InvoiceNo,CustomerID,InvoiceDate,Total"),
            b',',
            "f",
        )
        .unwrap();
        assert_eq!((l.preset, l.detected), (Preset::Generic, false));
        assert_eq!(
            l.mapping(),
            [("customer", "CustomerID"), ("order", "InvoiceNo"), ("date", "InvoiceDate"), ("amount", "Total")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }

    #[test]
    fn overrides_and_missing_columns() {
        let cols = ColumnNames {
            customer: Some("buyer".into()),
            amount: Some("paid".into()),
            timestamp: Some("when".into()),
            ..Default::default()
        };
        let l = Layout::from_header(Preset::Generic, &cols, header("when,buyer,paid"), b',', "f").unwrap();
        assert_eq!((l.customer, l.timestamp, l.value), (1, 0, Value::Amount(2)));
        let e =
            Layout::from_header(Preset::Generic, &ColumnNames::default(), header("customer_id,date"), b',', "f.csv")
                .unwrap_err();
        assert!(e.to_string().starts_with("f.csv: no amount column"), "{e}");
        assert!(e.to_string().contains("the header has: customer_id, date"), "{e}");
        let e =
            Layout::from_header(Preset::Generic, &ColumnNames::default(), header("customer_id;date;amount"), b',', "f")
                .unwrap_err();
        assert!(e.to_string().contains("separated by ';'"), "{e}");
    }

    #[test]
    fn presets_by_name() {
        assert_eq!("line-items".parse::<Preset>().unwrap(), Preset::LineItems);
        assert_eq!(Preset::Cdnow.to_string(), "cdnow");
        assert!("excel".parse::<Preset>().unwrap_err().to_string().contains("generic, cdnow, line-items"));
        assert!(Layout::cdnow(3, "x").is_err());
        assert_eq!(Layout::cdnow(5, "x").unwrap().timestamp, 2);
    }
}
