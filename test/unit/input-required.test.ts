/**
 * The tools/call adapter passes a multi-round-trip `input_required` result through unchanged,
 * whichever era the client speaks: a 2026-07-28 client fulfils it and retries with the answers
 * (no session), a 2025 client gets the SDK's legacy shim (a real `elicitation/create`). This is
 * the seam the confirmation guard plugs into (a handler or hook returning `inputRequired(...)`,
 * reading `ctx.mcp.mcpReq.inputResponses` on re-entry).
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { InMemoryTransport, acceptedContent, createMcpHandler, inputRequired, type CallToolResult } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { createUnkeyClient } from "../../src/client/unkey-client.js";
import { loadContract } from "../../src/schemas/loader.js";
import { createMcpServer } from "../../src/server.js";
import { generateTools } from "../../src/tools/generate.js";
import type { BeforeExecuteHook } from "../../src/tools/guard.js";
import type { ToolDefinition } from "../../src/tools/types.js";
import { createLogger } from "../../src/util/log.js";

const beforeExecute: BeforeExecuteHook = async (call) => {
  const answer = acceptedContent(call.mcp?.mcpReq.inputResponses, "confirm");
  if (answer?.confirm === true) return { content: [{ type: "text", text: "confirmed and done" }] };
  // The adapter's input is CallToolResult | InputRequiredResult; the hook's type still says the former.
  return inputRequired({
    inputRequests: {
      confirm: inputRequired.elicit({
        message: "Really do it?",
        requestedSchema: { type: "object", properties: { confirm: { type: "boolean", title: "Confirm" } }, required: ["confirm"] },
      }),
    },
  }) as unknown as CallToolResult;
};

function demoServer(): ReturnType<typeof createMcpServer> {
  const base = generateTools(loadContract()).tools[0];
  const schema = { type: "object", properties: {}, additionalProperties: false };
  const tool: ToolDefinition = {
    ...base,
    name: "confirm_demo",
    inputSchema: schema,
    validationSchema: schema,
    outputSchema: undefined,
    http: undefined,
    handler: undefined,
  };
  return createMcpServer({
    tools: [tool],
    client: createUnkeyClient({ baseUrl: "http://127.0.0.1:9", connectTimeoutMs: 100, requestTimeoutMs: 100, userAgent: "test" }),
    resolveRootKey: () => "unkey_inputRequiredTest",
    instructions: "test",
    logger: createLogger({ level: "error", format: "json", sink: () => undefined }),
    prompts: [],
    beforeExecute,
  });
}

function confirmingClient(mode: "auto" | "legacy", asked: string[]): Client {
  const client = new Client({ name: "confirming", version: "1" }, { versionNegotiation: { mode }, capabilities: { elicitation: { form: {} } } });
  client.setRequestHandler("elicitation/create", async (request) => {
    asked.push(request.params.message);
    return { action: "accept", content: { confirm: true } };
  });
  return client;
}

describe("input_required through the tools/call adapter", () => {
  it("2026-07-28: the client answers the embedded elicitation and the retried call completes", async () => {
    const mcp = createMcpHandler(() => demoServer());
    const asked: string[] = [];
    const client = confirmingClient("auto", asked);
    await client.connect(new StreamableHTTPClientTransport(new URL("http://mcp.test/mcp"), { fetch: (url, init) => mcp.fetch(new Request(url, init)) }));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
      const result = (await client.callTool({ name: "confirm_demo", arguments: {} })) as CallToolResult;
      expect(asked).toEqual(["Really do it?"]);
      expect(result.content).toEqual([{ type: "text", text: "confirmed and done" }]);
    } finally {
      await client.close();
      await mcp.close();
    }
  });

  it("2025 session: the SDK's legacy shim sends elicitation/create and re-enters the handler", async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = demoServer();
    await server.connect(serverSide);
    const asked: string[] = [];
    const client = confirmingClient("legacy", asked);
    await client.connect(clientSide);
    try {
      expect(client.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
      const result = (await client.callTool({ name: "confirm_demo", arguments: {} })) as CallToolResult;
      expect(asked).toEqual(["Really do it?"]);
      expect(result.content).toEqual([{ type: "text", text: "confirmed and done" }]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
