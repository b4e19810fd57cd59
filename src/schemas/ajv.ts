/**
 * One ajv setup for both sides of the contract: the MCP side (argument validation) and the local
 * API (request validation). Kept out of ./json-schema.ts so that only code which validates loads
 * ajv (the MCP side imports it on the first tool call, not at startup).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

type AddFormats = (ajv: Ajv2020) => Ajv2020;
// ajv-formats is CommonJS with `exports.default`; NodeNext sees the module object.
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

export interface AjvOptions {
  /** Fill schema defaults into the validated value (the local API does; the MCP side never). */
  useDefaults: boolean;
  /** Put the failing value on each error, so messages can say what was given. */
  verbose?: boolean;
}

/** An ajv for the OpenAPI 3.1 dialect (JSON Schema 2020-12), with formats checked. */
export function createAjv(opts: AjvOptions): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: opts.verbose === true,
    // OpenAPI/vendor keywords (x-unkey-redact, x-mcp-time, example, …) are ignored.
    strict: false,
    useDefaults: opts.useDefaults,
    coerceTypes: false,
    logger: false,
    validateFormats: true,
  });
  addFormats(ajv);
  // OpenAPI's numeric formats: the type and bounds already say everything that matters.
  for (const f of ["int32", "int64", "float", "double"]) ajv.addFormat(f, true);
  return ajv;
}
