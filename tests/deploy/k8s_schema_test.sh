#!/usr/bin/env bash
# The Kubernetes manifests, rendered with `kubectl kustomize` (the base and
# every overlay), validated against Kubernetes' own OpenAPI schemas in strict
# mode (an unknown field is an error) by kubernetes-validate, from PyPI into
# a virtual environment under the build directory. A broken copy must fail,
# so that a validator that checks nothing cannot pass. Skipped (exit 77)
# without kubectl or PyPI.
#
# usage: k8s_schema_test.sh BUILD_DIR SOURCE_DIR [KUBERNETES_VERSION=1.30]
set -euo pipefail
build_dir=$1
source_dir=$2
version=${3:-1.30}
venv="$build_dir/k8s-validate-venv"
command -v kubectl > /dev/null || { echo "k8s_schema_test: kubectl is not installed; skipped"; exit 77; }
if ! "$venv/bin/kubernetes-validate" --version > /dev/null 2>&1; then
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==1.37.0"; then
    echo "k8s_schema_test: could not install kubernetes-validate 1.37.0 from PyPI; skipped"
    exit 77
  fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for dir in base $(cd "$source_dir/deploy/k8s" && ls -d overlays/*); do
  rendered="$work/$(echo "$dir" | tr / -).yaml"
  kubectl kustomize "$source_dir/deploy/k8s/$dir" > "$rendered"
  if "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "$rendered"; then
    echo "k8s_schema_test: deploy/k8s/$dir: $(grep -c '^kind:' "$rendered") objects valid for Kubernetes $version"
  else
    echo "k8s_schema_test: deploy/k8s/$dir does not validate against Kubernetes $version"
    status=1
  fi
done
# The validator must see a mistake: an unknown field and a missing required one.
sed 's/containerPort:/containerPorts:/' "$work/base.yaml" > "$work/broken.yaml"
if "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "$work/broken.yaml" > /dev/null 2>&1; then
  echo "k8s_schema_test: a manifest with a misspelt field passed the validator"
  status=1
fi
exit "$status"
