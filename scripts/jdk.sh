# Sourced by ./bpf4j and the scripts: selects a JDK 25 or newer into JAVA_HOME.
java_major() { # feature version of the JDK whose java binary is $1, or 0
    local home v
    home="$(dirname "$(dirname "$1")")"
    # The JDK's release file answers without starting a JVM.
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null)"
    if [[ -z "$v" ]]; then
        v="$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
    fi
    echo "${v:-0}"
}

find_jdk() {
    local candidate
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" && "$(java_major "$JAVA_HOME/bin/java")" -ge 25 ]]; then
        echo "$JAVA_HOME"; return 0
    fi
    for candidate in /usr/lib/jvm/*; do
        if [[ -x "$candidate/bin/javac" && "$(java_major "$candidate/bin/java")" -ge 25 ]]; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

select_jdk() {
    if ! JAVA_HOME="$(find_jdk)"; then
        echo "bpf4j: needs a JDK 25 or newer; set JAVA_HOME or install one under /usr/lib/jvm" >&2
        exit 1
    fi
    export JAVA_HOME
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}
