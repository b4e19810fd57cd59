// The platform shim the SDK's server imports (`@modelcontextprotocol/server/_shims`), as the CLI
// bundle gets it (scripts/postbuild.mjs): the same `process`, and for the default JSON Schema
// validator ours, on the argument validator's ajv, instead of the SDK's, which bundles a second
// copy of ajv (about 215 KB a stdio server would compile at startup and never use: every server
// we build is given its validator). The library entry (dist/index.js) keeps the SDK's own shim.
export { default as process } from "node:process";
export { ArgumentAjvSchemaValidator as DefaultJsonSchemaValidator } from "../dist/tools/arguments.js";
