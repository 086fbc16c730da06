# Sourced by ./bpf4j and the scripts: selects a JDK 25 or newer into JAVA_HOME.
java_major() { # feature version of the java binary $1, or 0
    local v
    v="$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
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
