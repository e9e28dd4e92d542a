#!/usr/bin/env bash
# Builds the JMH benchmarks, runs them and writes docs/benchmarks.md from the results.
#
#   cqrs-benchmarks/run.sh                 # the whole suite with each class's own settings
#   cqrs-benchmarks/run.sh Dispatch        # extra arguments go to JMH (here: a benchmark regex)
#   JMH_ARGS="-f 1 -wi 1 -i 1 -w 1s -r 1s" cqrs-benchmarks/run.sh   # a quick smoke run
#   BENCH_NOTE="..." cqrs-benchmarks/run.sh                           # a note for the page
#   MVN_ARGS="-o" cqrs-benchmarks/run.sh                              # build offline
#   RABBIT_LATENCY=0 cqrs-benchmarks/run.sh                           # skip the latency program
#   BENCH_OUTPUT=/tmp/page.md cqrs-benchmarks/run.sh                  # write the page elsewhere
#
# After JMH the script runs RabbitLatency (publish-to-handler latency through RabbitEventBus at
# 1,000 events/s for 10 s) and puts its figures on the page too: by default only in a full run
# (no arguments); RABBIT_LATENCY=1 runs it with a benchmark regex as well, RABBIT_LATENCY=0 never.
#
# Without JMH_ARGS each benchmark class runs with its @Fork/@Warmup/@Measurement settings (about
# seven minutes in all); JMH_ARGS overrides them for every class. Nothing else in the build runs
# benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

jmh_args=${JMH_ARGS:-}
result=cqrs-benchmarks/target/jmh-result.json
jar=cqrs-benchmarks/target/benchmarks.jar
latency_result=cqrs-benchmarks/target/rabbit-latency.json
output=${BENCH_OUTPUT:-docs/benchmarks.md}
if [[ $# -eq 0 ]]; then
  run_latency=${RABBIT_LATENCY:-1}
else
  run_latency=${RABBIT_LATENCY:-0}
fi

# shellcheck disable=SC2086 # MVN_ARGS and jmh_args are word lists on purpose
./mvnw -q ${MVN_ARGS:-} -Pbenchmarks -pl cqrs-benchmarks -am package -DskipTests

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
# shellcheck disable=SC2086
java -jar "$jar" $jmh_args -prof gc -rf json -rff "$result" "$@"
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

latency_args=()
latency_command=""
if [[ $run_latency == 1 ]]; then
  rm -f "$latency_result"
  java -cp "$jar" io.cqrs.benchmarks.RabbitLatency 1000 10 "$latency_result"
  load_after_latency=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
  latency_args=(--latency "$latency_result")
  latency_command="
# then: java -cp $jar io.cqrs.benchmarks.RabbitLatency 1000 10 $latency_result"
fi

command="cqrs-benchmarks/run.sh${*:+ $*}"
if [[ -n ${JMH_ARGS:-} ]]; then
  command="JMH_ARGS=\"$JMH_ARGS\" $command"
fi
if [[ -n ${RABBIT_LATENCY:-} ]]; then
  command="RABBIT_LATENCY=$RABBIT_LATENCY $command"
fi
command="$command
# which runs: java -jar $jar${jmh_args:+ $jmh_args} -prof gc -rf json -rff $result${*:+ $*}$latency_command"

load_note="Load average (1, 5, 15 min) just before the run: $load_before; just after JMH: $load_after"
if [[ $run_latency == 1 ]]; then
  load_note="$load_note; just after the latency program: $load_after_latency"
fi
notes=(--note "$load_note.")
if [[ -n ${BENCH_NOTE:-} ]]; then
  notes=(--note "$BENCH_NOTE" "${notes[@]}")
fi

java -cp "$jar" io.cqrs.benchmarks.report.BenchmarkReport "$result" "$output" \
  --command "$command" "${notes[@]}" ${latency_args[@]+"${latency_args[@]}"}
echo "Wrote $output from $result"
