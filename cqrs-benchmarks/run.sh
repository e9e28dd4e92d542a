#!/usr/bin/env bash
# Builds the JMH benchmarks, runs them and writes docs/benchmarks.md from the results.
#
#   cqrs-benchmarks/run.sh                 # the whole suite with each class's own settings
#   cqrs-benchmarks/run.sh Dispatch        # extra arguments go to JMH (here: a benchmark regex)
#   JMH_ARGS="-f 1 -wi 1 -i 1 -w 1s -r 1s" cqrs-benchmarks/run.sh   # a quick smoke run
#   BENCH_NOTE="..." cqrs-benchmarks/run.sh                           # a note for the page
#   MVN_ARGS="-o" cqrs-benchmarks/run.sh                              # build offline
#
# Without JMH_ARGS each benchmark class runs with its @Fork/@Warmup/@Measurement settings (about
# seven minutes in all); JMH_ARGS overrides them for every class. Nothing else in the build runs
# benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

jmh_args=${JMH_ARGS:-}
result=cqrs-benchmarks/target/jmh-result.json
jar=cqrs-benchmarks/target/benchmarks.jar

# shellcheck disable=SC2086 # MVN_ARGS and jmh_args are word lists on purpose
./mvnw -q ${MVN_ARGS:-} -Pbenchmarks -pl cqrs-benchmarks -am package -DskipTests

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
# shellcheck disable=SC2086
java -jar "$jar" $jmh_args -prof gc -rf json -rff "$result" "$@"
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

command="cqrs-benchmarks/run.sh${*:+ $*}"
if [[ -n ${JMH_ARGS:-} ]]; then
  command="JMH_ARGS=\"$JMH_ARGS\" $command"
fi
command="$command
# which runs: java -jar $jar${jmh_args:+ $jmh_args} -prof gc -rf json -rff $result${*:+ $*}"

notes=(--note "Load average (1, 5, 15 min) just before the run: $load_before; just after: $load_after.")
if [[ -n ${BENCH_NOTE:-} ]]; then
  notes=(--note "$BENCH_NOTE" "${notes[@]}")
fi

java -cp "$jar" io.cqrs.benchmarks.report.BenchmarkReport "$result" docs/benchmarks.md \
  --command "$command" "${notes[@]}"
echo "Wrote docs/benchmarks.md from $result"
