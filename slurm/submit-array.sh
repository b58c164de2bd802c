#!/bin/bash
# Submit a sweep as N shards (a job array) plus a merge job that runs when
# every shard has completed.
#   slurm/submit-array.sh JOB.yaml N [OUT.h5] [extra sbatch options...]
set -eu
JOB=${1:?usage: slurm/submit-array.sh JOB.yaml N [OUT.h5] [sbatch options]}
N=${2:?number of shards}
OUT=${3:-$(dirname "$JOB")/$(basename "$JOB" .yaml).h5}
shift $(( $# < 3 ? $# : 3 ))
here=$(cd "$(dirname "$0")" && pwd)
SYMSWEEP=${SYMSWEEP:-symsweep}
"$SYMSWEEP" validate "$JOB" >/dev/null
arr=$(sbatch --parsable --array=0-$((N - 1)) "$@" "$here/symsweep-array.sbatch" "$JOB" "$OUT")
arr=${arr%%;*}
shards=()
for ((i = 0; i < N; i++)); do shards+=("${OUT%.h5}.shard-$i-of-$N.h5"); done
merge=$(sbatch --parsable --dependency=afterok:"$arr" --ntasks=1 --time=00:30:00 \
  --job-name=symsweep-merge --output="symsweep-merge-%j.log" \
  --wrap="$SYMSWEEP merge '$OUT' ${shards[*]} && $SYMSWEEP summary '$OUT'")
echo "array job $arr ($N shards), merge job $merge -> $OUT"
