//! Generates the C header from `src/ffi` into `OUT_DIR/graphmail.h` (build scripts write only
//! to OUT_DIR). `tests/header.rs` checks that the committed `include/graphmail.h` matches it.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=include/cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let version = std::env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION");
    let mut config = cbindgen::Config::from_file(crate_dir.join("include/cbindgen.toml"))
        .expect("include/cbindgen.toml is readable and valid");
    let mut parts = version.split(['.', '-']);
    let mut next = || parts.next().unwrap_or("0").to_string();
    let (major, minor, patch) = (next(), next(), next());
    config.after_includes = Some(format!(
        "\n/** The library version this header belongs to; graph_version() returns the same string. */\n\
         #define GRAPHMAIL_VERSION \"{version}\"\n\
         #define GRAPHMAIL_VERSION_MAJOR {major}\n\
         #define GRAPHMAIL_VERSION_MINOR {minor}\n\
         #define GRAPHMAIL_VERSION_PATCH {patch}\n"
    ));
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the C header from src/ffi")
        .write_to_file(out_dir.join("graphmail.h"));
}
