# twigdata — the two commands a newcomer needs are `make run` and `make test`.
# Each fetches what it needs into git-ignored folders (.deps/, bin/) first.

SHELL := /bin/bash
GO ?= go
ORT_LIB := $(CURDIR)/.deps/onnxruntime/libonnxruntime.so.1
export ONNXRUNTIME_LIB ?= $(ORT_LIB)
export CGO_ENABLED := 1
OUT ?= out/sample
BENCH_N ?= 2000

.PHONY: all run test test-go test-fuzz test-deps warm chromium image test-image test-torch pyenv-datasets2 pyenv-datasets3 pyenv-duckdb pyenv-deploy bench bench-scale build ort versitygw s3servers pyenv node-deps grammar lcms testdata models heldout-photos plan-report prompt-report fuzz vet fmt clean

all: build

## ort: fetch the ONNX Runtime shared library (skipped when ONNXRUNTIME_LIB points elsewhere)
ort:
	@./scripts/fetch-ort.sh

## versitygw: install the S3 server the tests run against (.deps/bin/versitygw)
versitygw:
	@./scripts/fetch-versitygw.sh

## s3servers: the second and third S3 implementations the S3 tests run against: moto (.deps/moto) and s3rver (.deps/s3rver), pinned
s3servers:
	@./scripts/fetch-s3-servers.sh

## pyenv: the Python environment the interop test reads the shards with (pyarrow, datasets, polars; pinned in scripts/interop-requirements.txt) into .deps/py
pyenv:
	@./scripts/fetch-pyenv.sh

## pyenv-datasets2, pyenv-datasets3, pyenv-duckdb: datasets 2.21 and 3.6 (each with its pyarrow and numpy), and DuckDB 1.5.5 with its httpfs and aws extensions, into .deps/py-NAME (pinned in scripts/interop-NAME.txt)
pyenv-datasets2:
	@./scripts/fetch-pyenv-extra.sh datasets2
pyenv-datasets3:
	@./scripts/fetch-pyenv-extra.sh datasets3
pyenv-duckdb:
	@./scripts/fetch-pyenv-extra.sh duckdb

## pyenv-deploy: the offline validators of deploy/'s templates (kubernetes-validate's Kubernetes schemas, botocore's AWS Batch model; pinned in scripts/interop-deploy.txt) into .deps/py-deploy
pyenv-deploy:
	@./scripts/fetch-pyenv-extra.sh deploy

## image: an OCI image of twigdata (from scratch: the binary, ONNX Runtime's CPU library and Debian 12's libc, libstdc++ and CA certificates, pinned; user 65532, no shell), built offline with umoci into .deps/image/twigdata-VERSION.oci.tar (installs umoci and runc with apt; needs root)
image: ort
	@./scripts/build-image.sh

# test-image: the image for make test, built once warm has compiled every package: its go build then only links, where beside warm it would compile DuckDB a second time
test-image: ort warm
	@./scripts/build-image.sh

## chromium: Debian's Chromium 156 (apt, pinned; needs root) for the headless test of twigdata show's page
chromium:
	@./scripts/fetch-chromium.sh

## node-deps: parquet-wasm (arrow-rs) and apache-arrow for the interop test, into .deps/node
node-deps:
	@./scripts/fetch-node-deps.sh

## lcms: Little CMS 2.14 (transicc, jpgicc) and free ICC profiles into .deps/lcms, the reference the colour-management tests measure against
lcms:
	@./scripts/fetch-lcms.sh

## grammar: Link Grammar 5.12 (CMU's English parser, pinned Debian packages, about 1 MB) into .deps/link-grammar; the plan tests parse every plan and revision with it
grammar:
	@./scripts/fetch-link-grammar.sh

## build: compile bin/twigdata
build:
	@echo "build: go build -o bin/twigdata ./cmd/twigdata"
	@$(GO) build -o bin/twigdata ./cmd/twigdata

## run: build the bundled sample into $(OUT)
run: ort build
	@echo "run: bin/twigdata build --out $(OUT) --overwrite"
	@./bin/twigdata build --out $(OUT) --overwrite

# PURE are the packages that need neither cgo nor a model: with CGO_ENABLED=0
# their import graph, tests included, holds no cgo package (only annotators/
# and the binaries use cgo). Their tests run in the one go test pass.
PURE := ./lang/... ./pipeline/... ./schema/... ./storage/... ./stages/... ./validate/... ./show/... ./annotators/segmap/... ./annotators/tokenizer/... ./annotators/florence/... ./annotators/preprocess/... ./annotators/onnxproto/... ./internal/synth/... ./internal/grammar/...

