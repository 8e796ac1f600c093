//! The shipped sample configurations, loaded from disk through the public
//! API (`rzk::config::load`).

use std::path::{Path, PathBuf};

use rzk::config::{self, HostPort, SystemProperties};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

/// Copies a fixture into a fresh directory, pointing `dataDir` there so that
/// no stray `/tmp/zookeeper/myid` can influence the result.
fn load_fixture(name: &str) -> config::ServerConfig {
    let dir =
        std::env::temp_dir().join(format!("rzk-config-samples-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let text = std::fs::read_to_string(fixture(name)).expect("read fixture");
    assert!(text.contains("dataDir=/tmp/zookeeper\n"));
    let text = text.replace(
        "dataDir=/tmp/zookeeper",
        &format!("dataDir={}", dir.display()),
    );
    let path = dir.join("zoo.cfg");
    std::fs::write(&path, text).expect("write config");
    let result = config::load(&path, SystemProperties::new());
    let _ = std::fs::remove_dir_all(&dir);
    result.expect("the sample configuration is valid")
}

fn check(config: &config::ServerConfig) {
    assert!(config.is_standalone());
    assert_eq!(config.tick_time, 2000);
    assert_eq!((config.init_limit, config.sync_limit), (10, 5));
    assert_eq!(
        (config.min_session_timeout, config.max_session_timeout),
        (4000, 40000)
    );
    assert_eq!(
        config.client_address,
        Some(HostPort {
            host: "0.0.0.0".to_string(),
            port: 2181
        })
    );
    assert_eq!(config.max_client_cnxns, 60);
    assert_eq!(config.server_id, None);
    assert!(config
        .render_effective()
        .contains("\nminSessionTimeout=4000\n"));
}

#[test]
fn config_zookeeper_zoo_sample_cfg() {
    check(&load_fixture("zoo_sample.cfg"));
}

#[test]
fn config_debian_zoo_cfg() {
    check(&load_fixture("debian_zoo.cfg"));
}
