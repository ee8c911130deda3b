//! The builder setters of the library's option structs, generated: every option struct is
//! `#[non_exhaustive]`, built from `Default` and one setter per field named like the field. An
//! optional field's setter takes `impl Into<Option<T>>`, so a builder can set or clear it.

/// `setters! { Type { /// doc
/// field: T, ... } optional { /// doc
/// field: T, ... } }` writes `Type::field(self, value) -> Self` for each field.
macro_rules! setters {
    (
        $ty:ty {
            $($(#[$attr:meta])* $field:ident: $t:ty,)*
        }
        $(optional {
            $($(#[$opt_attr:meta])* $opt_field:ident: $opt_t:ty,)*
        })?
    ) => {
        impl $ty {
            $(
                $(#[$attr])*
                #[must_use]
                pub fn $field(mut self, value: $t) -> Self {
                    self.$field = value;
                    self
                }
            )*
            $($(
                $(#[$opt_attr])*
                #[must_use]
                pub fn $opt_field(mut self, value: impl Into<Option<$opt_t>>) -> Self {
                    self.$opt_field = value.into();
                    self
                }
            )*)?
        }
    };
}

pub(crate) use setters;
