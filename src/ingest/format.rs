//! Input layouts: the presets (`generic`, `cdnow`, `line-items`), header matching with column-name
//! overrides, and the resolved `Layout` that says which field holds what.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A known input layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
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
    /// A WooCommerce orders export from the common export plugins (WebToffee "Order Export &
    /// Order Import", SkyVerge "Customer/Order CSV Export", algolplus "Advanced Order Export"), in
    /// their default columns: one row per order (line items packed in columns) or per product
    /// (order totals repeated). Guests have `customer_id` 0: their billing e-mail is the customer.
    WooCommerce,
    /// Stripe's payments export (`unified_payments.csv`, `Created date (UTC)`, or the older
    /// `Created (UTC)` layout): one payment is one order, `Amount` in the currency's major unit.
    Stripe,
    /// Etsy's `EtsySoldOrders<YEAR>.csv` (one row per order; US or UK English headers):
    /// `Sale Date` as `MM/DD/YY`, the buyer's Etsy user id as the customer.
    Etsy,
}

impl Preset {
    /// The preset a header says the file is written in, when it is one a shop would not think to
    /// name: a platform's export (Shopify, WooCommerce, Stripe, Etsy; matched by column names, so
    /// every layout and column order the platforms have written) or UCI Online Retail's
    /// line-item header (`InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
    /// CustomerID, Country`, in any order and case) as `line-items`. `None`: the generic layout.
    pub(crate) fn detect(header: &[String]) -> Option<Preset> {
        let norm: Vec<String> = header.iter().map(|h| normalise(h)).collect();
        let has = |name: &str| norm.iter().any(|n| n == name);
        let has_all = |names: &[&str]| names.iter().all(|name| has(name));
        if has_all(&SHOPIFY_REQUIRED) {
            return Some(Preset::Shopify);
        }
        if WOO_LAYOUTS.iter().any(|keys| has_all(keys)) {
            return Some(Preset::WooCommerce);
        }
        if has_all(&STRIPE_REQUIRED) && STRIPE_CREATED.iter().any(|c| has(c)) {
            return Some(Preset::Stripe);
        }
        if has_all(&ETSY_REQUIRED) || has_all(&ETSY_ITEMS) {
            return Some(Preset::Etsy);
        }
        has_all(&["invoiceno", "stockcode", "quantity", "invoicedate", "unitprice", "customerid"])
            .then_some(Preset::LineItems)
    }

