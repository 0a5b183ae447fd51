#!/bin/sh
# kfroster drift --revoke: 9 entries read from cluster.yaml against users.yaml.
# Read each command before you run it: kfroster deletes nothing itself.
set -eu

# CRITICAL granted: User eve@example.com cluster-wide
kubectl delete clusterrolebindings.rbac.authorization.k8s.io eve-admin

# HIGH granted: User mallory@example.com in team-vision
kubectl delete rolebindings.rbac.authorization.k8s.io --namespace team-vision user-mallory-example-com-clusterrole-edit
kubectl delete authorizationpolicies.security.istio.io --namespace team-vision user-mallory-example-com-clusterrole-edit

# HIGH granted: User sam@example.com in amara
kubectl delete rolebindings.rbac.authorization.k8s.io --namespace amara helper

# HIGH unmanaged: profile zoe
# its namespace has an ownerReference to it: release it, keeping the data
kubectl patch namespace zoe --type=json -p '[{"op":"test","path":"/metadata/ownerReferences/0/uid","value":"uid-of-profile-zoe"},{"op":"remove","path":"/metadata/ownerReferences/0"}]'
kubectl delete profiles.kubeflow.org zoe
