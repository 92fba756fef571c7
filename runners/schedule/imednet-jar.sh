#!/usr/bin/env bash
# The imednet command inside the container image (Dockerfile): the shaded jar
# (runners/README.md, -Pbundle) with the JVM flags ./imednet uses. check.sh checks the flags
# below are the same as ./imednet's default_opts. IMEDNET_JAVA_OPTS replaces them, as in ./imednet.
set -euo pipefail
jar="${IMEDNET_JAR:-/opt/imednet/imednet-export-bundled.jar}"
default_opts="-Xmx1g -XX:+UseParallelGC -XX:Tier4InvocationThreshold=15000"
default_opts+=" -XX:Tier4CompileThreshold=40000 -XX:Tier4BackEdgeThreshold=120000"
default_opts+=" -XX:FreqInlineSize=160 -XX:InlineSmallCode=1500"
# shellcheck disable=SC2086  # IMEDNET_JAVA_OPTS is a space-separated list of JVM flags
exec java ${IMEDNET_JAVA_OPTS:-$default_opts} -jar "$jar" "$@"
