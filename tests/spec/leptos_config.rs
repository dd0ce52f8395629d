//! Leptos.toml is the server's runtime configuration outside cargo-leptos; it must agree with
//! `[package.metadata.leptos]`, which cargo-leptos builds from.

fn leptos_section(path: &str) -> toml::Table {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc["package"]["metadata"]["leptos"]
        .as_table()
        .unwrap()
        .clone()
}

#[test]
fn leptos_toml_agrees_with_cargo_metadata() {
    let runtime = leptos_section("Leptos.toml");
    let build = leptos_section("Cargo.toml");
    for key in [
        "output-name",
        "site-root",
        "site-pkg-dir",
        "site-addr",
        "reload-port",
    ] {
        assert_eq!(
            runtime.get(key),
            build.get(key),
            "`{key}` differs between Leptos.toml and Cargo.toml"
        );
    }
    // Every runtime key is one the server reads (no decoration).
    for key in runtime.keys() {
        assert!(
            [
                "output-name",
                "site-root",
                "site-pkg-dir",
                "site-addr",
                "reload-port",
                "env"
            ]
            .contains(&key.as_str()),
            "Leptos.toml has `{key}`, which the server does not read"
        );
    }
}

#[test]
fn the_server_reads_leptos_toml_as_its_configuration() {
    let conf = leptos::config::get_configuration(Some(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/Leptos.toml"
    )))
    .unwrap();
    let options = conf.leptos_options;
    assert_eq!(&*options.output_name, "social-media-uploader");
    assert_eq!(
        options.site_addr.port(),
        8097,
        "the service listens on 8097 by default"
    );
    assert_eq!(&*options.site_pkg_dir, "pkg");
}
