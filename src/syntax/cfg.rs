//! `#[cfg(..)]` evaluation in three-valued logic: an item is test-only when its predicate is
//! certainly false with `test` unset (`cfg(test)`, `cfg(all(test, feature = "x"))`), and not
//! when it may still be compiled (`cfg(any(test, feature = "x"))`, `cfg(not(test))`).

use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

/// For each outer `cfg` attribute: would the item be compiled with `name` unset?
/// Returns true when some `cfg` certainly excludes it.
pub fn requires_cfg(attrs: &[Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        if !a.path().is_ident("cfg") {
            return false;
        }
        // Most cfgs (features, targets) never mention the name: skip parsing them.
        let syn::Meta::List(list) = &a.meta else {
            return false;
        };
        if !mentions(&list.tokens, name) {
            return false;
        }
        match a.parse_args::<Meta>() {
            Ok(meta) => eval(&meta, name, 0) == Some(false),
            Err(_) => false,
        }
    })
}

/// Is some `cfg` certainly false whatever the build (`#![cfg(any())]`, `cfg(not(all()))`)?
/// Such code is never compiled, so nothing in it runs on any replica.
pub fn never_compiled(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<Meta>()
                .is_ok_and(|meta| eval(&meta, "", 0) == Some(false))
    })
}

fn mentions(tokens: &proc_macro2::TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), name),
        _ => false,
    })
}

fn eval(meta: &Meta, name: &str, depth: u8) -> Option<bool> {
    if depth > 32 {
        return None;
    }
    match meta {
        Meta::Path(p) => {
            if !name.is_empty() && p.is_ident(name) {
                Some(false)
            } else {
                None
            }
        }
        Meta::NameValue(_) => None,
        Meta::List(list) => {
            let args = list
                .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .ok()?;
            let values: Vec<Option<bool>> = args.iter().map(|m| eval(m, name, depth + 1)).collect();
            if list.path.is_ident("not") {
                values.first().copied().flatten().map(|v| !v)
            } else if list.path.is_ident("all") {
                if values.contains(&Some(false)) {
                    Some(false)
                } else if values.iter().all(|v| *v == Some(true)) {
                    Some(true)
                } else {
                    None
                }
            } else if list.path.is_ident("any") {
                if values.contains(&Some(true)) {
                    Some(true)
                } else if values.iter().all(|v| *v == Some(false)) {
                    Some(false)
                } else {
                    None
                }
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_only(src: &str) -> bool {
        let item: syn::ItemFn = syn::parse_str(&format!("{src} fn f() {{}}")).unwrap();
        requires_cfg(&item.attrs, "test")
    }

    #[test]
    fn three_valued_cfg() {
        assert!(test_only("#[cfg(test)]"));
        assert!(test_only("#[cfg(all(test, feature = \"x\"))]"));
        assert!(!test_only("#[cfg(any(test, feature = \"x\"))]"));
        assert!(!test_only("#[cfg(not(test))]"));
        assert!(test_only("#[cfg(not(not(test)))]"));
        assert!(!test_only("#[cfg(feature = \"x\")]"));
        assert!(!test_only(""));
    }

    #[test]
    fn never_compiled_cfgs() {
        let never = |attr: &str| {
            let item: syn::ItemFn = syn::parse_str(&format!("{attr} fn f() {{}}")).unwrap();
            never_compiled(&item.attrs)
        };
        assert!(never("#[cfg(any())]"));
        assert!(never("#[cfg(not(all()))]"));
        assert!(never("#[cfg(all(unix, any()))]"));
        assert!(!never("#[cfg(all())]"));
        assert!(!never("#[cfg(test)]"));
        assert!(!never("#[cfg(feature = \"x\")]"));
        assert!(!never("#[inline]"));
    }
}