## test-deps: what the tests run against, installed side by side (each into its own folder of .deps), while warm compiles
test-deps: warm pyenv pyenv-datasets2 pyenv-datasets3 pyenv-duckdb pyenv-deploy versitygw s3servers ort node-deps grammar lcms chromium test-image

# The tests build with -trimpath: TestGoInstallFromAModuleProxy's go install
# (-trimpath too) then finds every dependency already compiled, whatever
# folder its module cache is in.
test test-go test-fuzz warm fuzz: export GOFLAGS := -trimpath

## warm: vet and compile every package and test binary (DuckDB's cgo build is a minute of it) while test-deps downloads
warm:
	@echo "warm: go vet ./...; go test -exec true ./... (compiles and links every test binary, runs none)"
	@$(GO) vet ./...
	@$(GO) test -count=1 -exec true ./... > /dev/null

## test: vet, a check that the model-free packages import no cgo package, then every test in one pass (integration tests read the shards with DuckDB, pyarrow, datasets, polars and parquet-wasm; S3 tests run real versitygw, moto and s3rver servers; plan tests parse the plans with Link Grammar)
test:
	@$(MAKE) --no-print-directory -j 4 test-deps
	@echo "test: the packages that need neither cgo nor a model import none (CGO_ENABLED=0 go list -deps -test)"
	@bad=$$(CGO_ENABLED=0 $(GO) list -e -deps -test -f '{{.ImportPath}}{{with .Error}} ERROR: {{.}}{{end}}' $(PURE) | grep -E 'onnxruntime|duckdb|twigdata/annotators( |$$)|ERROR:'); \
		if [ -n "$$bad" ]; then echo "test: $$bad"; exit 1; fi
	@$(MAKE) --no-print-directory -j 2 test-go test-fuzz

# test-go and test-fuzz run side by side: the fuzz smoke (each target fuzzed for a second) fills
# the cores the longest test package leaves idle while it waits on its subprocesses
test-go:
	@echo "test: go test ./..."
	@TWIGDATA_REQUIRE_INTEROP=1 $(GO) test -count=1 -timeout 15m ./...
test-fuzz:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=1s

# FUZZ are the fuzz targets, package:target: every parser of untrusted bytes.
FUZZ := ./stages/source:FuzzManifestJSONL ./stages/source:FuzzManifestCSV ./stages/source:FuzzManifestParquet \
	./stages/source:FuzzTar ./stages/source:FuzzPromptFile ./stages/imageproc:FuzzDecode \
	./stages/imageproc:FuzzExifOrientation ./stages/imageproc:FuzzColourProfile ./stages/prompt:FuzzParse ./schema:FuzzEscapeKey ./annotators/tokenizer:FuzzEncode ./annotators/florence:FuzzParseGrounding ./cmd/twigdata:FuzzConfigFile
FUZZTIME ?= 30s

## fuzz: run every fuzz target for FUZZTIME each (30s; make test runs a 2s smoke), one target per CPU at once (scripts/fuzz-one.sh); a crasher is saved under the package's testdata/fuzz
fuzz:
	@echo "fuzz: $(words $(FUZZ)) targets for $(FUZZTIME) each, $$(nproc) at a time"
	@printf '%s\n' $(FUZZ) | FUZZTIME=$(FUZZTIME) GO=$(GO) xargs -P $$(nproc) -n 1 ./scripts/fuzz-one.sh

## test-torch: run the README's and the card's torch DataLoader examples as written (installs torch, about 3 GB with its CUDA libraries, into .deps/torch: too heavy for make test)
test-torch: run pyenv
	@./scripts/fetch-torch.sh
	@.deps/py/bin/python scripts/torch_examples.py $(OUT)

## bench: run the pipeline on $(BENCH_N) generated pairs and report throughput and overlap (BENCH_ARGS: more twigbench flags, e.g. -stages-only -compose-rounds 5)
bench: ort
	@echo "bench: $(BENCH_N) generated pairs in .deps/bench (made once, then reused)"
	@$(GO) run ./cmd/twigbench -n $(BENCH_N) -dir .deps/bench $(BENCH_ARGS)

