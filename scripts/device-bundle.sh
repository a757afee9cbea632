#!/bin/bash
# Packs what scripts/gpu-check.sh needs on a GPU machine with no network and no Maven into .devbundle/ (git-ignored,
# about 48 MiB): a jlinked JRE 17, the learners' jars without the CPU native, a logback.xml. Run after mvn install.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .devbundle && mkdir -p .devbundle/lib .devbundle/conf
jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,java.naming,java.xml,jdk.zipfs \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output .devbundle/jre
# the cluster module's classpath: the learners' dependencies plus logback
(cd cluster && mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=/tmp/troupe-learners.cp)
cp core/target/troupe-core-*.jar learners/target/troupe-learners-*.jar .devbundle/lib/
tr ':' '\n' < /tmp/troupe-learners.cp \
  | grep -E '/(api-|pytorch-engine-|pytorch-jni-|gson-|jna-|slf4j-api-|logback-classic-|logback-core-|commons-compress-|config-|jackson-core-|jackson-databind-|jackson-annotations-)[0-9]' \
  | xargs -I{} cp {} .devbundle/lib/
cat > .devbundle/conf/logback.xml <<'XML'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n</pattern></encoder>
  </appender>
  <logger name="ai.djl.pytorch.jni" level="DEBUG"/>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
XML
cp scripts/gpu-check.sh .devbundle/
du -sh .devbundle
