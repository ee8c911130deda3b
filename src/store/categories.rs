//! The store-wide category dictionary: names ↔ small ids, so an order's categories cost a byte or
//! two in its record. Ids start at 1; 0 marks an uncategorised line of a categorised order.

use std::collections::HashMap;

use super::engine::{Engine, WriteBatch};
use super::generation::Written;
use super::keys;
use super::meta::Meta;
use crate::error::{Error, Result};

const CATEGORY_VERSION: u8 = 1;

/// The dictionary as loaded for an ingest or a report.
#[derive(Clone, Debug, Default)]
pub(crate) struct Categories {
    names: Vec<String>,
    by_name: HashMap<Box<[u8]>, u32>,
    first_new: u32,
}

impl Categories {
    /// Loads categories 1..=meta.categories.
    pub(crate) fn load<E: Engine>(engine: &E, meta: &Meta) -> Result<Categories> {
        let mut c = Categories::default();
        for kv in engine.range(&keys::category(1), &keys::category(meta.categories.saturating_add(1))) {
            let (key, value) = kv?;
            let id = keys::number(key.as_ref()).unwrap_or(0);
            let what = || format!("category {id}");
            let name = match value.as_ref().split_first() {
                Some((&CATEGORY_VERSION, name)) => {
                    std::str::from_utf8(name).map_err(|_| Error::corrupt(what(), "name is not UTF-8"))?
                }
                _ => return Err(Error::corrupt(what(), "unknown category value version")),
            };
            if id != c.names.len() as u64 + 1 {
                return Err(Error::corrupt(what(), "category ids are not contiguous"));
            }
            c.by_name.insert(name.as_bytes().into(), id as u32);
            c.names.push(name.to_string());
        }
        if c.names.len() != meta.categories as usize {
            return Err(Error::corrupt("category dictionary", "fewer categories than the metadata records"));
        }
        c.first_new = meta.categories + 1;
        Ok(c)
    }

    /// The id of `name` (UTF-8, checked by the parser), adding it if new.
    pub(crate) fn resolve_bytes(&mut self, name: &[u8]) -> Result<u32> {
        if let Some(&id) = self.by_name.get(name) {
            return Ok(id);
        }
        let name = std::str::from_utf8(name)
            .map_err(|_| Error::invalid("category", String::from_utf8_lossy(name), "not valid UTF-8"))?;
        let id = u32::try_from(self.names.len() + 1).map_err(|_| Error::Limit("more than 2^32 categories".into()))?;
        self.names.push(name.to_string());
        self.by_name.insert(name.as_bytes().into(), id);
        Ok(id)
    }

    /// The name of category `id` (`""` for 0 or unknown ids).
    pub(crate) fn name(&self, id: u32) -> &str {
        id.checked_sub(1).and_then(|i| self.names.get(i as usize)).map_or("", String::as_str)
    }

    /// Number of categories, including ones added since loading.
    pub(crate) fn len(&self) -> u32 {
        self.names.len() as u32
    }

    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Writes the categories added since loading into `batch`; returns them for its write list.
    pub(crate) fn write_new(&self, batch: &mut WriteBatch) -> Vec<Written> {
        let mut written = Vec::new();
        for id in self.first_new.max(1)..=self.len() {
            let mut v = vec![CATEGORY_VERSION];
            v.extend_from_slice(self.name(id).as_bytes());
            batch.put(keys::category(id), v);
            written.push(Written::Created(keys::category(id).to_vec()));
        }
        written
    }
}