## bench-scale: peak memory of bin/twigdata at default settings on manifests of $(SCALE) inputs (the $(BENCH_N) generated pairs under new keys) and on one of $(SCALE_ROWS) rows, most of them rejected, and twigdata validate's time and memory on the 20,000-sample dataset (about 20 minutes on 2 cores)
SCALE ?= 5000,20000,50000
SCALE_ROWS ?= 1000000
bench-scale: ort build
	@$(GO) run ./cmd/twigbench -n $(BENCH_N) -dir .deps/bench -scale $(SCALE) -scale-rows $(SCALE_ROWS) -bin bin/twigdata

## plan-report: plans and critiques judged against ground truth — the held-apart world (development, earlier test and test splits; on the truth, with noise, and on the bundled segmenter's output) and the bundled world — the critic's catch of injected defects, and every plan and revision parsed by Link Grammar
plan-report: ort grammar
	@TWIGDATA_ALL_SPLITS=1 $(GO) test ./internal/heldout -count=1 -v -run 'TestPlanReport' | grep -v '^ *=== \|^ *--- \|^PASS\|^ok'
	@$(GO) test ./internal/heldout -count=1 -v -run 'TestCaptionPathReport' | grep -v '^ *=== \|^ *--- \|^PASS\|^ok'
	@$(GO) test ./internal/heldout -count=1 -v -run 'TestIndependentJudgeReport' | grep -v '^ *=== \|^ *--- \|^PASS\|^ok'

	@TWIGDATA_ALL_SPLITS=1 $(GO) test ./internal/heldout -count=1 -v -run 'TestPlansParseAsEnglish' | grep 'grammar.go' | sed 's/^ *grammar.go:[0-9]*: /held-apart world, plans and revisions: /'
	@echo "bundled world, critic on injected defects (bundled models, stages/critic_defects_test.go):"
	@$(GO) test ./stages -count=1 -v -run TestCriticCatchesInjectedDefects | grep 'precision\|defects injected' | sed 's/^ *critic_defects_test.go:[0-9]*: /  /'

## prompt-report: how often the prompt parser finds each T2I-CompBench category's structure (5.5K prompts)
prompt-report:
	@$(GO) test ./stages/prompt -count=1 -run TestPromptStructureOnCompBench -v | sed -n '/category/,/^---/p'

## models: remake the twin models with the real exporters (torch, transformers, optimum from PyPI into .deps/models-venv; heavy, never run by CI) into testdata/models/twins, and what the reference libraries make of the same inputs (tokenizers' encodings, transformers' Florence-2 generation and grounding parses, panoptic post-processing) into annotators/*/testdata
models:
	@echo "models: Python packages of scripts/models-requirements.txt into .deps/models-venv"
	@test -x .deps/models-venv/bin/python || python3 -m venv .deps/models-venv
	@.deps/models-venv/bin/pip install --quiet -r scripts/models-requirements.txt
	@echo "models: scripts/make_models.py testdata/models/twins"
	@.deps/models-venv/bin/python scripts/make_models.py testdata/models/twins
	@echo "models: scripts/tokenizer_golden.py annotators/tokenizer/testdata (the encodings the BPE encoder must match)"
	@.deps/models-venv/bin/python scripts/tokenizer_golden.py annotators/tokenizer/testdata
	@echo "models: scripts/florence_golden.py annotators/florence/testdata (Florence-2's grounding parses by transformers)"
	@.deps/models-venv/bin/python scripts/florence_golden.py annotators/florence/testdata
	@echo "models: scripts/panoptic_golden.py annotators/segmap/testdata (panoptic post-processing by transformers)"
	@.deps/models-venv/bin/python scripts/panoptic_golden.py annotators/segmap/testdata

## heldout-photos: re-cut the held-apart world's scenery photographs from two pinned Debian wallpaper packages into internal/heldout/testdata/photos (a tool; its outputs are committed, CI never runs it)
heldout-photos: pyenv
	@echo "heldout-photos: scripts/heldout_photos.py internal/heldout/testdata/photos"
	@.deps/py/bin/python scripts/heldout_photos.py internal/heldout/testdata/photos

## testdata: regenerate the bundled sample and tiny models
testdata:
	@$(GO) run ./testdata/gen

vet:
	@$(GO) vet ./...

fmt:
	@gofmt -l -w .

clean:
	rm -rf bin out