    /// All presets with their command-line names.
    pub const ALL: [(&'static str, Preset); 7] = [
        ("generic", Preset::Generic),
        ("cdnow", Preset::Cdnow),
        ("line-items", Preset::LineItems),
        ("shopify", Preset::Shopify),
        ("woocommerce", Preset::WooCommerce),
        ("stripe", Preset::Stripe),
        ("etsy", Preset::Etsy),
    ];

    /// Whether this is a shop platform's export, read by the platform rules (see
    /// "From your shop's export" in the README) rather than row by row.
    pub fn is_platform(self) -> bool {
        matches!(self, Preset::Shopify | Preset::WooCommerce | Preset::Stripe | Preset::Etsy)
    }
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
///
/// ```
/// use retention::ColumnNames;
/// let columns = ColumnNames::default().customer("Email".to_string()).amount("Total".to_string());
/// assert_eq!((columns.customer.as_deref(), columns.order), (Some("Email"), None));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
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

crate::options::setters! {
    ColumnNames {
    }
    optional {
        /// Names the customer id column.
        customer: String,
        /// Names the order id column.
        order: String,
        /// Names the date or timestamp column.
        timestamp: String,
        /// Names the order-line amount column.
        amount: String,
        /// Names the quantity column (with `unit_price`, instead of `amount`).
        quantity: String,
        /// Names the unit price column.
        unit_price: String,
        /// Names the category (or SKU) column.
        category: String,
    }
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
/// WooCommerce export plugins' default columns (normalised): WebToffee, SkyVerge, algolplus.
const WOO_LAYOUTS: [&[&str]; 3] = [
    &["orderid", "orderdate", "status", "ordertotal", "refunditems", "billingemail"],
    &["orderid", "date", "status", "ordertotal", "refundedtotal", "customerid", "billingemail"],
    &["ordernumber", "orderstatus", "orderdate", "ordertotalamount", "emailbilling"],
];
/// Stripe's payments export, with one of its creation-time columns.
const STRIPE_REQUIRED: [&str; 5] = ["id", "amount", "amountrefunded", "currency", "status"];
const STRIPE_CREATED: [&str; 3] = ["createddateutc", "createdutc", "created"];
/// Etsy's sold-orders export (one row per order); the UK English headers share these names.
const ETSY_REQUIRED: [&str; 5] = ["saledate", "orderid", "buyeruserid", "ordertotal", "adjustedordertotal"];
/// Etsy's sold-order *items* export: recognised only to say which file to use instead.
const ETSY_ITEMS: [&str; 5] = ["saledate", "itemname", "transactionid", "listingid", "itemtotal"];

/// The order-level columns of a platform export, resolved from its header, and the platform
/// whose rules read them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Platform {
    pub preset: Preset,
    /// The platform's own customer id, when it has one (`0` or empty: a guest).
    pub customer_id: Option<usize>,
    /// The customer's e-mail: the customer key of guests (and of every Shopify order).
    pub email: Option<usize>,
    /// The order's state (`Financial Status`, `status`, `Status`).
    pub status: Option<usize>,
    /// Set when the order was cancelled (Shopify's `Cancelled at`).
    pub cancelled: Option<usize>,
    /// What has been refunded on the order so far.
    pub refunds: Refunds,
    /// The order's currency, when the export has it.
    pub currency: Option<usize>,
    /// The payment method (`Payment Method`: Shopify's Bogus Gateway is a test order).
    pub payment: Option<usize>,
    /// Stripe's `Mode` (`Test` payments are test orders).
    pub mode: Option<usize>,
    /// Where the order's lines (their categories and values) are.
    pub lines: Lines,
}

/// How a platform export writes the refunds on an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refunds {
    None,
    /// A column with the refunded total (Shopify `Refunded Amount`, Stripe `Amount Refunded`,
    /// SkyVerge `refunded_total`, algolplus `Order Refund Amount`).
    Amount(usize),
    /// A column of refund records `amount:5.00|reason:…|date:…` joined by `;` (WebToffee's
    /// `refund_items`).
    Records(usize),
    /// A column with the order's total after refunds, empty or 0 when it was not adjusted
    /// (Etsy's `Adjusted Order Total`).
    AdjustedTotal(usize),
}

/// Where a platform export writes an order's line items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lines {
    None,
    /// One row per line: its SKU, and its value as quantity × unit price or as a line total.
    Row {
        sku: usize,
        quantity: Option<usize>,
        price: Option<usize>,
        total: Option<usize>,
    },
    /// Lines packed into the order's row: records `sku:…|quantity:…|total:…` (one per column,
    /// or several joined by `;`), or (`keyed` false) bare SKUs joined by `,`.
    Packed {
        columns: Vec<usize>,
        keyed: bool,
    },
}

