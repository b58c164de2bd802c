#!/usr/bin/env bash
# Quick start command (1): set up, build, run the article's experiments (jobs
# ex1-reparam, ex2-centralizer, ex3, ex4-lpball, ex5-orbit, and the frontier probes: frontier,
# align with symsweep align, teleport, discovery-curves, project-orbit) on all
# local cores and show
# their results: the summary of each file (per-metric means with 95% CIs per
# configuration), the Ex3 weight structure per regularizer, and a report per
# file (figures, statistics, the article's claims tested) under out/report-*.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p out
# rank 0 coordinates (mostly asleep), one worker per core
np=$(( $(nproc) + 1 ))
for job in ex1-reparam ex2-centralizer ex3 ex4-lpball ex5-orbit frontier align teleport discovery-curves \
           project-orbit; do
  echo "=== jobs/$job.yaml on $np ranks ==="
  mpirun --oversubscribe -np $np build/symsweep run jobs/$job.yaml -o out/$job.h5 --force 2>/dev/null
done
echo "=== seeds compared modulo their symmetries (symsweep align) ==="
build/symsweep align out/align.h5 --force
echo "=== weight structure (analysis/quicklook.py) ==="
/usr/bin/python3 analysis/quicklook.py out/ex3.h5
echo "=== figures, statistics and the article's claims (analysis/report.py) ==="
for job in ex1-reparam ex2-centralizer ex3 ex4-lpball ex5-orbit frontier align teleport discovery-curves \
           project-orbit; do
  /usr/bin/python3 analysis/report.py out/$job.h5 --out out/report-$job -q
done
cat out/report-*/claims.md | grep -v '^# Claims' | awk 'NR == 1 || !/^\| claim|^\|---/' | cut -d'|' -f2,4,7,8,12-14
echo "reports: $(ls -d out/report-*/report.md | tr '\n' ' ')"
