#!/usr/bin/env bash
# Installs what the compat tests need (called by `make test`; safe to re-run):
#   - a Java 17 JDK (javac),
#   - Debian's ZooKeeper 3.8.0 (jars in /usr/share/java, the C client cli_mt
#     and its library libzookeeper-mt with headers) and Curator 5.4, and
#     commons-cli (for zkCli and Java's TxnLogToolkit),
#   - a C compiler (the C client scenarios are built against libzookeeper-mt),
#   - the reference ZooKeeper 3.9.5 and Curator 5.9.0 jars, taken from PyPI's
#     pyspark sdist and cached in $RZK_CACHE/jars,
#   - a Python venv with kazoo in $RZK_CACHE/venv.
# The cache lives outside the repository: ${RZK_CACHE:-$HOME/.cache/rzk}.
# A second run only checks and prints the summary.
set -euo pipefail

RZK_CACHE="${RZK_CACHE:-$HOME/.cache/rzk}"
PYSPARK_VERSION=4.3.0
PYSPARK_SHA256=e8c517948eff7088a7aa07449aa8eafa4a15a8d50319de2525a6fd26622476c6
KAZOO_VERSION=2.11.0

JAR_DIR="$RZK_CACHE/jars"
PIP_DIR="$RZK_CACHE/pip"
VENV="$RZK_CACHE/venv"
STAMP="$JAR_DIR/.extracted-pyspark-$PYSPARK_VERSION"

# The jars the harness uses (compat-tests/src/deps.rs names the same files).
NETTY_VERSION=4.2.13.Final
REFERENCE_JARS=(
    zookeeper-3.9.5.jar zookeeper-jute-3.9.5.jar
    slf4j-api-2.0.17.jar log4j-slf4j2-impl-2.25.4.jar log4j-api-2.25.4.jar log4j-core-2.25.4.jar
    audience-annotations-0.12.0.jar commons-io-2.22.0.jar metrics-core-4.2.37.jar
    snappy-java-1.1.10.8.jar
    curator-client-5.9.0.jar curator-framework-5.9.0.jar curator-recipes-5.9.0.jar
)
NETTY_MODULES=(buffer codec codec-base common handler resolver transport
    transport-classes-epoll transport-native-unix-common)
for m in "${NETTY_MODULES[@]}"; do
    REFERENCE_JARS+=("netty-$m-$NETTY_VERSION.jar")
done
DEBIAN_JARS=(
    zookeeper.jar zookeeper-jute.jar slf4j-api.jar slf4j-simple.jar metrics-core.jar
    snappy-java.jar commons-io.jar curator-client.jar curator-framework.jar
    curator-recipes.jar guava.jar commons-cli.jar jackson-core.jar
)
# Debian installs the C client off PATH.
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
# commons-cli and jackson-core: Java's SnapshotComparer and SnapshotFormatter
# -json, which the snapshot compat tests run.
DEBIAN_PACKAGES=(zookeeper libzookeeper-java zookeeper-bin libcurator-client-java
    libcurator-framework-java libcurator-recipes-java libzookeeper-mt-dev gcc libc6-dev
    libcommons-cli-java libjackson2-core-java strace)
# strace: the crash tests check that rzk replies to a write only after the
# fdatasync that makes it durable.
# The C client's header (libzookeeper-mt-dev).
C_CLIENT_HEADER=/usr/include/zookeeper/zookeeper.h

log() { printf '[setup-test-deps] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi

apt_updated=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: $*"
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        "${SUDO[@]}" apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install $*"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

dpkg_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# --- Java and Debian's ZooKeeper 3.8.0 --------------------------------------
missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg_installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    # Slim Debian images drop /usr/share/man, and the JDK's postinst then
    # fails to register its man pages with update-alternatives.
    "${SUDO[@]}" mkdir -p /usr/share/man/man1
    apt_install "${missing[@]}"
fi

# Debian's package ships no init script, and in a container nothing starts
# it, but a systemd host may: stop it so that no stray server sits on 2181.
# (The tests never use 2181; this only removes a source of confusion.)
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet zookeeper 2>/dev/null; then
    log "stopping and disabling the system ZooKeeper service"
    "${SUDO[@]}" systemctl disable --now zookeeper || true
fi

# --- Python: pip and venv ----------------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
    apt_install python3 python3-venv python3-pip
fi

# A venv whose interpreter went away (e.g. a pyenv version removed) is rebuilt.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "removing the broken venv $VENV"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$RZK_CACHE"
    log "creating the venv $VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        # Debian's python3 needs python3-venv for ensurepip.
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV"
    fi
fi

installed_kazoo() {
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("kazoo"))' 2>/dev/null || true
}
if [ "$(installed_kazoo)" != "$KAZOO_VERSION" ]; then
    log "installing kazoo==$KAZOO_VERSION into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "kazoo==$KAZOO_VERSION"
