//! `IntoFieldValue`: what `#[trace(fields(..))]` and `record_field` accept.
//!
//! Numbers, bools and strings up to 24 bytes travel through the ring inside
//! the event, with no allocation. Longer strings are copied once into a heap
//! box that the collector takes over; passing an owned `String` moves it
//! without copying. The macro passes values by reference, so every type is
//! also implemented for `&T` and `&&T`.

use std::borrow::Cow;

use super::event::RawField;
use crate::model::FieldValue;

/// A value that can be recorded as a span field.
pub trait IntoFieldValue {
    /// The value in the exported data model.
    fn into_field_value(self) -> FieldValue;

    /// The value as it travels through the ring. Overridden by the string
    /// types so short strings are stored inline.
    #[doc(hidden)]
    fn __into_raw(self) -> RawField
    where
        Self: Sized,
    {
        RawField::from_value(self.into_field_value())
    }
}

macro_rules! impl_by_ref {
    ($($t:ty),*) => {$(
        impl IntoFieldValue for &$t {
            #[inline]
            fn into_field_value(self) -> FieldValue {
                (*self).into_field_value()
            }
            #[inline]
            fn __into_raw(self) -> RawField {
                (*self).__into_raw()
            }
        }
        impl IntoFieldValue for &&$t {
            #[inline]
            fn into_field_value(self) -> FieldValue {
                (**self).into_field_value()
            }
            #[inline]
            fn __into_raw(self) -> RawField {
                (**self).__into_raw()
            }
        }
    )*};
}

macro_rules! impl_num {
    ($variant:ident, $as:ty: $($t:ty),*) => {$(
        impl IntoFieldValue for $t {
            #[inline]
            fn into_field_value(self) -> FieldValue {
                FieldValue::$variant(self as $as)
            }
            #[inline]
            fn __into_raw(self) -> RawField {
                RawField::$variant(self as $as)
            }
        }
        impl_by_ref!($t);
    )*};
}

impl_num!(I64, i64: i8, i16, i32, i64, isize);
impl_num!(U64, u64: u8, u16, u32, u64, usize);
impl_num!(F64, f64: f32, f64);

impl IntoFieldValue for bool {
    #[inline]
    fn into_field_value(self) -> FieldValue {
        FieldValue::Bool(self)
    }
    #[inline]
    fn __into_raw(self) -> RawField {
        RawField::Bool(self)
    }
}

impl IntoFieldValue for &str {
    fn into_field_value(self) -> FieldValue {
        FieldValue::Str(Cow::Owned(self.to_owned()))
    }
    #[inline]
    fn __into_raw(self) -> RawField {
        RawField::from_str(self)
    }
}

impl IntoFieldValue for String {
    fn into_field_value(self) -> FieldValue {
        FieldValue::Str(Cow::Owned(self))
    }
    fn __into_raw(self) -> RawField {
        if self.len() <= super::event::INLINE_STR_MAX {
            RawField::from_str(&self)
        } else {
            RawField::Owned(self.into_boxed_str())
        }
    }
}

impl IntoFieldValue for &String {
    fn into_field_value(self) -> FieldValue {
        self.as_str().into_field_value()
    }
    fn __into_raw(self) -> RawField {
        RawField::from_str(self)
    }
}

impl IntoFieldValue for Cow<'static, str> {
    fn into_field_value(self) -> FieldValue {
        FieldValue::Str(self)
    }
    fn __into_raw(self) -> RawField {
        match self {
            Cow::Borrowed(s) => RawField::Static(s),
            Cow::Owned(s) => s.__into_raw(),
        }
    }
}

impl IntoFieldValue for &Cow<'static, str> {
    fn into_field_value(self) -> FieldValue {
        self.clone().into_field_value()
    }
    fn __into_raw(self) -> RawField {
        match self {
            Cow::Borrowed(s) => RawField::Static(s),
            Cow::Owned(s) => RawField::from_str(s),
        }
    }
}

