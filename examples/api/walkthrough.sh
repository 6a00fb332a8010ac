#!/usr/bin/env bash
# The REST API walkthrough of docs/api.md, runnable end to end against `oi serve`:
#   OI_URL=http://127.0.0.1:8000 OI_KEY=oi_... examples/api/walkthrough.sh
# It uploads a small NER file, fine-tunes minilm-l6 on it, promotes and uses the model.
set -euo pipefail
: "${OI_URL:=http://127.0.0.1:8000}"
: "${OI_KEY:?set OI_KEY to an admin key from: oi keys create --scope admin}"
AUTH="Authorization: Bearer $OI_KEY"
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT

# 1. Health (no key needed).
curl -sf "$OI_URL/health"; echo

# 2. Upload a training file (CoNLL: word and tag per line, blank line between sentences).
printf 'John B-PER\nlives O\nin O\nParis B-LOC\n. O\n\nMary B-PER\nworks O\nat O\nAcme B-ORG\nCorp I-ORG\n. O\n' > "$DATA/train.conll"
for _ in $(seq 1 5); do cat "$DATA/train.conll"; echo; done > "$DATA/train5.conll"
DATASET=$(curl -sf -H "$AUTH" -F "file=@$DATA/train5.conll" -F name=people "$OI_URL/v1/datasets")
echo "$DATASET"
DATASET_ID=$(echo "$DATASET" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

# 3. A malformed file is refused with 400 and the line number.
printf 'John B-PER\nlives\n' > "$DATA/bad.conll"
curl -s -H "$AUTH" -F "file=@$DATA/bad.conll" "$OI_URL/v1/datasets"; echo

# 4. Start a fine-tune: the same settings as `oi train`'s YAML.
JOB=$(curl -sf -H "$AUTH" -H 'Content-Type: application/json' "$OI_URL/v1/fine-tunes" -d "{
  \"model_name\": \"people-ner\", \"train_dataset_id\": \"$DATASET_ID\",
  \"config\": {\"model\": \"minilm-l6\", \"epochs\": 8, \"learning_rate\": 3e-4, \"batch_size\": 4}}")
JOB_ID=$(echo "$JOB" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "job $JOB_ID"

# 5. Follow it live (server-sent events: step, evaluation, status; ends when it finishes).
curl -sfN -H "$AUTH" "$OI_URL/v1/fine-tunes/$JOB_ID/events" | grep -E '^event: (status|end)' || true
curl -sf -H "$AUTH" "$OI_URL/v1/fine-tunes/$JOB_ID" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["status"], j["progress"])'

# 6. The registry: versions with metrics and lineage; promote the version this job made
#    (a rerun of this script makes the next version, and serves that one).
VERSIONS=$(curl -sf -H "$AUTH" "$OI_URL/v1/models/people-ner/versions")
echo "$VERSIONS" | python3 -c 'import json,sys; print([(v["version"], v["stage"]) for v in json.load(sys.stdin)])'
VERSION=$(echo "$VERSIONS" | JOB_ID=$JOB_ID python3 -c 'import json,os,sys; print(next(v["version"] for v in json.load(sys.stdin) if v["job_id"] == os.environ["JOB_ID"]))')
curl -sf -H "$AUTH" -H 'Content-Type: application/json' "$OI_URL/v1/models/people-ner/promote" -d "{\"version\": $VERSION}"; echo

# 7. Predict: entity spans with character offsets and scores.
curl -sf -H "$AUTH" -H 'Content-Type: application/json' "$OI_URL/v1/models/people-ner/predict" \
  -d '{"texts": ["Mary lives in Paris", "John works at Acme Corp"]}'; echo
#    ... and which words made it find the first entity (scores per word, with offsets).
curl -s -H "$AUTH" -H 'Content-Type: application/json' "$OI_URL/v1/models/people-ner/explain" \
  -d '{"text": "Mary lives in Paris", "method": "occlusion", "target": 0}'; echo

# 8. Evaluate the production version on a dataset and keep the report.
curl -sf -H "$AUTH" -H 'Content-Type: application/json' "$OI_URL/v1/evaluations" \
  -d "{\"model_name\": \"people-ner\", \"dataset_id\": \"$DATASET_ID\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["report"]["text"])'

# 9. Errors are problem details with a stable code.
curl -s -H "$AUTH" -H 'Content-Type: application/json' "$OI_URL/v1/models/nope/predict" -d '{"texts": ["x"]}'; echo
curl -s "$OI_URL/v1/models"; echo