fi

# --- ZooKeeper 3.9.5 and Curator 5.9.0 from the pyspark sdist ---------------
have_reference_jars() {
    [ -f "$STAMP" ] || return 1
    local j
    for j in "${REFERENCE_JARS[@]}"; do
        [ -s "$JAR_DIR/$j" ] || return 1
    done
}

if ! have_reference_jars; then
    tarball="$PIP_DIR/pyspark-$PYSPARK_VERSION.tar.gz"
    if [ ! -s "$tarball" ]; then
        log "downloading pyspark==$PYSPARK_VERSION (sdist, about 456 MB) into $PIP_DIR"
        mkdir -p "$PIP_DIR"
        # pip from the venv: Debian's python3 may lack a pip of its own.
        "$VENV/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
            --no-binary pyspark "pyspark==$PYSPARK_VERSION" -d "$PIP_DIR"
    fi
    [ -s "$tarball" ] || die "pip did not produce $tarball"
    log "checking $tarball"
    echo "$PYSPARK_SHA256  $tarball" | sha256sum -c --quiet - \
        || die "$tarball does not match the pinned sha256; delete it and re-run"

    log "extracting the ZooKeeper 3.9.5 / Curator 5.9.0 jars into $JAR_DIR"
    mkdir -p "$RZK_CACHE"
    tmp="$(mktemp -d "$RZK_CACHE/jars.tmp.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    prefix="pyspark-$PYSPARK_VERSION/deps/jars"
    patterns=()
    for w in zookeeper- curator- slf4j-api- log4j-api- log4j-core- log4j-slf4j2-impl- \
        audience-annotations- commons-io- metrics-core- snappy-java-; do
        patterns+=("$prefix/$w*")
    done
    for m in "${NETTY_MODULES[@]}"; do
        patterns+=("$prefix/netty-$m-$NETTY_VERSION.jar")
    done
    tar xzf "$tarball" -C "$tmp" --strip-components=3 --wildcards "${patterns[@]}"
    mkdir -p "$JAR_DIR"
    mv -f "$tmp"/*.jar "$JAR_DIR"/
    rm -rf "$tmp"
    trap - EXIT
    for j in "${REFERENCE_JARS[@]}"; do
        [ -s "$JAR_DIR/$j" ] || die "$j is not in the pyspark $PYSPARK_VERSION sdist"
    done
    printf '%s\n' "${REFERENCE_JARS[@]}" >"$STAMP"
fi

# --- Check everything and summarise -------------------------------------------
problems=()
command -v java >/dev/null 2>&1 || problems+=("java not on PATH")
command -v javac >/dev/null 2>&1 || problems+=("javac not on PATH")
[ -x "$CLI_MT" ] || problems+=("$CLI_MT (zookeeper-bin) missing")
[ -f "$C_CLIENT_HEADER" ] || problems+=("$C_CLIENT_HEADER (libzookeeper-mt-dev) missing")
command -v cc >/dev/null 2>&1 || problems+=("cc (gcc) not on PATH")
for j in "${DEBIAN_JARS[@]}"; do
    [ -s "/usr/share/java/$j" ] || problems+=("/usr/share/java/$j missing")
done
for j in "${REFERENCE_JARS[@]}"; do
    [ -s "$JAR_DIR/$j" ] || problems+=("$JAR_DIR/$j missing")
done
kazoo="$(installed_kazoo)"
[ "$kazoo" = "$KAZOO_VERSION" ] || problems+=("kazoo $KAZOO_VERSION not in $VENV (found '${kazoo}')")

if [ "${#problems[@]}" -gt 0 ]; then
    for p in "${problems[@]}"; do log "MISSING: $p"; done
    die "test dependencies are incomplete"
fi

if command -v ss >/dev/null 2>&1 && ss -Hltn 'sport = :2181' 2>/dev/null | grep -q .; then
    log "note: something listens on port 2181 (the tests do not use it)"
fi

java_version="$(java -version 2>&1 | head -n1)"
log "ready:"
log "  java:            $java_version ($(command -v javac))"
log "  ZooKeeper 3.9.5: $JAR_DIR ($(du -sh "$JAR_DIR" | cut -f1))"
log "  ZooKeeper 3.8.0: /usr/share/java/zookeeper.jar, C client $CLI_MT and $C_CLIENT_HEADER"
log "  kazoo $kazoo:    $VENV/bin/python"
