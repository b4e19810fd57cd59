/**
 * The direct path for the commonest 2026-07-28 traffic: one `tools/call` of a read tool, or one
 * `tools/list`, as a single JSON request that the SDK's modern handler would answer with a plain
 * 200 JSON body.
 *
 * The SDK's handler (`createMcpHandler(...).fetch`) serves every such request through a web
 * `Request`, its own copy of the classification, a fresh server and per-request transport that
 * builds a web `Response`, and the Node adapter that streams that Response back: most of the CPU
 * the HTTP server spent on a call. Here servers built by the same factory stay connected to a
 * transport of the SDK's own per-request class (pooled, direct-pool.ts), so the SDK binds each
 * to the classified revision and every handler, validation and result stamp is the SDK's; only
 * the message travels without web objects around it, and no server is built per request.
 *
 * Which requests take it is decided by the SDK's own classifier (`classifyInboundRequest`, the
 * one behind -32020 and -32022) plus conservative checks: anything that could be refused, needs
 * a stream, carries multi-round-trip state or progress, or names an unknown tool goes to the
 * SDK's handler, which answers it exactly as before. test/e2e/http-modern-direct.test.ts proves
 * the two paths answer byte for byte alike.
 */
import type { IncomingHttpHeaders } from "node:http";
import {
  PerRequestHTTPServerTransport,
  SUPPORTED_PROTOCOL_VERSIONS,
  classifyInboundRequest,
  isJSONRPCRequest,
  isJsonContentType,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type Server as McpServer,
} from "@modelcontextprotocol/server";
import type { ToolDefinition } from "../../tools/types.js";
import { DirectServerPool, LaneChannel, isPlainObject, type LaneBudget, type LaneTransport } from "./direct-pool.js";

/** The revision this path serves (the SDK's modern handler serves the others, if any). */
const DIRECT_REVISION = "2026-07-28";
/**
 * What a server on this path lists: the SDK's defaults plus the revision, as the SDK's modern
 * handler makes every instance it serves (so the SDK binds the instance when it connects).
 */
export const DIRECT_PROTOCOL_VERSIONS: readonly string[] = [...SUPPORTED_PROTOCOL_VERSIONS, DIRECT_REVISION];

/** The `_meta` keys of the 2026-07-28 envelope; any other key (progress, tracing, …) goes to the SDK. */
const ENVELOPE_KEYS: ReadonlySet<string> = new Set([
  "io.modelcontextprotocol/protocolVersion",
  "io.modelcontextprotocol/clientInfo",
  "io.modelcontextprotocol/clientCapabilities",
]);

type Classification = Extract<ReturnType<typeof classifyInboundRequest>, { kind: "modern" }>["classification"];

/** A request this path may answer, with what the SDK classified it as. */
export interface DirectModernRequest {
  message: JSONRPCRequest;
  classification: Classification;
}

/**
 * Envelopes (as JSON text) the SDK's classifier accepted on this path, with the classification it
 * gave. A client sends the same envelope with every request, and classifying parses the body
 * against four schemas and validates the envelope again each time. The classification depends
 * only on the envelope's version claim and the headers, which this path requires to be the same
 * every time, so a known envelope needs only the check left: the body is a JSON-RPC request.
 */
const acceptedEnvelopes = new Map<string, Classification>();
const MAX_ACCEPTED_ENVELOPES = 256;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === "string" ? v.trim() : undefined;
}

/**
 * The request, when it is a single 2026-07-28 `tools/call` (of a read tool this request may see)
 * or `tools/list` that the SDK would serve with a plain JSON answer; undefined sends it to the
 * SDK's handler.
 */
export function directModernRequest(headers: IncomingHttpHeaders, body: unknown, tools: ReadonlyMap<string, ToolDefinition>): DirectModernRequest | undefined {
  if (!isPlainObject(body)) return undefined;
  const method = body.method;
  if (method !== "tools/call" && method !== "tools/list") return undefined;
  if (!isJsonContentType(headers["content-type"])) return undefined;
  if (headers["mcp-session-id"] !== undefined) return undefined;
  const params = body.params;
  if (!isPlainObject(params)) return undefined;
  const meta = params._meta;
  if (!isPlainObject(meta) || Object.keys(meta).some((k) => !ENVELOPE_KEYS.has(k))) return undefined;
  const versionHeader = header(headers, "mcp-protocol-version");
  const methodHeader = header(headers, "mcp-method");
  const nameHeader = header(headers, "mcp-name");
  if (versionHeader !== DIRECT_REVISION || methodHeader !== method) return undefined;
  if (method === "tools/call") {
    // Only name, arguments and the envelope: requestState / inputResponses (multi-round-trip) go to the SDK.
    if (Object.keys(params).some((k) => k !== "name" && k !== "arguments" && k !== "_meta")) return undefined;
    const name = params.name;
    if (typeof name !== "string" || nameHeader !== name) return undefined;
    const args = params.arguments;
    if (args !== undefined && !isPlainObject(args)) return undefined;
    // A read tool never asks for confirmation, so its answer is always one final result.
    if (tools.get(name)?.safety !== "read") return undefined;
  } else {
    if (Object.keys(params).some((k) => k !== "_meta") || nameHeader !== undefined) return undefined;
  }
  const envelopeText = JSON.stringify(meta);
  const known = acceptedEnvelopes.get(envelopeText);
  if (known) {
    // What classifying would check beyond the envelope and the headers above: a request, not a response.
    if ("result" in body || "error" in body || !isJSONRPCRequest(body)) return undefined;
    return { message: body, classification: known };
  }
  const outcome = classifyInboundRequest({
    httpMethod: "POST",
    protocolVersionHeader: versionHeader,
    mcpMethodHeader: methodHeader,
    ...(nameHeader === undefined ? {} : { mcpNameHeader: nameHeader }),
    body,
  });
  if (outcome.kind !== "modern" || outcome.messageKind !== "request" || outcome.classification.revision !== DIRECT_REVISION) return undefined;
  if (acceptedEnvelopes.size >= MAX_ACCEPTED_ENVELOPES) acceptedEnvelopes.clear();
  acceptedEnvelopes.set(envelopeText, outcome.classification);
  return { message: outcome.message, classification: outcome.classification };
}

/**
 * The SDK's per-request transport class, kept connected: connecting a server to it binds the
 * server to the classified revision, as the SDK's handler does; each later message brings its
 * own classification and auth, exactly as the SDK hands them to a fresh instance.
 */
class DirectModernTransport extends PerRequestHTTPServerTransport implements LaneTransport {
  private readonly lane = new LaneChannel();

  constructor(classified: Classification) {
    super({ classification: classified, responseMode: "json" });
  }

  dispatch(message: JSONRPCRequest, extra: MessageExtraInfo): Promise<JSONRPCMessage | undefined> {
    return this.lane.dispatch(message, (m) => this.onmessage?.(m, extra as Parameters<NonNullable<typeof this.onmessage>>[1]));
  }

  override async send(message: JSONRPCMessage): Promise<void> {
    this.lane.settle(message);
  }

  override async close(): Promise<void> {
    if (this.lane.end()) this.onclose?.();
  }
}

/** Servers for the direct 2026-07-28 path over one tool list (see {@link DirectServerPool}). */
export function modernDirectPool(create: () => McpServer, budget: LaneBudget): DirectServerPool<DirectModernRequest> {
  return new DirectServerPool(
    async (first) => {
      const server = create();
      const transport = new DirectModernTransport(first.classification);
      await server.connect(transport);
      return { server, transport };
    },
    (request) => ({ classification: request.classification }),
    budget,
  );
}