impl IntoFieldValue for FieldValue {
    fn into_field_value(self) -> FieldValue {
        self
    }
}

impl_by_ref!(bool, &str);

impl IntoFieldValue for &&String {
    fn into_field_value(self) -> FieldValue {
        self.as_str().into_field_value()
    }
    fn __into_raw(self) -> RawField {
        RawField::from_str(self)
    }
}

/// `None` records nothing; `Some(v)` records `v`.
impl<T: IntoFieldValue> IntoFieldValue for Option<T> {
    fn into_field_value(self) -> FieldValue {
        match self {
            Some(v) => v.into_field_value(),
            None => FieldValue::Str(Cow::Borrowed("None")),
        }
    }
    fn __into_raw(self) -> RawField {
        match self {
            Some(v) => v.__into_raw(),
            None => RawField::Absent,
        }
    }
}

impl<'a, T> IntoFieldValue for &'a Option<T>
where
    &'a T: IntoFieldValue,
{
    fn into_field_value(self) -> FieldValue {
        self.as_ref().into_field_value()
    }
    fn __into_raw(self) -> RawField {
        self.as_ref().__into_raw()
    }
}

impl<'a, T> IntoFieldValue for &&'a Option<T>
where
    &'a T: IntoFieldValue,
{
    fn into_field_value(self) -> FieldValue {
        (*self).into_field_value()
    }
    fn __into_raw(self) -> RawField {
        (*self).__into_raw()
    }
}

/// A value recorded with its `Display` form (`fields(x = %expr)`).
#[derive(Debug)]
pub struct DisplayField<'a, T: ?Sized>(pub &'a T);

/// A value recorded with its `Debug` form (`fields(x = ?expr)`, `ret`).
#[derive(Debug)]
pub struct DebugField<'a, T: ?Sized>(pub &'a T);

impl<T: std::fmt::Display + ?Sized> IntoFieldValue for DisplayField<'_, T> {
    fn into_field_value(self) -> FieldValue {
        FieldValue::Str(Cow::Owned(self.0.to_string()))
    }
    fn __into_raw(self) -> RawField {
        RawField::from_string(self.0.to_string())
    }
}

impl<T: std::fmt::Debug + ?Sized> IntoFieldValue for DebugField<'_, T> {
    fn into_field_value(self) -> FieldValue {
        FieldValue::Str(Cow::Owned(format!("{:?}", self.0)))
    }
    fn __into_raw(self) -> RawField {
        RawField::from_string(format!("{:?}", self.0))
    }
}

#[cfg(all(test, not(loom)))]
#[allow(clippy::needless_borrows_for_generic_args)] // the macro passes references
mod tests {
    use super::*;

    fn raw<V: IntoFieldValue>(v: V) -> FieldValue {
        let ev = super::super::event::Event::field(0, v.__into_raw(), false);
        // SAFETY: decoded once.
        unsafe { ev.into_field_value() }
    }

    #[test]
    fn references_of_every_supported_type() {
        let n = 7i32;
        let s = String::from("hello");
        let st: &str = "world";
        assert_eq!(raw(&n), FieldValue::I64(7));
        assert_eq!(raw(&&n), FieldValue::I64(7));
        assert_eq!(raw(&5u16), FieldValue::U64(5));
        assert_eq!(raw(&2.5f32), FieldValue::F64(2.5));
        assert_eq!(raw(&true), FieldValue::Bool(true));
        assert_eq!(raw(&s), FieldValue::Str("hello".into()));
        assert_eq!(raw(&st), FieldValue::Str("world".into()));
        assert_eq!(raw(&&st), FieldValue::Str("world".into()));
        assert_eq!(raw(s.clone()), FieldValue::Str("hello".into()));
        let long = "y".repeat(100);
        assert_eq!(raw(long.clone()), FieldValue::Str(long.clone().into()));
        assert_eq!(raw(&long), FieldValue::Str(long.into()));
        assert_eq!(raw(Cow::Borrowed("c")), FieldValue::Str("c".into()));
    }
}
