//! The committed C header must match what cbindgen generates from `src/ffi`, and the versions
//! in Cargo.toml, the header and `graph_version()` must agree.
//! Regenerate the header with: `GRAPHMAIL_BLESS=1 cargo test --test header`.

use std::ffi::CStr;
use std::path::Path;

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/graphmail.h"));

#[test]
fn committed_header_is_up_to_date() {
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/graphmail.h");
    if std::env::var_os("GRAPHMAIL_BLESS").is_some() {
        std::fs::write(&committed_path, GENERATED).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == GENERATED,
        "include/graphmail.h is stale: the C ABI in src/ffi changed. Regenerate it with \
         `GRAPHMAIL_BLESS=1 cargo test --test header` and commit the result."
    );
}

#[test]
fn versions_agree() {
    let version = env!("CARGO_PKG_VERSION");
    let from_c = unsafe { CStr::from_ptr(graphmail::ffi::graph_version()) }
        .to_str()
        .unwrap();
    assert_eq!(from_c, version);
    assert_eq!(graphmail::VERSION, version);
    assert!(
        GENERATED.contains(&format!("#define GRAPHMAIL_VERSION \"{version}\"")),
        "header does not carry the crate version"
    );
}
