#!/bin/sh
# Renders every tenant file in tenants/ into rendered/<tenant>/ for Flux,
# then commits the result (default) or pushes it as an OCI artifact.
#
#   render-tenants.sh            # render, then commit rendered/
#   render-tenants.sh push URL   # render, then flux push artifact to URL
#                                # (oci://registry.example.com/platform/mail-tenants)
#
# Run it in CI from the root of the tenants repository. A failing tenant
# fails the job before anything is committed or pushed, and the previous
# rendered/ stays as it was.
set -eu

tenants=tenants
rendered=rendered

# Each tenant's namespace is its file stem: tenants/acme.yaml -> acme.
# --prune removes the directories of tenant files that were deleted.
stalwart-tenant render --tenants-dir "$tenants" --namespace-from-file-stem \
    --output-dir "$rendered" --prune

# The tenant namespaces, which the rendered manifests do not contain. Flux
# never prunes them, so deleting a tenant file keeps its namespace and mail
# data until someone removes them on purpose.
{
    for dir in "$rendered"/*/; do
        name=$(basename "$dir")
        printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n' "$name"
    done
} > "$rendered/namespaces.yaml"

# The top-level kustomization that the Flux Kustomization builds.
{
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- namespaces.yaml\n'
    for dir in "$rendered"/*/; do
        printf -- '- %s\n' "$(basename "$dir")"
    done
} > "$rendered/kustomization.yaml"

case "${1:-commit}" in
commit)
    git add --all "$rendered"
    if git diff --cached --quiet -- "$rendered"; then
        echo "rendered/ is up to date"
    else
        git commit -m "Render tenant manifests" -- "$rendered"
        git push
    fi
    ;;
push)
    url=${2:?usage: render-tenants.sh push oci://REGISTRY/REPOSITORY}
    revision="$(git branch --show-current)@sha1:$(git rev-parse HEAD)"
    flux push artifact "$url:$(git rev-parse --short HEAD)" \
        --path="$rendered" \
        --source="$(git config --get remote.origin.url)" \
        --revision="$revision"
    flux tag artifact "$url:$(git rev-parse --short HEAD)" --tag latest
    ;;
*)
    echo "usage: render-tenants.sh [commit | push oci://REGISTRY/REPOSITORY]" >&2
    exit 2
    ;;
esac