/// Where a row's money comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Amount(usize),
    QuantityPrice {
        quantity: usize,
        price: usize,
    },
    /// No money column: an event log of customer and date, whose rows are purchases of unknown
    /// value (a counts-only store).
    Count,
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
        if preset.is_platform() {
            return Layout::platform(preset, header, delimiter, detected.is_some(), source);
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
        let missing = |what: &str, parameter: &str, explicit: &Option<String>, aliases: &[&str]| {
            let wanted = match explicit {
                Some(name) => format!("a column named {name:?} ({parameter})"),
                None => format!("a {what} column (one of: {}; or name it with {parameter})", aliases.join(", ")),
            };
            let mut reason = format!("no {what} column: expected {wanted}; the header has: {}", header.join(", "));
            if header.len() == 1 {
                let h = &header[0];
                if let Some(d) = [';', '\t', '|', ','].into_iter().find(|&d| h.contains(d) && d as u8 != delimiter) {
                    reason.push_str(&format!(
                        " (one column only: is the file separated by {d:?}? set IngestOptions::delimiter)"
                    ));
                }
            }
            Error::InputFormat { source_name: source.to_string(), reason }
        };
        let customer = find(&columns.customer, CUSTOMER)
            .ok_or_else(|| missing("customer id", "ColumnNames::customer", &columns.customer, CUSTOMER))?;
        let timestamp = find(&columns.timestamp, TIMESTAMP)
            .ok_or_else(|| missing("date or timestamp", "ColumnNames::timestamp", &columns.timestamp, TIMESTAMP))?;
        let order = find(&columns.order, ORDER);
        if columns.order.is_some() && order.is_none() {
            return Err(missing("order id", "ColumnNames::order", &columns.order, ORDER));
        }
        let category = find(&columns.category, CATEGORY);
        if columns.category.is_some() && category.is_none() {
            return Err(missing("category", "ColumnNames::category", &columns.category, CATEGORY));
        }
        let amount = find(&columns.amount, AMOUNT);
        let qty_price = || Some((find(&columns.quantity, QUANTITY)?, find(&columns.unit_price, PRICE)?));
        let explicit_lines = columns.quantity.is_some() || columns.unit_price.is_some();
        let lines_missing = || {
            missing(
                "quantity and unit price",
                "ColumnNames::quantity and ColumnNames::unit_price",
                &None,
                &["quantity", "unitprice"],
            )
        };
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
                // Customer and date but no money: an event log (app or loyalty-card data), enough
                // for recency, frequency and the count models. Only when nothing named an amount.
                (None, None) if columns.amount.is_none() && preset == Preset::Generic => Value::Count,
                (None, None) => return Err(missing("amount", "ColumnNames::amount", &columns.amount, AMOUNT)),
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

    /// A platform's export, its columns found by name (see [`Platform`] and the README's "From
    /// your shop's export" for the rules each platform's rows are read by).
    fn platform(preset: Preset, header: Vec<String>, delimiter: u8, detected: bool, source: &str) -> Result<Layout> {
        let norm: Vec<String> = header.iter().map(|h| normalise(h)).collect();
        let at = |name: &str| norm.iter().position(|n| n == name);
        let first = |names: &[&str]| names.iter().find_map(|n| at(n));
        let what = match preset {
            Preset::Shopify => "a Shopify orders export",
            Preset::WooCommerce => "a WooCommerce orders export",
            Preset::Stripe => "a Stripe payments export",
            _ => "an Etsy sold-orders export",
        };
        let need = |names: &[&str]| {
            first(names).ok_or_else(|| Error::InputFormat {
                source_name: source.to_string(),
                reason: format!(
                    "{what} needs a column {:?}; the header has: {}",
                    names.first().copied().unwrap_or_default(),
                    header.join(", ")
                ),
            })
        };
        let packed = |prefix: &str| -> Vec<usize> {
            norm.iter()
                .enumerate()
                .filter(|(_, n)| {
                    n.strip_prefix(prefix).is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
                })
                .map(|(i, _)| i)
                .collect()
        };
        let (order, timestamp, total, platform) = match preset {
            Preset::Shopify => (
                need(&["name"])?,
                need(&["createdat"])?,
                need(&["total"])?,
                Platform {
                    preset,
                    customer_id: None,
                    email: Some(need(&["email"])?),
                    status: Some(need(&["financialstatus"])?),
                    cancelled: Some(need(&["cancelledat"])?),
                    refunds: Refunds::Amount(need(&["refundedamount"])?),
                    currency: at("currency"),
                    payment: at("paymentmethod"),
                    mode: None,
                    lines: Lines::Row {
                        sku: need(&["lineitemsku"])?,
                        quantity: at("lineitemquantity"),
                        price: at("lineitemprice"),
                        total: None,
                    },
                },
            ),
            Preset::WooCommerce if at("ordertotalamount").is_some() => (
                // algolplus: one row per product, the order's fields repeated on each.
                need(&["ordernumber"])?,
                need(&["orderdate"])?,
                need(&["ordertotalamount"])?,
                Platform {
                    preset,
                    customer_id: first(&["customeruserid", "customerid"]),
                    email: Some(need(&["emailbilling"])?),
                    status: Some(need(&["orderstatus"])?),
                    cancelled: None,
                    refunds: first(&["orderrefundamount"]).map_or(Refunds::None, Refunds::Amount),
                    currency: first(&["currency", "ordercurrency"]),
                    payment: None,
                    mode: None,
                    lines: match at("sku") {
                        Some(sku) => Lines::Row {
                            sku,
                            quantity: first(&["quantityrefund", "quantity"]),
                            price: at("itemcost"),
                            total: None,
                        },
                        None => Lines::None,
                    },
                },
            ),
            Preset::WooCommerce => (
                need(&["orderid"])?,
                need(&["orderdate", "date"])?,
                need(&["ordertotal"])?,
                Platform {
                    preset,
                    customer_id: first(&["customerid", "customeruser"]),
                    email: Some(need(&["billingemail"])?),
                    status: Some(need(&["status"])?),
                    cancelled: None,
                    refunds: match (at("refunditems"), at("refundedtotal")) {
                        (_, Some(c)) => Refunds::Amount(c),
                        (Some(c), None) => Refunds::Records(c),
                        (None, None) => Refunds::None,
                    },
                    currency: at("ordercurrency"),
                    payment: None,
                    mode: None,
                    lines: if let Some(sku) = at("itemsku") {
                        Lines::Row { sku, quantity: at("itemquantity"), price: None, total: at("itemtotal") }
                    } else {
                        let mut columns = packed("lineitem");
                        columns.extend(at("lineitems"));
                        if columns.is_empty() { Lines::None } else { Lines::Packed { columns, keyed: true } }
                    },
                },
            ),
            Preset::Stripe => (
                need(&["id"])?,
                need(&STRIPE_CREATED)?,
                need(&["amount"])?,
                Platform {
                    preset,
                    customer_id: at("customerid"),
                    email: first(&["customeremail", "email"]),
                    status: Some(need(&["status"])?),
                    cancelled: None,
                    refunds: Refunds::Amount(need(&["amountrefunded"])?),
                    currency: Some(need(&["currency"])?),
                    payment: None,
                    mode: at("mode"),
                    lines: Lines::None,
                },
            ),
            _ => {
                if first(&["itemname"]).is_some() && first(&["buyeruserid"]).is_none() {
                    return Err(Error::InputFormat {
                        source_name: source.to_string(),
                        reason: "this is Etsy's sold order items export (EtsySoldOrderItems), which has no order \
                                 totals or buyer ids: ingest the sold orders export (EtsySoldOrders<YEAR>.csv) instead"
                            .into(),
                    });
                }
                (
                    need(&["orderid"])?,
                    need(&["saledate"])?,
                    need(&["ordertotal"])?,
                    Platform {
                        preset,
                        customer_id: Some(need(&["buyeruserid"])?),
                        email: None,
                        status: at("status"),
                        cancelled: None,
                        refunds: at("adjustedordertotal").map_or(Refunds::None, Refunds::AdjustedTotal),
                        currency: at("currency"),
                        payment: None,
                        mode: None,
                        lines: at("sku").map_or(Lines::None, |c| Lines::Packed { columns: vec![c], keyed: false }),
                    },
                )
            }
        };
        let category = match &platform.lines {
            Lines::Row { sku, .. } => Some(*sku),
            Lines::Packed { columns, .. } => columns.first().copied(),
            Lines::None => None,
        };
        let customer = platform.customer_id.or(platform.email).unwrap_or(order);
        Ok(Layout {
            preset,
            detected,
            split: Split::Delimited(delimiter),
            customer,
            order: Some(order),
            timestamp,
            value: Value::Amount(total),
            category,
            skip_missing_customer: true,
            order_is_key: false,
            export: None,
            platform: Some(platform),
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
        if let Some(p) = &self.platform {
            return self.platform_mapping(p, &name);
        }
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
            Value::Count => out.push(("amount".into(), "none: purchase counts only".into())),
        }
        if let Some(c) = self.category {
            out.push(("category".into(), name(c)));
        }
        out
    }

    /// A platform export's mapping: which columns give the customer key, the net amount, the
    /// order's state and its categories.
    fn platform_mapping(&self, p: &Platform, name: &dyn Fn(usize) -> String) -> Vec<(String, String)> {
        let customer = match (p.customer_id, p.email) {
            (Some(id), Some(email)) => format!("{}, else {} (lower-cased)", name(id), name(email)),
            (None, Some(email)) => format!("{} (lower-cased)", name(email)),
            (Some(id), None) => name(id),
            (None, None) => String::new(),
        };
        let mut out = vec![("customer".to_string(), customer)];
        if let Some(o) = self.order {
            out.push(("order".into(), name(o)));
        }
        out.push(("date".into(), format!("{} (the day as written)", name(self.timestamp))));
        let Value::Amount(total) = self.value else { return out };
        out.push((
            "amount".into(),
            match p.refunds {
                Refunds::None => name(total),
                Refunds::Amount(r) => format!("{} - {}", name(total), name(r)),
                Refunds::Records(r) => format!("{} - the amounts in {}", name(total), name(r)),
                Refunds::AdjustedTotal(r) => format!("{}, or {} when set", name(total), name(r)),
            },
        ));
        let states: Vec<String> =
            [p.status, p.cancelled, p.currency, p.payment, p.mode].into_iter().flatten().map(name).collect();
        if !states.is_empty() {
            out.push(("order state".into(), states.join(", ")));
        }
        match &p.lines {
            Lines::Row { sku, .. } => out.push(("category".into(), name(*sku))),
            Lines::Packed { columns, keyed } => {
                let cols = match columns.as_slice() {
                    [one] => name(*one),
                    [first, .., last] => format!("{} … {}", name(*first), name(*last)),
                    [] => String::new(),
                };
                out.push(("category".into(), if *keyed { format!("the sku: of each item in {cols}") } else { cols }));
            }
            Lines::None => {}
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

    /// UCI Online Retail's header is recognised without `Preset::LineItems` (also reordered and
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
        // Customer and date only: an event log of purchase counts, unless an amount was named.
        let l = Layout::from_header(Preset::Generic, &ColumnNames::default(), header("customer_id,date"), b',', "f")
            .unwrap();
        assert_eq!(l.value, Value::Count);
        let named = ColumnNames { amount: Some("paid".into()), ..Default::default() };
        let e = Layout::from_header(Preset::Generic, &named, header("customer_id,date"), b',', "f.csv").unwrap_err();
        assert!(e.to_string().starts_with("f.csv: no amount column"), "{e}");
        assert!(e.to_string().contains("the header has: customer_id, date"), "{e}");
        let e = Layout::from_header(Preset::LineItems, &ColumnNames::default(), header("customer_id,date"), b',', "f")
            .unwrap_err();
        assert!(e.to_string().contains("no quantity and unit price column"), "{e}");
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
        assert_eq!(Layout::cdnow(3, "x").unwrap_err().kind(), crate::ErrorKind::Input);
        assert_eq!(Layout::cdnow(5, "x").unwrap().timestamp, 2);
    }
}
