"""Hold a live cluster to the roster: access granted outside it, objects missing or changed.

The data flows one way, driven by compare.compare:

  importer.read_cluster     kubectl output → located ClusterObjects, read as `import` reads it
  pipeline.check_source     the roster, validated; render.render_objects compiles it
                            as `compile` does, nothing written
  find.find                 the cluster's objects against the compiled ones → facts
  judge.judge               facts → entries: kind, severity, words, roster line, adoption
  present                   text, markdown (an issue comment), json, github annotations
  adopt.adopt               the roster, edited to grant what the cluster grants and it can say
  revoke.script             the kubectl commands that remove what it cannot

The dump is compared with one compiled roster: when the roster names clusters, the
one-cluster roster of the cluster the dump comes from (`--cluster`, `Drift.cluster`),
so a dump is held to exactly the tree out/<cluster>/ holds.

This package's __init__ imports nothing: `kfroster --help` reads formats.DRIFT_FORMATS
and must not pay for the compiler.
"""
