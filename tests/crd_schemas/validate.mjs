// Validate Kubernetes objects against the real Flux and Argo CD CRD schemas.
//
// Reads a JSON array of objects on stdin; writes a JSON array of error messages, one
// string per object ("" when it is valid). The validators come from npm packages
// generated from the projects' released CRD manifests (see package.json); kfroster's
// tests (tests/output/test_deploy.py) call this once per session.
import { Kustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization";
import { GitRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";

const models = new Map([
  ["kustomize.toolkit.fluxcd.io/v1 Kustomization", Kustomization],
  ["source.toolkit.fluxcd.io/v1 GitRepository", GitRepository],
  ["argoproj.io/v1alpha1 Application", Application],
  ["argoproj.io/v1alpha1 ApplicationSet", ApplicationSet],
]);

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((object) => {
  const Model = models.get(`${object.apiVersion} ${object.kind}`);
  if (Model === undefined) return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object).validate();
    return "";
  } catch (error) {
    return String(error.message);
  }
});
process.stdout.write(JSON.stringify(results));
