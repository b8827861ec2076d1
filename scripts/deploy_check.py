"""Validates deploy/'s templates offline, as the platforms would read them.

Kubernetes manifests (deploy/kubernetes/*.yaml) against the OpenAPI schemas
of a Kubernetes release (kubernetes-validate, strict: an unknown field is an
error, as `kubectl apply --validate=strict` makes it); AWS Batch templates
(deploy/aws-batch/*.json) against botocore's model of the Batch API: the job
definition as RegisterJobDefinition's input, the submissions as SubmitJob's.
Prints one line per file; exits 1 on any error.

usage: deploy_check.py KUBERNETES_VERSION
"""
import json
import pathlib
import sys

import botocore.session
import kubernetes_validate
import yaml
from botocore.validate import ParamValidator

root = pathlib.Path(__file__).resolve().parent.parent / "deploy"
version = sys.argv[1]
failures = 0

for path in sorted((root / "kubernetes").glob("*.yaml")):
    for doc in yaml.safe_load_all(path.read_text()):
        try:
            kubernetes_validate.validate(doc, version, strict=True)
            print(f"{path.relative_to(root)}: {doc['kind']} {doc['metadata']['name']} is a valid Kubernetes {version} {doc['apiVersion']} object (strict)")
        except kubernetes_validate.ValidationError as e:
            failures += 1
            print(f"{path.relative_to(root)}: {doc['kind']} {doc['metadata']['name']}: {e.message} at {'.'.join(str(p) for p in e.path)}")

batch = botocore.session.get_session().get_service_model("batch")
operation = {"job-definition.json": "RegisterJobDefinition", "submit-build.json": "SubmitJob", "submit-merge.json": "SubmitJob"}
for path in sorted((root / "aws-batch").glob("*.json")):
    op = operation.get(path.name)
    if op is None:
        failures += 1
        print(f"{path.relative_to(root)}: no AWS Batch operation takes it")
        continue
    report = ParamValidator().validate(json.loads(path.read_text()), batch.operation_model(op).input_shape)
    if report.has_errors():
        failures += 1
        print(f"{path.relative_to(root)}: not a valid {op} request:\n{report.generate_report()}")
    else:
        print(f"{path.relative_to(root)}: a valid AWS Batch {op} request (botocore {botocore.__version__}, batch API {batch.api_version})")

sys.exit(1 if failures else 0)
